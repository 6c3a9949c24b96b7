/* Aandacht — the facilitator's console (templates/console.html, route /f/<key>).
 * Connects as the facilitator and runs the workshop: teams and players (add, rename,
 * move, remove), the round buttons per phase (deal, timer, lock, reveal, publish, next,
 * end), the live picks and locked answers, the card's full key, the score editor, the
 * leaderboard (with its show/hide switch for the room) and the podium; at the end the
 * debrief (the room's and every team's profile over the rubric, each card's spread, lesson
 * and debrief question) and the participants' commitments to approve for the big screen or
 * hide. Several devices may run the console at once: every change arrives as a whole new
 * `game_state`. */
(function () {
  "use strict";

  var A = window.Aandacht;
  var el = A.el;
  A.keepWordsWhole(document.body); // a word too long for its box is hyphenated, never cut (common.js)
  var cfg = A.config();
  var $ = function (id) { return document.getElementById(id); };
  // The console's own words are in the facilitator's language (the page's <html lang>: the start page's or the
  // header's NL/EN switch); _() and ngettext() mark each English text for the message catalog (README, "Languages").
  var lang = A.LANGUAGES.indexOf(document.documentElement.lang) >= 0 ? document.documentElement.lang : "en";
  function _(msgid, params) { return A.tr(lang, msgid, params); }
  function ngettext(one, many, n, params) { return A.trn(lang, one, many, n, params); }
  A.alerts.dismissLabel = _("Dismiss");

  var PHASES = {
    lobby: _("Lobby"),
    collecting: _("Collecting answers"),
    locked: _("Round locked"),
    revealed: _("Revealed"),
    scored: _("Scores published"),
    finished: _("Finished")
  };
  var DIM_LABELS = {
    attention: _("Attention"),
    ease: _("Ease"),
    resolution: _("Resolution"),
    ownership: _("Ownership"),
    proportion: _("Proportion")
  };
  // The built-in stories' names in the page's language (console.html); any other story is the facilitator's own words.
  var STORY_NAMES = {};
  try { STORY_NAMES = JSON.parse(document.getElementById("story-names").textContent) || {}; } catch (e) { /* none */ }
  var DIM_SHORT = { attention: _("Att"), ease: _("Ease"), resolution: _("Res"), ownership: _("Own"), proportion: _("Prop") };
  var DEFAULT_DIMS = ["attention", "ease", "resolution", "ownership", "proportion"];
  var EXTEND_SECONDS = 30;

  var view = null;
  var countdown = new A.Countdown("#countdown", {
    // a screen reader hears the time left at 60, 30 and 10 seconds and at zero, never every second
    announce: {
      selector: "#time-announcer",
      text: function (s) { return s === 0 ? _("Time's up.") : s === 60 ? _("1 minute left.") : _("{n} seconds left.", { n: s }); }
    }
  });
  var sections = {
    card: new A.Section($("card-panel")),
    picks: new A.Section($("picks")),
    chart: new A.Section($("console-chart")),
    scores: new A.Section($("score-forms")),
    teams: new A.Section($("teams-list")),
    unassigned: new A.Section($("unassigned")),
    removed: new A.Section($("removed-list")),
    leaderboard: new A.Section($("leaderboard")),
    podium: new A.Section($("podium")),
    debrief: new A.Section($("debrief")),
    commitments: new A.Section($("commitment-list"))
  };
  var drafts = {}; // "round:teamId" -> score values the facilitator changed but did not save yet
  var saved = {}; // "round:teamId" -> true once saved (until changed again)

  // The report and the CSV give their times in the facilitator's time zone: the workshop keeps the one of the
  // browser that created it; for an older workshop these links send this browser's (the server checks it).
  (function () {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* the server's zone */ }
    if (!zone) return;
    Array.prototype.forEach.call(document.querySelectorAll("a[data-tz-link]"), function (a) {
      var href = a.getAttribute("href");
      a.setAttribute("href", href + (href.indexOf("?") >= 0 ? "&" : "?") + "tz=" + encodeURIComponent(zone));
    });
  })();

  if (typeof window.io !== "function") {
    A.alerts.show(_("The Socket.IO client did not load; check the server."), "error");
    return;
  }
  // by its secret link the key opens the console; by id (/w/<id>, from a facilitator's history) the session does
  // acks: this page acknowledges each game_state and presence once it has drawn it, and the server sends the next
  // only then (the newest: views are whole), so a slow link or a room of 3,000 never queues views (docs/protocol.md)
  var auth = cfg.facilitatorKey ? { role: "facilitator", key: cfg.facilitatorKey, acks: true }
    : { role: "facilitator", workshop: cfg.workshopId, acks: true };
  var socket = window.io({ auth: auth, reconnectionDelayMax: 4000 });
  A.watchConnection(socket, $("conn-status"), { connecting: _("Connecting…"), offline: _("Offline — reconnecting…") });
  A.resyncOnVisible(socket);

  /* ---- commands ---------------------------------------------------------------------- */

  /** Send a command; while it is on its way the button is disabled; errors go to the alert area. */
  function command(event, payload, button) {
    // a disabled button drops the focus: give it back afterwards (to its redrawn twin, if it was redrawn)
    var focusKey = button && document.activeElement === button ? button.getAttribute("data-focus-key") || button.id : null;
    if (button) button.disabled = true;
    return A.emit(socket, event, payload).then(function (ack) {
      return ack;
    }, function (error) {
      A.alerts.show(A.errorText(lang, error), "error");
      if (error.code === "stale" && socket.connected) socket.emit("sync", {}, function () {});
      throw error;
    }).finally(function () {
      if (button) button.disabled = false;
      var active = document.activeElement;
      if (focusKey && (!active || active === document.body)) {
        var again = document.querySelector('[data-focus-key="' + A.cssEscape(focusKey) + '"]') || document.getElementById(focusKey);
        if (again && !again.disabled && !again.closest("[hidden]")) again.focus();
      }
      keepControlFocus();
    });
  }

  // Keyboard: a round button that hides itself after its command (Deal, Lock, Reveal, Publish) hands the
  // focus to the next step's button, so a round runs with Tab and Enter without losing the place.
  var controlBar = $("controls");
  var controlFocus = false;
  document.addEventListener("focusin", function (event) { controlFocus = controlBar.contains(event.target); });
  function keepControlFocus() {
    if (!controlFocus) return;
    var active = document.activeElement;
    if (active && controlBar.contains(active) && !active.disabled && !active.closest("[hidden]")) return;
    var buttons = Array.prototype.filter.call(controlBar.querySelectorAll(".control-buttons button"), function (b) {
      return !b.hidden && !b.disabled;
    });
    var next = buttons.filter(function (b) { return b.classList.contains("btn-primary"); })[0] || buttons[0];
    if (!next) { // the end: no more round buttons; the phase ("Finished") keeps the place
      next = $("phase");
      next.setAttribute("tabindex", "-1");
    }
    next.focus();
  }

  function round() { return view.workshop.round; }
  function ignore() { /* already shown in the alert area */ }

  $("deal-btn").addEventListener("click", function () {
    var w = view.workshop;
    var button = this;
    // from a revealed round, dealing publishes its scores: the unsaved edits go first, like Publish
    afterSavingScores(button, function () {
      return command("deal_card", { round: w.cards_total - w.cards_left }, button);
    });
  });
  $("start-timer-btn").addEventListener("click", function () {
    // a stopped countdown resumes from the time it had left (no seconds: the server keeps that time); else the
    // workshop's timer length
    var stopped = view.timer && view.timer.stopped_left;
    var seconds = stopped ? null : (view.workshop.settings && view.workshop.settings.timer_seconds) || null;
    command("start_timer", { round: round(), seconds: seconds }, this).catch(ignore);
  });
  $("extend-btn").addEventListener("click", function () {
    command("extend_timer", { round: round(), seconds: EXTEND_SECONDS }, this).catch(ignore);
  });
  $("stop-timer-btn").addEventListener("click", function () {
    command("stop_timer", { round: round() }, this).catch(ignore);
  });
  $("lock-btn").addEventListener("click", function () {
    command("lock_round", { round: round() }, this).catch(ignore);
  });
  $("reveal-btn").addEventListener("click", function () {
    command("reveal", { round: round() }, this).catch(ignore);
  });
  $("publish-btn").addEventListener("click", function () {
    var button = this;
    var r = round();
    afterSavingScores(button, function () { return command("publish_scores", { round: r }, button); });
  });
  $("end-btn").addEventListener("click", function () {
    if (!window.confirm(_("End the workshop for everyone? The podium will be shown; this cannot be undone."))) return;
    var button = this;
    afterSavingScores(button, function () { return command("end_workshop", {}, button); });
  });
  $("leaderboard-toggle").addEventListener("click", function () {
    command("set_leaderboard", { visible: !view.workshop.leaderboard_visible }, this).catch(ignore);
  });

  $("commitment-list").addEventListener("click", function (event) {
    var button = event.target.closest("button.approve-btn, button.hide-btn");
    if (!button || button.disabled) return;
    var approved = button.classList.contains("approve-btn");
    command("review_commitment", { player_id: button.dataset.playerId, approved: approved }, button).catch(ignore);
  });

  $("approve-all-btn").addEventListener("click", function () {
    var button = this;
    var waiting = ((view && view.commitments) || []).filter(function (c) { return c.approved === null || c.approved === undefined; });
    if (!waiting.length) return;
    button.disabled = true;
    // one after the other: each is its own command; stop at the first refusal (already shown)
    waiting.reduce(function (chain, c) {
      return chain.then(function () { return command("review_commitment", { player_id: c.player_id, approved: true }); });
    }, Promise.resolve()).catch(ignore).then(function () { button.disabled = false; });
  });

  var addTeamCount = A.limitCounter($("add-team-name"), function (n) { return _("Characters left: {n}", { n: n }); });
  $("add-team-form").appendChild(addTeamCount);
  $("add-team-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("add-team-name");
    var name = input.value.trim();
    if (!name) {
      A.alerts.show(_("Type a team name first."), "error");
      input.focus();
      return;
    }
    command("add_team", { name: name }, $("add-team-btn")).then(function () { input.value = ""; addTeamCount.update(); }, ignore);
  });

  $("team-size-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("team-size-input");
    var size = Number(input.value);
    if (!input.value || !Number.isInteger(size) || size < 1 || size > 50) {
      A.alerts.show(_("The team size must be a whole number from 1 to 50."), "error");
      input.focus();
      return;
    }
    command("set_team_size", { team_size: size }, $("team-size-btn")).catch(ignore);
  });

  $("rename-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var select = $("rename-team-select");
    var input = $("rename-team-name");
    var name = input.value.trim();
    if (!select.value) {
      A.alerts.show(_("There is no team to rename yet."), "error");
      return;
    }
    if (!name) {
      A.alerts.show(_("Type the new name first."), "error");
      input.focus();
      return;
    }
    command("rename_team", { team_id: select.value, name: name }, $("rename-team-btn")).then(function () { input.value = ""; }, ignore);
  });

  // team list: move (select), remove (button), rename shortcut (button)
  function onMove(event) {
    var select = event.target.closest("select.move-select");
    if (!select) return;
    var teamId = select.value || null;
    var playerId = select.dataset.playerId;
    select.disabled = true;
    command("move_player", { player_id: playerId, team_id: teamId }).catch(function () {
      select.value = select.dataset.current || "";
    }).then(function () {
      select.disabled = false;
      select.blur(); // lets the list refresh
    });
  }
  function onTeamClick(event) {
    var renamePlayer = event.target.closest("button.rename-player-btn");
    if (renamePlayer) {
      var old = renamePlayer.dataset.playerName;
      var typed = window.prompt(_("New name for {name}:", { name: old }), old);
      if (typed === null || !typed.trim() || typed.trim() === old) return;
      command("rename_player", { player_id: renamePlayer.dataset.playerId, name: typed.trim() }, renamePlayer).catch(ignore);
      return;
    }
    var remove = event.target.closest("button.remove-btn");
    if (remove) {
      var name = remove.dataset.playerName;
      if (!window.confirm(_("Remove {name} from the workshop?", { name: name }))) return;
      command("remove_player", { player_id: remove.dataset.playerId }, remove).catch(ignore);
      return;
    }
    var captain = event.target.closest("button.captain-btn");
    if (captain) {
      command("make_captain", { player_id: captain.dataset.playerId }, captain).catch(ignore);
      return;
    }
    var rename = event.target.closest("button.rename-btn");
    if (rename) {
      $("rename-team-select").value = rename.dataset.teamId;
      var input = $("rename-team-name");
      input.value = rename.dataset.teamName;
      input.focus();
      input.select();
    }
  }
  ["teams-list", "unassigned"].forEach(function (id) {
    $(id).addEventListener("change", onMove);
    $(id).addEventListener("click", onTeamClick);
  });
  // removed participants: their phones cannot join again until the facilitator allows them back
  $("removed-list").addEventListener("click", function (event) {
    var back = event.target.closest("button.allow-back-btn");
    if (back) command("allow_back", { player_id: back.dataset.playerId }, back).catch(ignore);
  });

  /* ---- score editor ------------------------------------------------------------------- */

  function dims() { return (view && view.dimensions) || DEFAULT_DIMS; }

  function readForm(form) {
    var values = {};
    dims().forEach(function (d) {
      var checked = form.querySelector('input[name="' + d + '"]:checked');
      values[d] = checked ? parseInt(checked.value, 10) : 0;
    });
    values.flag = !!form.querySelector('input[name="flag"]').checked;
    var bonus = form.querySelector('input[name="bonus"]:checked');
    values.bonus = bonus ? parseInt(bonus.value, 10) : 0;
    return values;
  }

  function totalOf(values) {
    var sum = 0;
    dims().forEach(function (d) { sum += values[d] || 0; });
    return sum + (values.bonus || 0) - (values.flag ? 1 : 0);
  }

  function sameScore(a, b) {
    if (!a || !b) return false;
    return dims().every(function (d) { return a[d] === b[d]; }) && !!a.flag === !!b.flag && a.bonus === b.bonus;
  }

  $("score-forms").addEventListener("change", function (event) {
    var form = event.target.closest("form.score-form");
    if (!form) return;
    var values = readForm(form);
    var key = form.dataset.round + ":" + form.dataset.teamId;
    var team = view.teams.filter(function (t) { return t.id === form.dataset.teamId; })[0];
    delete saved[key];
    if (team && sameScore(values, team.score)) delete drafts[key];
    else drafts[key] = values;
    updateFormState(form, values);
  });

  $("score-forms").addEventListener("click", function (event) {
    var button = event.target.closest(".spotlight-btn");
    if (!button || !view) return;
    command("spotlight", { round: round(), team_id: button.dataset.spotlight || null }, button).catch(ignore);
  });

  /** Save one team's score as the form shows it (``values``); resolves once the server acknowledged it. */
  function saveScore(roundIndex, teamId, values, button) {
    var payload = { round: roundIndex, team_id: teamId, flag: values.flag, bonus: values.bonus };
    dims().forEach(function (d) { payload[d] = values[d]; });
    var key = roundIndex + ":" + teamId;
    return command("score_team", payload, button).then(function (ack) {
      // a change made while this was on its way is a newer draft: it stays unsaved
      if (!drafts[key] || sameScore(drafts[key], values)) {
        delete drafts[key];
        saved[key] = true;
      }
      // the new game_state may have re-drawn the form before this acknowledgement: update the current one
      var current = document.querySelector('.score-form[data-team-id="' + CSS.escape(teamId) + '"]');
      if (current && saved[key]) {
        var status = current.querySelector(".score-status");
        if (status) status.textContent = _("Saved");
        current.classList.remove("is-dirty");
        current.classList.add("is-saved");
      }
      return ack;
    });
  }

  /**
   * Publishing (Publish scores, Next card or End workshop from a revealed round) takes the scores as the server
   * has them: first save every score changed on this console but not saved yet, one after the other, each
   * acknowledged, then run ``next``. If a save is refused, nothing is published and the alert says which team's
   * score and why: the console never shows one score while the room is given another.
   */
  function afterSavingScores(button, next) {
    var roundIndex = round();
    var pending = Object.keys(drafts).filter(function (key) { return key.split(":")[0] === String(roundIndex); });
    if (!pending.length) return next().catch(ignore);
    button.disabled = true;
    return pending.reduce(function (chain, key) {
      return chain.then(function () {
        var values = drafts[key];
        if (!values) return null; // saved meanwhile
        var teamId = key.slice(key.indexOf(":") + 1);
        return saveScore(roundIndex, teamId, values).catch(function (error) {
          var team = view.teams.filter(function (t) { return t.id === teamId; })[0];
          A.alerts.show(_("Nothing was published: the unsaved score of {team} could not be saved. Check it and try again.",
            { team: team ? team.name : "?" }), "error");
          throw error;
        });
      });
    }, Promise.resolve()).then(function () {
      button.disabled = false;
      return next();
    }, function (error) {
      button.disabled = false;
      throw error;
    }).catch(ignore);
  }

  $("score-forms").addEventListener("submit", function (event) {
    var form = event.target.closest("form.score-form");
    if (!form) return;
    event.preventDefault();
    saveScore(round(), form.dataset.teamId, readForm(form), form.querySelector(".score-save")).catch(ignore);
  });

  function updateFormState(form, values) {
    var out = form.querySelector(".score-total");
    if (out) out.textContent = String(totalOf(values));
    var key = form.dataset.round + ":" + form.dataset.teamId;
    var dirty = !!drafts[key];
    form.classList.toggle("is-dirty", dirty);
    form.classList.remove("is-saved");
    var status = form.querySelector(".score-status");
    if (status) status.textContent = dirty ? _("Not saved yet") : "";
  }

  function segmented(name, label, max, value, teamId) {
    var options = [];
    for (var i = 0; i <= max; i++) {
      var id = "s-" + teamId + "-" + name + "-" + i;
      options.push(el("input", {
        type: "radio",
        name: name,
        value: String(i),
        id: id,
        checked: value === i,
        class: "seg-input",
        dataset: { focusKey: id }
      }));
      options.push(el("label", { htmlFor: id, class: "seg-label", text: String(i) }));
    }
    return el("fieldset", { class: "seg", dataset: { dim: name } }, [
      el("legend", { class: "seg-legend", text: label }),
      el("div", { class: "seg-options" }, options)
    ]);
  }

  /* ---- building blocks ---------------------------------------------------------------- */

  function letter(i) { return String.fromCharCode(65 + i); }

  function responseIndex(card) {
    var map = {};
    (card ? card.responses : []).forEach(function (r, i) { map[r.id] = { letter: letter(i), response: r }; });
    return map;
  }

  function buildCard(card) {
    var ds = dims();
    var head = el("tr", null, [
      el("th", { attrs: { scope: "col" }, text: "" }),
      el("th", { attrs: { scope: "col" }, text: _("Response") })
    ].concat(ds.map(function (d) {
      return el("th", { class: "num", attrs: { scope: "col", title: DIM_LABELS[d] || d }, text: DIM_SHORT[d] || d });
    })).concat([
      el("th", { class: "num", attrs: { scope: "col", title: _("Flag: serves the organisation (−1)") }, text: "−1" }),
      el("th", { class: "num", attrs: { scope: "col" }, text: _("Total") })
    ]));
    var rows = [];
    card.responses.forEach(function (r, i) {
      rows.push(el("tr", { class: ["key-row", r.best ? "is-best" : ""], dataset: { responseId: r.id } }, [
        el("th", { attrs: { scope: "row" }, class: "key-letter", text: letter(i) + (r.best ? " ★" : "") }),
        el("td", { class: "key-text", text: r.text })
      ].concat(ds.map(function (d) {
        return el("td", { class: "num", text: String(r.key ? r.key[d] : "") });
      })).concat([
        el("td", { class: ["num", r.key && r.key.flag ? "is-flag" : ""], text: r.key && r.key.flag ? "−1" : "" }),
        el("td", { class: "num total", text: String(r.total !== undefined ? r.total : "") })
      ])));
      if (r.feedback) {
        rows.push(el("tr", { class: "key-feedback" }, [
          el("td", { text: "" }),
          el("td", { attrs: { colspan: String(ds.length + 3) }, text: r.feedback })
        ]));
      }
    });
    return el("div", { class: "card-full stack" }, [
      el("h3", { class: "card-title", id: "card-title" }, [
        el("span", { text: card.title }),
        card.sensitive ? el("span", { class: "tag tag-sensitive", text: _("sensitive") }) : null
      ]),
      card.story ? el("p", { class: "card-story", id: "card-story", text: _("Story: {name}", { name: STORY_NAMES[card.story] || card.story }) }) : null,
      el("p", { class: "situation", text: card.situation }),
      el("p", { class: "question", text: card.question }),
      card.notes ? el("div", { class: "console-notes", id: "card-notes", attrs: { "data-testid": "card-notes" } }, [
        el("p", { class: "box-label", text: _("Your notes · only on this console") }), el("p", { text: card.notes })
      ]) : null,
      card.kind === "open" ? el("p", { class: "open-card-note", id: "open-card-note", text:
        _("Open card: every team writes its own answer. After the reveal you score each answer on the rubric and can put one in the spotlight on the big screen.") }) :
      el("details", { class: "key-details", attrs: { open: window.matchMedia("(min-width: 700px)").matches } }, [
        el("summary", { text: _("Key: responses, points and feedback") }),
        el("div", { class: "table-scroll" }, [
          el("table", { class: "key-table" }, [el("thead", null, [head]), el("tbody", null, rows)])
        ])
      ]),
      card.lesson ? el("div", { class: "lesson" }, [el("p", { class: "box-label", text: _("Lesson") }), el("p", { text: card.lesson })]) : null,
      card.debrief ? el("div", { class: "debrief" }, [el("p", { class: "box-label", text: _("Debrief question") }), el("p", { text: card.debrief })]) : null
    ]);
  }

  function buildPicks(v) {
    var index = responseIndex(v.card);
    var locked = {};
    (v.locked_team_ids || []).forEach(function (id) { locked[id] = true; });
    var teams = v.teams.filter(function (t) { return t.members.length || t.answer; });
    var closed = v.workshop.phase !== "collecting"; // the round is locked: a team without an answer gave none
    if (!teams.length) return el("p", { class: "empty", text: _("No team has players yet.") });
    return el("ul", { class: "pick-teams" }, teams.map(function (team) {
      var answer = team.answer;
      var answerInfo = answer ? index[answer.response_id] : null;
      return el("li", { class: ["pick-team", answer ? "is-locked" : ""], dataset: { teamId: team.id } }, [
        el("div", { class: "pick-team-head" }, [
          el("span", { class: "pick-team-name", text: team.name }),
          answer ? el("span", { class: "tag tag-locked", text: answer.auto ? _("locked (auto)") : _("locked in") })
                 : closed ? el("span", { class: "tag tag-no-answer", text: _("no answer") })
                 : el("span", { class: "tag", text: _("deciding") })
        ]),
        answer ? el("p", { class: "pick-answer" }, [
          answer.text ? null : el("span", { class: "letter-badge", text: answerInfo ? answerInfo.letter : "?" }),
          el("span", { class: "pick-answer-text", text: answer.text || (answerInfo ? answerInfo.response.text : "") }),
          answer.why ? el("span", { class: "pick-why", text: "“" + answer.why + "”" }) : null
        ]) : null,
        el("ul", { class: "pick-members" }, team.members.map(function (m) {
          var rid = team.picks ? team.picks[m.id] : null;
          var info = rid ? index[rid] : null;
          var draft = team.drafts ? team.drafts[m.id] : null;
          return el("li", { class: "pick-member" }, [
            el("span", { class: "pick-member-name", text: m.name }),
            m.captain ? el("span", { class: "tag tag-captain", text: _("captain") }) : null,
            info ? el("span", { class: "letter-badge", attrs: { title: info.response.text }, text: info.letter })
                 : draft ? el("span", { class: "pick-draft", text: draft })
                 : el("span", { class: "muted", text: "—" })
          ]);
        }))
      ]);
    }));
  }

  function buildScores(v) {
    var index = responseIndex(v.card);
    var ds = dims();
    var teams = v.teams.filter(function (t) { return t.score || t.members.length; });
    if (!teams.length) return el("p", { class: "empty", text: _("No teams to score.") });
    return el("div", { class: "score-list" }, teams.map(function (team) {
      var key = v.workshop.round + ":" + team.id;
      var server = team.score || { attention: 0, ease: 0, resolution: 0, ownership: 0, proportion: 0, flag: false, bonus: 0 };
      var values = drafts[key] || server;
      var answer = team.answer;
      var info = answer ? index[answer.response_id] : null;
      var form = el("form", {
        class: ["score-form", drafts[key] ? "is-dirty" : saved[key] ? "is-saved" : ""],
        dataset: { teamId: team.id, round: v.workshop.round, testid: "score-form" },
        attrs: { novalidate: true, "aria-label": _("Score for {team}", { team: team.name }) }
      }, [
        el("div", { class: "score-head" }, [
          el("h3", { class: "score-team", text: team.name }),
          el("p", { class: "score-total-line" }, [
            _("Total") + " ",
            el("output", { class: "score-total", text: String(totalOf(values)) })
          ])
        ]),
        answer ? el("p", { class: "score-answer" }, [
          answer.text ? null : el("span", { class: "letter-badge", text: info ? info.letter : "?" }),
          el("span", { class: "score-answer-text", text: answer.text || (info ? info.response.text : "") }),
          answer.why ? el("span", { class: "pick-why", text: "“" + answer.why + "”" }) : null,
          answer.auto ? el("span", { class: "tag", text: _("auto") }) : null
        ]) : el("p", { class: "muted", text: _("No answer this round.") }),
        answer && v.card && v.card.kind === "open" ? el("p", { class: "spotlight-row" }, [
          el("button", {
            type: "button",
            class: ["btn", "btn-small", "spotlight-btn", v.spotlight_team_id === team.id ? "is-on" : ""],
            dataset: { spotlight: v.spotlight_team_id === team.id ? "" : team.id, focusKey: "spot-" + team.id, testid: "spotlight-btn" },
            attrs: { "aria-pressed": v.spotlight_team_id === team.id ? "true" : "false" },
            text: v.spotlight_team_id === team.id ? _("On the big screen: take it off") : _("Show on the big screen")
          })
        ]) : null,
        el("div", { class: "seg-grid" }, ds.map(function (d) {
          return segmented(d, DIM_LABELS[d] || d, 3, values[d], team.id);
        }).concat([segmented("bonus", _("Bonus (why)"), 2, values.bonus, team.id)])),
        el("label", { class: "check flag-check" }, [
          el("input", { type: "checkbox", name: "flag", checked: !!values.flag, dataset: { focusKey: "flag-" + team.id } }),
          el("span", { text: _("−1 flag: serves the organisation, not the customer") })
        ]),
        el("div", { class: "score-actions" }, [
          el("button", { type: "submit", class: "btn btn-primary btn-small score-save", text: _("Save"), dataset: { focusKey: "save-" + team.id, testid: "score-save" } }),
          el("span", { class: "score-status", attrs: { role: "status" }, text: drafts[key] ? _("Not saved yet") : saved[key] ? _("Saved") : "" })
        ])
      ]);
      return form;
    }));
  }

  function buildTeams(v) {
    var teams = v.teams;
    var size = v.workshop.team_size;
    if (!teams.length) return el("p", { class: "empty", text: _("No teams yet. Participants can create one, or add one below.") });
    return el("ul", { class: "team-cards" }, teams.map(function (team) {
      return el("li", { class: "team-card", dataset: { teamId: team.id } }, [
        el("div", { class: "team-card-head" }, [
          el("span", { class: "team-card-name", text: team.name }),
          el("span", { class: ["team-card-size", team.members.length >= size ? "is-full" : ""], text: team.members.length + "/" + size }),
          smallButton("rename-btn", _("Rename"), _("Rename {team}", { team: team.name }),
            { teamId: team.id, teamName: team.name, focusKey: "rename-" + team.id })
        ]),
        team.members.length ? el("ul", { class: "member-rows" }, team.members.map(function (m) {
          return memberRow(m, team.id, teams, m.captain);
        })) : el("p", { class: "muted small", text: _("No players yet.") })
      ]);
    }));
  }

  /* A small secondary button of the console's team lists: its class, visible text, accessible name (which holds
   * the visible text) and data. */
  function smallButton(cls, text, label, dataset) {
    return el("button", { type: "button", class: "btn btn-ghost btn-small " + cls, text: text, dataset: dataset,
      attrs: { "aria-label": label } });
  }

  function memberRow(m, teamId, teams, captain) {
    var options = [el("option", { value: "", text: "— " + _("no team") + " —", selected: !teamId })].concat(teams.map(function (t) {
      return el("option", { value: t.id, text: t.name, selected: t.id === teamId });
    }));
    return el("li", { class: "member-row", dataset: { playerId: m.id } }, [
      el("span", { class: "member-name" }, [
        el("span", { text: m.name }),
        captain ? el("span", { class: "tag tag-captain", text: _("captain") }) : null
      ]),
      el("select", {
        class: "move-select",
        dataset: { playerId: m.id, current: teamId || "", focusKey: "move-" + m.id },
        attrs: { "aria-label": _("Move {name} to team", { name: m.name }) }
      }, options),
      teamId && !captain ? smallButton("captain-btn", _("Make captain"), _("Make captain: {name}", { name: m.name }),
        { playerId: m.id, focusKey: "captain-" + m.id, testid: "captain-btn" }) : null,
      smallButton("rename-player-btn", _("Rename"), _("Rename {name}", { name: m.name }),
        { playerId: m.id, playerName: m.name, focusKey: "rename-player-" + m.id }),
      smallButton("remove-btn", _("Remove"), _("Remove {name}", { name: m.name }),
        { playerId: m.id, playerName: m.name, focusKey: "remove-" + m.id })
    ]);
  }

  function buildUnassigned(v) {
    if (!v.unassigned.length) return [];
    return el("div", { class: "unassigned" }, [
      el("h3", { text: _("Not in a team ({n})", { n: v.unassigned.length }) }),
      el("ul", { class: "member-rows" }, v.unassigned.map(function (p) { return memberRow(p, null, v.teams, false); }))
    ]);
  }

  function buildRemoved(v) {
    var removed = v.removed || [];
    if (!removed.length) return [];
    return el("div", { class: "removed" }, [
      el("h3", { text: _("Removed ({n})", { n: removed.length }) }),
      el("p", { class: "hint", text: _("Their phones cannot join again, under any name, until you allow them back.") }),
      el("ul", { class: "member-rows" }, removed.map(function (p) {
        return el("li", { class: "member-row", dataset: { playerId: p.id } }, [
          el("span", { class: "member-name", text: p.name }),
          smallButton("allow-back-btn", _("Allow back"), _("Allow {name} back", { name: p.name }),
            { playerId: p.id, focusKey: "allow-back-" + p.id, testid: "allow-back" })
        ]);
      }))
    ]);
  }

  function fillRenameSelect(teams) {
    var select = $("rename-team-select");
    var keep = select.value;
    var sig = JSON.stringify(teams.map(function (t) { return [t.id, t.name]; }));
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    A.fill(select, teams.map(function (t) { return el("option", { value: t.id, text: t.name }); }));
    if (keep && teams.some(function (t) { return t.id === keep; })) select.value = keep;
    $("rename-form").hidden = !teams.length;
  }

  /* ---- the debrief ----------------------------------------------------------------------- */

  function dimLabel(d) { return DIM_LABELS[d] || d; }

  function buildDebrief(v) {
    var d = v.debrief;
    var ds = d.dimensions || dims();
    var room = d.room || {};
    var ex = A.profileExtremes(room, ds);
    var chartLabels = A.widgetLabels(lang);
    return el("div", { class: "debrief-console stack" }, [
      el("section", { class: "debrief-section", attrs: { "aria-labelledby": "room-profile-heading" } }, [
        el("h3", { id: "room-profile-heading", text: _("The room's profile") }),
        el("p", { class: "hint", text: _("Average points per dimension (0-3) over every published score.") }),
        el("div", { class: "room-profile-wrap" }, [
          A.buildProfile(room, {
            id: "console-room-profile",
            dims: ds,
            label: dimLabel,
            extremes: ex,
            width: 560,
            fontSize: 20,
            axis: true,
            ariaLabel: _("The room's profile")
          }),
          A.buildExtremes(room, ex, {
            strongest: _("Strongest"), weakest: _("Most to gain"), even: _("Even across all five dimensions."),
            none: _("No published scores."), dim: dimLabel
          })
        ])
      ]),
      el("section", { class: "debrief-section", attrs: { "aria-labelledby": "team-profiles-heading" } }, [
        el("h3", { id: "team-profiles-heading", text: _("Team profiles") }),
        el("p", { class: "hint", text: _("Each team's average per dimension; its lowest cell is marked in amber, its highest in green.") }),
        el("div", { class: "table-scroll" }, [
          A.buildProfileTable(A.profileRows(v.leaderboard, d), {
            id: "console-team-profiles",
            dims: ds,
            label: dimLabel,
            headers: { rank: "#", team: _("Team"), points: _("Points"), flags: "−1" }
          })
        ])
      ]),
      el("section", { class: "debrief-section", attrs: { "aria-labelledby": "debrief-cards-heading" } }, [
        el("h3", { id: "debrief-cards-heading", text: _("Per card") }),
        (d.cards || []).length ? el("ol", { class: "debrief-card-list" }, d.cards.map(function (card) {
          return el("li", { class: "debrief-card-item stack", dataset: { index: card.index } }, [
            el("h4", { class: "debrief-card-title" }, [
              el("span", { class: "muted", text: _("Card {n}", { n: card.index + 1 }) + " · " }),
              el("span", { text: card.title })
            ]),
            card.kind === "open"
              ? el("p", null, [
                el("span", { text: ngettext("Open card: {n} team answered in its own words.", "Open card: {n} teams answered in their own words.", card.answered) }),
                card.spotlight ? el("span", { class: "pick-why", text: " " + _("In the spotlight: “{text}” — {name}", { text: card.spotlight.text, name: card.spotlight.name }) }) : null
              ])
              : A.buildChart(card, chartLabels, { letters: true }),
            card.lesson ? el("div", { class: "lesson" }, [el("p", { class: "box-label", text: _("Lesson") }), el("p", { text: card.lesson })]) : null,
            card.debrief ? el("div", { class: "debrief" }, [el("p", { class: "box-label", text: _("Debrief question") }), el("p", { text: card.debrief })]) : null
          ]);
        })) : el("p", { class: "empty", text: _("No card was revealed.") })
      ])
    ]);
  }

  function commitmentState(c) {
    return c.approved === true ? "approved" : c.approved === false ? "hidden" : "pending";
  }

  var COMMITMENT_TAGS = {
    pending: [_("waiting"), "tag-waiting"],
    approved: [_("on the screen"), "tag-locked"],
    hidden: [_("hidden"), "tag-hidden"]
  };

  function buildCommitments(list) {
    if (!list.length) return el("p", { class: "empty", text: _("No commitments yet.") });
    return el("ul", { class: "commitment-rows" }, list.map(function (c) {
      var status = commitmentState(c);
      return el("li", { class: ["commitment-row", "is-" + status], dataset: { playerId: c.player_id, status: status } }, [
        el("div", { class: "commitment-main" }, [
          el("p", { class: "commitment-who" }, [
            el("span", { class: "commitment-name", text: c.name }),
            el("span", { class: ["tag", COMMITMENT_TAGS[status][1]], text: COMMITMENT_TAGS[status][0] })
          ]),
          el("p", { class: "commitment-text", text: c.text })
        ]),
        el("div", { class: "commitment-actions" }, [
          el("button", {
            type: "button",
            class: "btn btn-small btn-primary approve-btn",
            text: _("Approve"),
            disabled: status === "approved",
            dataset: { playerId: c.player_id, focusKey: "approve-" + c.player_id },
            attrs: { "aria-label": _("Approve the commitment of {name} for the big screen", { name: c.name }) }
          }),
          el("button", {
            type: "button",
            class: "btn btn-small btn-ghost hide-btn",
            text: _("Hide"),
            disabled: status === "hidden",
            dataset: { playerId: c.player_id, focusKey: "hide-" + c.player_id },
            attrs: { "aria-label": _("Hide the commitment of {name}", { name: c.name }) }
          })
        ])
      ]);
    }));
  }

  function renderDebrief(v, phase) {
    var finished = phase === "finished";
    var hasDebrief = finished && !!v.debrief;
    $("debrief-panel").hidden = !hasDebrief;
    if (hasDebrief) {
      sections.debrief.render({ debrief: v.debrief, leaderboard: v.leaderboard }, function () { return buildDebrief(v); });
    }
    var list = v.commitments || [];
    $("commitments-panel").hidden = !finished && !list.length;
    sections.commitments.render(list, buildCommitments);
    var counts = { pending: 0, approved: 0, hidden: 0 };
    list.forEach(function (c) { counts[commitmentState(c)] += 1; });
    $("approve-all-btn").hidden = counts.pending < 2;
    $("commitment-counts").textContent = list.length
      ? _("{pending} waiting · {approved} on the screen · {hidden} hidden", counts)
      : "";
  }

  /* ---- render -------------------------------------------------------------------------- */

  function showButton(id, on) { $(id).hidden = !on; }

  function renderControls(v) {
    var w = v.workshop;
    var phase = w.phase;
    var hasTimer = !!(v.timer && v.timer.deadline !== null && v.timer.deadline !== undefined);
    var dealt = w.cards_total - w.cards_left;
    var canDeal = (phase === "lobby" || phase === "revealed" || phase === "scored") && w.cards_left > 0;

    $("phase").textContent = PHASES[phase] || phase;
    $("phase").dataset.phase = phase;
    $("round-info").textContent = phase === "finished"
      ? _("Workshop ended after card {n} of {total}", { n: dealt, total: w.cards_total })
      : w.round >= 0 ? _("Card {n} of {total}", { n: w.round + 1, total: w.cards_total }) : ngettext("{n} card", "{n} cards", w.cards_total);
    $("countdown-box").hidden = !hasTimer;

    var deal = $("deal-btn");
    deal.textContent = phase === "lobby" ? _("Deal first card") : _("Next card");
    deal.title = phase === "revealed" ? _("Publishes this round's scores, then deals card {n}", { n: dealt + 1 }) : "";
    showButton("deal-btn", canDeal);
    showButton("start-timer-btn", phase === "collecting" && !hasTimer);
    var stoppedLeft = v.timer && v.timer.stopped_left;
    $("start-timer-btn").textContent = stoppedLeft
      ? _("Resume timer ({time} left)", { time: A.formatSeconds(stoppedLeft) }) : _("Start timer");
    showButton("extend-btn", phase === "collecting");
    showButton("stop-timer-btn", phase === "collecting" && hasTimer);
    showButton("lock-btn", phase === "collecting");
    showButton("reveal-btn", phase === "locked");
    showButton("publish-btn", phase === "revealed");
    showButton("end-btn", phase !== "finished");
    $("end-btn").className = (w.cards_left === 0 && phase === "scored") ? "btn btn-primary" : "btn btn-danger-ghost";
    $("deal-btn").className = (phase === "revealed") ? "btn btn-secondary" : "btn btn-primary";

    var next = v.next_card;
    var nextEl = $("next-card");
    A.fill(nextEl, phase === "finished" ? [] : next ? [
      el("span", { class: "muted", text: _("Next card:") + " " }),
      el("strong", { text: next.title }),
      next.sensitive ? el("span", { class: "tag tag-sensitive", text: _("sensitive") }) : null
    ] : [el("span", { class: "muted", text: _("No more cards: end the workshop when you are ready.") })]);
    nextEl.hidden = phase === "finished";
    $("lb-heading").textContent = phase === "finished" ? _("Final standings") : _("Leaderboard");
    var sizeInput = $("team-size-input");
    if (document.activeElement !== sizeInput) sizeInput.value = String(w.team_size);
    $("team-size-form").hidden = phase === "finished";

    var toggle = $("leaderboard-toggle");
    toggle.textContent = w.leaderboard_visible ? _("Hide from room") : _("Show to room");
    toggle.setAttribute("aria-pressed", w.leaderboard_visible ? "true" : "false");
    toggle.hidden = phase === "finished";
    $("leaderboard-note").hidden = w.leaderboard_visible || phase === "finished";
  }

  function render(v) {
    var w = v.workshop;
    var phase = w.phase;
    $("workshop-title").textContent = w.title;
    document.title = "Aandacht — " + _("console") + " " + w.code;
    $("room-code").textContent = w.code;
    $("players-total").textContent = String(v.players_total);
    renderControls(v);

    $("lobby-panel").hidden = phase !== "lobby";
    if (phase === "lobby") {
      var active = v.teams.filter(function (t) { return t.members.length; }).length;
      $("lobby-stats").textContent = ngettext("{n} player", "{n} players", v.players_total) + " · " +
        ngettext("{n} team with players", "{n} teams with players", active) +
        (v.unassigned.length ? " · " + _("{n} not in a team yet", { n: v.unassigned.length }) : "");
    }

    var inRound = !!v.card && phase !== "lobby" && phase !== "finished"; // at the end the debrief shows every card
    $("round-panel").hidden = !inRound;
    if (inRound) sections.card.render({ card: v.card, dims: dims() }, function (d) { return buildCard(d.card); });

    var showPicks = inRound && (phase === "collecting" || phase === "locked");
    $("picks-panel").hidden = !showPicks;
    if (showPicks) {
      sections.picks.render({ teams: v.teams, card: v.card && v.card.id, locked: v.locked_team_ids, phase: phase }, function () { return buildPicks(v); });
    }

    var revealed = !!v.reveal && (phase === "revealed" || phase === "scored");
    $("reveal-panel").hidden = !revealed;
    $("score-panel").hidden = !revealed;
    if (revealed) {
      sections.chart.render(v.reveal, function (reveal) {
        if (reveal.kind === "open") {
          var spot = reveal.spotlight;
          return el("div", { class: "open-reveal stack" }, [
            el("p", { text: ngettext("{n} team answered in its own words.", "{n} teams answered in their own words.", reveal.answered) }),
            spot ? el("blockquote", { class: "spotlight-text is-small", id: "console-spotlight", text: spot.text + " — " + spot.name })
                 : el("p", { class: "muted", text: _("Nothing in the spotlight: choose an answer below to show it on the big screen.") })
          ]);
        }
        return A.buildChart(reveal, A.widgetLabels(lang), { letters: true });
      });
      $("score-note").textContent = phase === "scored"
        ? _("Published. You can still correct a score: saving updates the leaderboard at once.")
        : v.card && v.card.kind === "open"
          ? _("An open card has no key: score each team's own answer on the rubric, save per team, then publish.")
          : _("Drafted from the key of each team's answer. Adjust, save per team, then publish.");
      sections.scores.render({
        round: w.round,
        teams: v.teams.map(function (t) { return [t.id, t.name, t.members.length, t.answer, t.score]; }),
        card: v.card && v.card.id,
        spotlight: v.spotlight_team_id
      }, function () { return buildScores(v); });
    }

    $("finished-panel").hidden = phase !== "finished";
    if (phase === "finished") {
      sections.podium.render(v.podium, function (podium) {
        if (!podium || !podium.length) return el("p", { class: "empty", text: _("No scores.") });
        var labels = A.widgetLabels(lang);
        labels.title = _("Podium");
        return A.buildPodium(podium, labels);
      });
    }

    renderDebrief(v, phase);

    sections.teams.render({ teams: v.teams.map(function (t) { return [t.id, t.name, t.members]; }), size: w.team_size }, function () { return buildTeams(v); });
    sections.unassigned.render({ unassigned: v.unassigned, teams: v.teams.map(function (t) { return [t.id, t.name]; }) }, function () { return buildUnassigned(v); });
    sections.removed.render(v.removed || [], function () { return buildRemoved(v); });
    fillRenameSelect(v.teams);

    sections.leaderboard.render(v.leaderboard, function (rows) {
      if (!rows || !rows.length) return el("p", { class: "empty", text: _("No teams yet.") });
      return A.buildLeaderboard(rows, {
        title: _("Leaderboard"),
        points: function (n) { return ngettext("{n} pt", "{n} pts", n); }
      });
    });
  }

  /* ---- language ------------------------------------------------------------------------------ */

  // The console speaks the facilitator's language; the deck's texts come in the workshop's. Mark them with it
  // (WCAG 3.1.2), so a screen reader reads a Dutch card in Dutch. Runs after every render.
  var DECK_TEXT = [
    "#card-panel .card-title > span:first-child", "#card-panel .situation", "#card-panel .question",
    "#card-panel .key-text", "#card-panel .key-feedback td[colspan]", "#card-panel .lesson p:not(.box-label)",
    "#card-panel .debrief p:not(.box-label)", ".pick-answer-text", ".score-answer-text", "#console-chart .chart-text",
    "#debrief .chart-text", "#debrief .debrief-card-title > span:last-child", "#debrief .lesson p:not(.box-label)",
    "#debrief .debrief p:not(.box-label)", "#next-card strong"
  ].join(", ");

  function markLanguage(language) {
    if (!language || language === lang) return;
    Array.prototype.forEach.call(document.querySelectorAll(DECK_TEXT), function (node) {
      if (node.getAttribute("lang") !== language) node.setAttribute("lang", language);
    });
  }

  /* ---- socket ---------------------------------------------------------------------------- */

  socket.on("connect_error", function (err) {
    var data = err && err.data;
    if (!data || !data.code) return;
    A.closeForGood(socket, $("conn-status"));
    A.alerts.show(data.code === "bad_key"
      ? _("This console link is not valid. Check the address you were given when you created the workshop.")
      : data.code === "link_replaced" ? A.errorText(lang, data)
      : (data.message || _("Cannot connect to the workshop.")), "error");
  });

  // the links were renewed from another console: this one's link no longer opens the workshop
  socket.on("links_replaced", function (m) {
    A.closeForGood(socket, $("conn-status"));
    A.alerts.show(A.errorText(lang, { code: "link_replaced", message: m && m.message }), "error");
  });

  // who has a phone connected right now (players whose phone sleeps or lost its network show as away)
  var online = {};
  function applyPresence() {
    Array.prototype.forEach.call(document.querySelectorAll(".member-row[data-player-id]"), function (row) {
      var here = !!online[row.dataset.playerId];
      row.dataset.presence = here ? "connected" : "away";
      var badge = row.querySelector(".presence");
      if (!badge) {
        badge = el("span", { class: "presence", attrs: { "data-testid": "presence" } });
        var name = row.querySelector(".member-name");
        if (name) name.insertBefore(badge, name.firstChild);
      }
      badge.textContent = here ? "● " + _("connected") : "○ " + _("away");
      badge.className = "presence " + (here ? "is-connected" : "is-away");
    });
  }
  socket.on("presence", A.taken(function (p) {
    online = {};
    ((p && p.online) || []).forEach(function (id) { online[id] = true; });
    applyPresence();
  }));

  /* ---- the console and screen links: who holds them, and renewing them ------------------ */

  var deviceList = $("link-devices");
  function showDevices() {
    if (!deviceList || !socket.connected) return;
    A.emit(socket, "link_devices", {}).then(function (ack) {
      A.fill(deviceList, (ack.devices || []).map(function (d) {
        var opened = new Date(d.opened_at * 1000).toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });
        return el("li", { dataset: { role: d.role }, text: [
          d.role === "screen" ? _("Big screen") : _("Console"), d.browser, _("opened {time}", { time: opened }),
          d.connected ? _("connected now") : _("not connected")
        ].join(" · ") });
      }));
    }, ignore);
  }
  socket.on("connect", showDevices);
  window.setInterval(showDevices, 20000); // a device that opened or closed a link meanwhile
  var revokeButton = $("revoke-btn");
  if (revokeButton) revokeButton.addEventListener("click", function () {
    if (!window.confirm(_("Renew the console and screen links? Every other console and screen closes and must open the new link."))) return;
    command("revoke_links", {}, revokeButton).then(function (ack) {
      // this console's own key no longer connects: open the new link (a console by id stays where it is)
      if (cfg.facilitatorKey) window.location.replace(ack.console_url);
      else window.location.reload();
    }, ignore);
  });

  var deleteForm = document.getElementById("delete-form");
  if (deleteForm) deleteForm.addEventListener("submit", function (event) {
    if (!window.confirm(_("Delete this workshop and every participant's data now? This cannot be undone."))) event.preventDefault();
  });
  // while the server cannot store changes (a full disk, an unreachable database) a banner says so; it goes as soon
  // as a change is stored again. Each (re)connection starts without it: the server sends it again if it still fails.
  var storageBanner = $("storage-banner");
  function showStorage(failing) {
    var text = failing ? _("The server cannot save right now (is its disk full, or its database unreachable?). " +
      "Commands are refused until it can: try again in a moment; this message goes as soon as a change is saved. " +
      "A round whose time ran out locks as soon as saving works again.") : "";
    if (storageBanner.textContent !== text) storageBanner.textContent = text;
  }
  socket.on("connect", function () { showStorage(false); });
  socket.on("storage", function (s) { showStorage(!!(s && s.failing)); });

  socket.on("workshop_deleted", function (m) {
    A.closeForGood(socket, $("conn-status"));
    document.body.dataset.phase = "deleted";
    window.location.assign("/?deleted=1");
  });

  /* ---- the join address ------------------------------------------------------------------ */

  // The link and QR code phones join by, everywhere the console shows them; the loud warning while it is a
  // loopback address no phone can open. Another console (or this one) may change it: `join_link` brings it.
  function applyJoinLink(link) {
    if (!link || !link.join_url) return;
    var before = cfg.joinUrl;
    document.body.dataset.joinUrl = link.join_url;
    document.body.dataset.qrUrl = link.qr_url;
    var anchor = $("join-url");
    anchor.textContent = link.join_url;
    anchor.href = link.join_url;
    ["console-qr", "lobby-qr"].forEach(function (id) {
      var img = $(id);
      if (!img) return;
      img.src = link.qr_url;
      img.alt = img.alt.slice(0, img.alt.lastIndexOf(": ") + 2) + link.join_url;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".how-steps strong"), function (node) {
      if (node.textContent === before) node.textContent = link.join_url;
    });
    $("join-warning").hidden = !link.join_loopback;
    var select = $("join-address-select");
    if (select && link.chosen !== undefined) select.value = link.chosen || "";
  }

  var joinForm = $("join-address-form");
  if (joinForm) joinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = $("join-address-select").value || null;
    command("set_join_address", { url: url }, $("join-address-use")).then(function (ack) {
      applyJoinLink(ack);
      A.alerts.show(_("Phones now join at {url}", { url: ack.join_url }), "info");
    }, function () {});
  });
  socket.on("join_link", applyJoinLink);

  socket.on("game_state", A.taken(function (v) {
    if (!v || v.role !== "facilitator") return;
    view = v;
    document.body.dataset.phase = v.workshop.phase;
    countdown.update(v.timer);
    // drafts of another round are stale
    Object.keys(drafts).forEach(function (key) {
      if (key.split(":")[0] !== String(v.workshop.round)) delete drafts[key];
    });
    Object.keys(saved).forEach(function (key) {
      if (key.split(":")[0] !== String(v.workshop.round)) delete saved[key];
    });
    render(v);
    markLanguage(v.workshop.language);
    keepControlFocus();
    applyPresence();
  }));
})();
