/* Aandacht — the participant's phone (templates/play.html, routes /play and /j/<code>).
 * Without a room code: a form to type it. With one: connects as a player with the token
 * kept in localStorage ("aandacht:<CODE>"), asks for a name, lets the player pick or
 * create a team, then plays each card: live picks of team-mates, the captain's lock-in
 * with a one-line why, the result, the score, the leaderboard and the podium. At the end:
 * the team's profile over the rubric and one commitment ("one small kindness I will do")
 * with its approval status, which the player can change (it then waits for approval again).
 * Screens that hold a text field are built once and then updated in place, so a
 * team-mate's pick never wipes what the player is typing.
 * A pick the server has not acknowledged yet is kept in localStorage ("aandacht:<CODE>:pick",
 * with its round and pick_id) and sent again, with the same pick_id, whenever the phone is
 * connected and sees that round still open without it: after a reconnect, a reload, or a
 * tab the phone's OS killed while offline. The server ignores a repeat.
 * The phone keeps a random device id ("aandacht:device", the same for every workshop) and sends it with every
 * connection: a phone the facilitator removed is told so (player_info.removed) and cannot join again under a new
 * name until the facilitator allows it back. A phone whose workshop was deleted (workshop_deleted, or a refused
 * connection while it still holds a token for the room code) shows "This workshop has ended", not "Connecting…".
 * When the facilitator renames this player or moves them to another team, the phone says so. */
(function () {
  "use strict";

  var A = window.Aandacht;
  var el = A.el;
  A.keepWordsWhole(document.body); // a word too long for its box is hyphenated, never cut (common.js)
  var cfg = A.config();
  var code = (cfg.code || "").trim().toUpperCase();
  var LANG_KEY = "aandacht:lang"; // the language this phone's player chose (header switch), over the workshop's
  var chosenLang = A.store.get(LANG_KEY);
  if (A.LANGUAGES.indexOf(chosenLang) < 0) chosenLang = null;
  var lang = chosenLang || (cfg.lang === "nl" ? "nl" : "en");
  var connTexts = {}; // the connection status's words, in the current language
  var app = document.getElementById("app");
  var badge = document.getElementById("team-badge");
  var connEl = document.getElementById("conn-status");
  var tokenKey = "aandacht:" + code;
  var pickKey = "aandacht:" + code + ":pick";
  var DEVICE_KEY = "aandacht:device";
  var device = deviceId();
  var WAKE_CHECK_MS = 8000; // after waking up: no state within this long means the socket died asleep

  var state = {
    me: undefined, // undefined: not known yet; null: not joined; else {id, name, team_id}
    view: null,
    refused: null, // why the room cannot be joined (a connect_error, a bad code): a function giving the words in `lang`
    pendingPick: null, // {round, responseId, pickId, playerId, acked} until the state shows it
    locking: false,
    removed: false, // the facilitator removed this phone and has not allowed it back
    ended: false, // the workshop was deleted: nothing more to connect to
    ownTeamChoice: false, // this phone asked to join or start a team and has not seen the answer yet
    movedTo: null, // the team the facilitator moved this player to, until its view arrives and the phone says so
    captainWas: null, // {team, mine}: whether I was my team's captain in the last view (to tell a new captain)
    resume: null, // /play only: the rooms this phone can go back to ([{code, name, team}]), once the server said
    resumeSkipped: false // "join as someone else": the code form, not the offer to continue
  };
  var memToken = null; // in case localStorage is unavailable (private mode)
  var socket = null;
  var pickSends = 0; // numbers each submit_pick sent, so a late answer to an old one is recognised
  var pickInFlight = 0; // the number of the submit_pick whose acknowledgement is awaited, or 0
  var lastStateAt = 0; // when the last game_state arrived (Date.now())
  var countdown = new A.Countdown("#countdown", {
    // a screen reader hears the time left at 60, 30 and 10 seconds and at zero, never every second
    announce: { selector: "#time-announcer", text: function (s) { return t("time_announce", { n: s }); } }
  });
  app.parentNode.appendChild(el("p", { class: "sr-only", id: "time-announcer", attrs: { "aria-live": "polite" } }));
  var current = { key: null, update: null };

  function t(key, params) { return A.t(lang, key, params); }

  function setLang(next) {
    if (next !== "nl" && next !== "en") return;
    if (next === lang) return;
    lang = next;
    document.documentElement.lang = lang;
    A.alerts.dismissLabel = t("dismiss");
    setConnTexts();
    updateLangSwitch();
    current.key = null; // rebuild in the new language
  }

  function setConnTexts() {
    connTexts.connecting = t("conn_connecting");
    connTexts.offline = t("conn_offline");
    if (connEl && !connEl.hidden) connEl.textContent = connEl.dataset.state === "offline" ? connTexts.offline : connTexts.connecting;
  }

  /* The header's NL/EN switch: the player's own language for the page and the cards, kept on this phone
   * (localStorage) whatever the workshop's language or the team-mates' choice. The card's texts in the
   * other language come with the view (view.translations, see A.localizeView). */
  function updateLangSwitch() {
    var group = document.getElementById("lang-switch");
    if (group) group.setAttribute("aria-label", t("language"));
    var buttons = document.querySelectorAll("#lang-switch .lang-btn");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].dataset.lang === lang ? "true" : "false");
    }
  }

  function chooseLang(next) {
    if (A.LANGUAGES.indexOf(next) < 0) return;
    chosenLang = next;
    A.store.set(LANG_KEY, next);
    setLang(next);
    if (state.raw) state.view = A.localizeView(state.raw, lang);
    render();
  }

  var langSwitch = document.getElementById("lang-switch");
  if (langSwitch) {
    langSwitch.addEventListener("click", function (event) {
      var button = event.target.closest(".lang-btn");
      if (button) chooseLang(button.dataset.lang);
    });
  }

  function showError(error) {
    A.alerts.show(A.errorText(lang, error), "error");
    if (error && error.code === "stale" && socket && socket.connected) {
      socket.emit("sync", {}, function () {});
    }
  }

  /* ---- layout: rebuild a screen only when its key changes ------------------------------ */

  function show(key, build) {
    var focus = null;
    if (key !== current.key) {
      focus = focusBefore();
      var built = build();
      A.fill(app, built.node);
      var wasOther = current.key !== null && current.key.split(":")[0] !== key.split(":")[0];
      current = { key: key, update: built.update || null };
      if (wasOther || built.scrollTop) window.scrollTo(0, 0);
    }
    if (current.update) current.update();
    if (focus) refocus(focus.key);
  }

  /* Where the focus was before a view is rebuilt: null when it is elsewhere (an alert), else the
   * focused element's data-focus-key or id (null when the focus was on nothing). */
  function focusBefore() {
    var active = document.activeElement;
    if (active && active !== document.body && !app.contains(active)) return null;
    var inApp = active && active !== document.body;
    return { key: inApp ? active.getAttribute("data-focus-key") || active.id || null : null };
  }

  /* After a rebuild (a live update, a new phase) the focus goes back to the equivalent element, else to
   * the new view's start ([data-focus-start] or its heading), so a keyboard or screen reader user never
   * lands on nothing and hears what changed. */
  function refocus(key) {
    var target = null;
    if (key) target = app.querySelector('[data-focus-key="' + A.cssEscape(key) + '"]') || document.getElementById(key);
    if (target && (!app.contains(target) || target.disabled || target.closest("[hidden]"))) target = null;
    if (!target) target = app.querySelector("[data-focus-start]") || app.querySelector("h1");
    if (!target || target === document.activeElement) return;
    if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }

  /* Up and down arrows move between the buttons of a list (the responses, the teams). */
  function arrowKeys(container, selector) {
    container.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var items = Array.prototype.filter.call(container.querySelectorAll(selector), function (b) { return !b.disabled; });
      var i = items.indexOf(document.activeElement);
      if (i < 0) return;
      event.preventDefault();
      items[(i + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length].focus();
    });
  }

  function render() {
    document.documentElement.lang = lang;
    var view = state.view;
    if (state.ended) {
      badge.hidden = true;
      show("gone", buildGone);
      return;
    }
    if (!code && !state.refused && !state.resumeSkipped && state.resume === undefined) {
      show("loading", function () { return { node: el("p", { class: "loading", id: "loading", text: t("loading") }) }; });
      return;
    }
    if (!code && !state.refused && !state.resumeSkipped && state.resume && state.resume.length) {
      badge.hidden = true;
      show("resume:" + lang, buildResume);
      return;
    }
    if (!code || state.refused) {
      badge.hidden = true;
      show("code:" + (state.refused ? state.refused() : ""), buildCodeForm);
      return;
    }
    if (state.me === undefined || view === null) {
      show("loading", function () {
        return { node: el("p", { class: "loading", id: "loading", text: t("loading") }) };
      });
      return;
    }
    var w = view.workshop;
    if (state.me === null && state.removed) {
      badge.hidden = true;
      show("removed", buildRemoved);
      return;
    }
    if (state.me === null) {
      badge.hidden = true;
      if (w.phase === "finished") {
        show("ended", buildEnded);
      } else {
        show("name", buildNameForm);
      }
      return;
    }
    if (view.role === "guest") {
      badge.hidden = true;
      if (w.phase === "finished") show("ended", buildEnded);
      else show("guest", buildGuest);
      return;
    }
    if (view.role === "team") {
      badge.hidden = false;
      badge.textContent = view.team.name;
      renderTeam(view);
    }
  }

  /* ---- code form ------------------------------------------------------------------- */

  function buildCodeForm() {
    var input = el("input", {
      id: "code-input",
      name: "code",
      type: "text",
      class: "code-input",
      maxLength: 6,
      autocomplete: "off",
      required: true,
      value: code,
      attrs: {
        autocapitalize: "characters",
        autocorrect: "off",
        spellcheck: "false",
        inputmode: "text",
        pattern: "[A-Za-z0-9]{6}",
        "aria-describedby": "code-hint",
        "data-testid": "code-input"
      }
    });
    var form = el("form", { class: "stack card-panel", id: "code-form", attrs: { novalidate: true, method: "get", action: "/join" } }, [
      el("h1", { text: t("code_title") }),
      state.refused ? el("p", { class: "notice notice-error", id: "code-error", attrs: { role: "alert" }, text: state.refused() }) : null,
      el("div", { class: "field" }, [
        el("label", { htmlFor: "code-input", text: t("code_label") }),
        input,
        el("span", { class: "hint", id: "code-hint", text: t("code_hint") })
      ]),
      el("button", { type: "submit", id: "code-btn", class: "btn btn-primary btn-big", text: t("code_btn"), attrs: { "data-testid": "code-btn" } })
    ]);
    input.addEventListener("input", function () {
      var clean = input.value.replace(/[^A-Za-z0-9]/g, "").toUpperCase().slice(0, 6);
      if (clean !== input.value) input.value = clean;
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = input.value.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
      if (!/^[A-Z0-9]{6}$/.test(value)) {
        A.alerts.clear();
        A.alerts.show(t("code_invalid"), "error");
        input.focus();
        return;
      }
      window.location.href = "/j/" + encodeURIComponent(value);
    });
    return { node: form };
  }

  /* ---- back on /play: continue in a workshop this phone takes part in ---------------- */

  /* The room codes this phone holds a token for ("aandacht:<CODE>"), with their tokens. */
  function storedTokens() {
    var tokens = {};
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var m = /^aandacht:([A-Z0-9]{6})$/.exec(window.localStorage.key(i) || "");
        if (m) tokens[m[1]] = window.localStorage.getItem(m[0]);
      }
    } catch (e) { /* no localStorage (private mode): nothing to continue */ }
    return tokens;
  }

  /* Ask the server which stored tokens still let this phone in (only a token's holder learns anything, and no room
   * code is guessed: see /play/resume); until it answers the page says "Loading", then offers to continue. */
  function askResume() {
    var tokens = storedTokens();
    if (!Object.keys(tokens).length) { state.resume = null; return; }
    state.resume = undefined;
    window.fetch("/play/resume", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tokens: tokens }),
      credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : { rooms: [] };
    }).then(function (data) {
      state.resume = (data && data.rooms) || [];
    }, function () {
      state.resume = []; // offline or a server error: the code form, as without a token
    }).then(render);
  }

  function buildResume() {
    var room = state.resume[0];
    var other = el("button", { type: "button", class: "btn btn-secondary", id: "resume-other", text: t("resume_other"), attrs: { "data-testid": "resume-other" } });
    other.addEventListener("click", function () {
      state.resumeSkipped = true;
      render();
    });
    return {
      node: el("div", { class: "card-panel stack", id: "resume", attrs: { "data-testid": "resume" } }, [
        el("h1", { text: t("resume_title") }),
        el("a", {
          class: "btn btn-primary btn-big", id: "resume-btn", href: "/j/" + encodeURIComponent(room.code),
          attrs: { "data-testid": "resume-btn" },
          text: room.team ? t("resume_as_in", { name: room.name, team: room.team }) : t("resume_as", { name: room.name })
        }),
        other
      ])
    };
  }

  /* ---- name form ------------------------------------------------------------------- */

  function buildNameForm() {
    var input = el("input", {
      id: "name-input",
      name: "name",
      type: "text",
      maxLength: 30,
      autocomplete: "nickname",
      required: true,
      attrs: { enterkeyhint: "go", "aria-describedby": "name-hint", "data-testid": "name-input", "data-focus-start": true }
    });
    var button = el("button", { type: "submit", id: "join-btn", class: "btn btn-primary btn-big", text: t("join_btn"), attrs: { "data-testid": "join-btn" } });
    var title = el("p", { class: "workshop-title", id: "workshop-title" });
    var form = el("form", { class: "stack card-panel", id: "name-form", attrs: { novalidate: true } }, [
      title,
      el("h1", { text: t("name_title") }),
      el("div", { class: "field" }, [
        el("label", { htmlFor: "name-input", text: t("name_label") }),
        input,
        el("span", { class: "hint", id: "name-hint", text: t("name_hint") })
      ]),
      button
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = input.value.trim();
      if (!name) {
        A.alerts.show(t("name_required"), "error");
        input.focus();
        return;
      }
      button.disabled = true;
      A.emit(socket, "join_workshop", { name: name }).then(function (ack) {
        saveToken(ack.token);
        if (ack.player) state.me = ack.player;
        A.alerts.clear();
        render();
      }).catch(function (error) {
        if (error.code === "already_joined") {
          socket.emit("sync", {}, function () {});
        }
        showError(error);
      }).then(function () { button.disabled = false; });
    });
    window.setTimeout(function () { if (document.activeElement === document.body) input.focus(); }, 0);
    return {
      node: form,
      update: function () { title.textContent = state.view ? state.view.workshop.title : ""; }
    };
  }

  function buildEnded() {
    return {
      node: el("div", { class: "card-panel stack", id: "ended" }, [
        el("h1", { text: t("finished_title") }),
        el("p", { text: t("workshop_finished") })
      ])
    };
  }

  /* The facilitator removed this phone: why, and what to do; no name form (a new name would be refused). */
  function buildRemoved() {
    return {
      node: el("div", { class: "card-panel stack", id: "removed", attrs: { "data-testid": "removed" } }, [
        el("h1", { text: t("removed_title") }),
        el("p", { text: t("removed_text") })
      ])
    };
  }

  /* The workshop was deleted: the end, whatever the phone was showing. */
  function buildGone() {
    return {
      node: el("div", { class: "card-panel stack", id: "gone", attrs: { "data-testid": "workshop-gone" } }, [
        el("h1", { text: t("workshop_ended") }),
        el("p", { text: t("workshop_gone_text") })
      ])
    };
  }

  /* ---- guest: pick or create a team ---------------------------------------------------- */

  function buildGuest() {
    var hello = el("p", { class: "hello" });
    var listBox = el("div", { id: "team-options", attrs: { "data-testid": "team-options" } });
    var listSection = new A.Section(listBox);
    var newName = el("input", {
      id: "new-team-name",
      type: "text",
      maxLength: 30,
      autocomplete: "off",
      attrs: { enterkeyhint: "done", "data-testid": "new-team-name" }
    });
    var newCount = A.limitCounter(newName, function (n) { return t("chars_left", { n: n }); });
    var createBtn = el("button", { type: "submit", id: "create-team-btn", class: "btn btn-secondary", text: t("create_team_btn"), attrs: { "data-testid": "create-team-btn" } });
    var newForm = el("form", { class: "stack new-team", id: "new-team-form", attrs: { novalidate: true } }, [
      el("h2", { text: t("new_team_title") }),
      el("div", { class: "field" }, [el("label", { htmlFor: "new-team-name", text: t("new_team_label") }), newName, newCount]),
      createBtn
    ]);
    newForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = newName.value.trim();
      if (!name) {
        A.alerts.show(t("team_name_required"), "error");
        newName.focus();
        return;
      }
      createBtn.disabled = true;
      state.ownTeamChoice = true;
      A.emit(socket, "create_team", { name: name }).then(function () {
        newName.value = "";
        A.alerts.clear();
      }).catch(function (error) {
        state.ownTeamChoice = false;
        showError(error);
      }).then(function () { createBtn.disabled = false; });
    });
    arrowKeys(listBox, ".team-option");
    listBox.addEventListener("click", function (event) {
      var button = event.target.closest(".team-option");
      if (!button || button.disabled) return;
      button.disabled = true;
      state.ownTeamChoice = true;
      A.emit(socket, "join_team", { team_id: button.dataset.teamId }).then(function () {
        A.alerts.clear();
      }).catch(function (error) {
        state.ownTeamChoice = false;
        button.disabled = false;
        showError(error);
      });
    });
    var closedNote = el("p", { class: "hint", id: "teams-closed-note", text: t("teams_fixed_note") });

    var node = el("div", { class: "stack", id: "guest" }, [
      hello,
      el("h1", { text: t("team_title") }),
      closedNote,
      listBox,
      newForm
    ]);
    return {
      node: node,
      scrollTop: true,
      update: function () {
        var view = state.view;
        var w = view.workshop;
        hello.textContent = t("hello", { name: state.me ? state.me.name : "" });
        newForm.hidden = !w.teams_open;
        closedNote.hidden = w.teams_open || !view.teams.length;
        listSection.render({ teams: view.teams, total: view.teams_total, open: w.teams_open, max: w.team_size, lang: lang }, function (d) {
          if (!d.teams.length) {
            return el("p", { class: "empty", text: t(d.open ? "no_teams_open" : "no_teams_closed") });
          }
          var list = el("ul", { class: "team-options" }, d.teams.map(function (team) {
            return el("li", null, [
              el("button", {
                type: "button",
                class: ["team-option", team.full ? "is-full" : ""],
                disabled: !!team.full,
                dataset: { teamId: team.id, focusKey: "team-" + team.id, testid: "team-option" }
              }, [
                el("span", { class: "team-option-name", text: team.name }),
                el("span", { class: "team-option-size", text: team.full ? t("team_full") : t("team_size", { n: team.size, max: d.max }) })
              ])
            ]);
          }));
          if (!(d.total > d.teams.length)) return list;
          return el("div", null, [list, el("p", { class: "hint", id: "teams-shown", text: t("teams_shown", { shown: d.teams.length, total: d.total }) })]);
        });
      }
    };
  }

  /* ---- in a team ------------------------------------------------------------------- */

  function captainOf(team) {
    for (var i = 0; i < team.members.length; i++) if (team.members[i].captain) return team.members[i];
    return null;
  }

  /* Tell a player who has just become their team's captain: the facilitator chose them, or the captain's phone
   * was away and captaincy passed to them (or the captain left the team). */
  function noteCaptain(view) {
    var captain = view.role === "team" && state.me ? captainOf(view.team) : null;
    var mine = !!(captain && captain.id === state.me.id);
    var was = state.captainWas;
    state.captainWas = view.role === "team" && state.me ? { team: view.team.id, mine: mine } : null;
    if (mine && was && was.team === view.team.id && !was.mine) A.alerts.show(t("now_captain"), "info");
  }

  function nameOf(team, playerId) {
    if (state.me && playerId === state.me.id) return t("you");
    for (var i = 0; i < team.members.length; i++) if (team.members[i].id === playerId) return team.members[i].name;
    return null;
  }

  function myPick(view) {
    var p = state.pendingPick;
    if (p && p.round === view.workshop.round) return p.responseId;
    return state.me ? view.picks[state.me.id] || null : null;
  }

  function renderTeam(view) {
    var w = view.workshop;
    var phase = w.phase;
    var captain = captainOf(view.team);
    var iAmCaptain = !!(captain && state.me && captain.id === state.me.id);
    if (phase === "collecting" && view.card) {
      var key = ["team", "collecting", w.round, view.team.id, view.answer ? "answered" : "open", iAmCaptain ? "captain" : "member"].join(":");
      var own = view.card.kind === "open";
      show(key, function () { return own ? buildOpenCollecting(view, iAmCaptain) : buildCollecting(view, iAmCaptain); });
      return;
    }
    // screens without text fields: rebuild whenever what they show changes
    var sig = JSON.stringify([phase, w.round, view.team, view.answer, view.reveal, view.score, view.leaderboard, view.podium, w.cards_total, w.cards_left, state.me && state.me.id, lang]);
    var key2 = "team:" + phase + ":" + sig;
    if (phase === "lobby" || (!view.card && phase !== "finished")) show(key2, function () { return buildTeamLobby(view); });
    else if (phase === "locked") show(key2, function () { return buildLocked(view); });
    else if (phase === "revealed" || phase === "scored") show(key2, function () { return buildResult(view); });
    else if (phase === "finished") {
      // built once (it holds the commitment field); its parts update in place
      show(["team", "finished", view.team.id, state.me && state.me.id, lang].join(":"), function () { return buildFinished(); });
    }
    else show(key2, function () { return buildTeamLobby(view); });
  }

  function memberList(team) {
    return el("ul", { class: "member-list", id: "members" }, team.members.map(function (m) {
      var mine = state.me && m.id === state.me.id;
      return el("li", { class: ["member", mine ? "is-me" : ""], dataset: { playerId: m.id } }, [
        el("span", { class: "member-name", text: m.name }),
        mine ? el("span", { class: "tag", text: t("you") }) : null,
        m.captain ? el("span", { class: "tag tag-captain", text: t("captain") }) : null
      ]);
    }));
  }

  function buildTeamLobby(view) {
    var others = view.team.members.filter(function (m) { return !state.me || m.id !== state.me.id; })
      .map(function (m) { return m.name; });
    var w = view.workshop;
    var waiting = w.round >= 0 ? t("waiting_next_card") : t("waiting_first_card");
    return {
      node: el("div", { class: "stack", id: "team-lobby", attrs: { "data-testid": "team-lobby" } }, [
        el("p", { class: "workshop-title", text: w.title }),
        el("h1", { class: "team-heading" }, [
          el("span", { class: "muted", text: t("in_team") + " " }),
          el("span", { id: "team-name", text: view.team.name })
        ]),
        el("p", { text: others.length ? t("with_members", { names: A.listNames(lang, others) }) : t("alone") }),
        memberList(view.team),
        el("p", { class: "waiting", id: "waiting" }, [el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }), waiting])
      ])
    };
  }

  function cardHeader(view) {
    var w = view.workshop;
    return el("p", { class: "card-meta" }, [
      el("span", { text: t("card_of", { n: w.round + 1, total: w.cards_total }) })
    ]);
  }

  function countdownBox() {
    return el("div", { class: "countdown-box", id: "countdown-box" }, [
      el("span", { class: "countdown-label", text: t("time_left") }),
      el("span", { class: "countdown", id: "countdown", attrs: { role: "timer", "aria-live": "off", "data-testid": "countdown" } })
    ]);
  }

  function buildCollecting(view, iAmCaptain) {
    var round = view.workshop.round;
    var card = view.card;
    var answered = !!view.answer;
    var cdBox = countdownBox();
    var buttons = {};
    var pickerSpans = {};
    var list = el("ul", { class: "responses", id: "responses" }, card.responses.map(function (r) {
      var pickers = el("span", { class: "pickers", attrs: { "aria-live": "polite" } });
      pickerSpans[r.id] = pickers;
      var button = el("button", {
        type: "button",
        class: "response-btn",
        disabled: answered,
        dataset: { responseId: r.id, testid: "response-btn", focusKey: "response-" + r.id },
        attrs: { "aria-pressed": "false" }
      }, [el("span", { class: "response-text", text: r.text }), pickers]);
      buttons[r.id] = button;
      return el("li", null, [button]);
    }));
    list.addEventListener("click", function (event) {
      var button = event.target.closest(".response-btn");
      if (!button || button.disabled) return;
      pick(round, button.dataset.responseId);
    });
    arrowKeys(list, ".response-btn");

    var lockBox = null;
    var whyInput = null;
    var lockBtn = null;
    var captainNote = el("p", { class: "captain-note", id: "captain-note" });
    if (!answered && iAmCaptain) {
      whyInput = el("input", {
        id: "why-input",
        type: "text",
        maxLength: 140,
        autocomplete: "off",
        placeholder: t("why_placeholder"),
        attrs: { enterkeyhint: "done", "data-testid": "why-input" }
      });
      lockBtn = el("button", { type: "submit", id: "lock-btn", class: "btn btn-primary btn-big", text: t("lock_btn"), disabled: true, attrs: { "data-testid": "lock-btn" } });
      var needs = el("p", { class: "hint", id: "lock-hint", text: t("lock_needs_pick") });
      lockBox = el("form", { class: "lock-box stack", id: "lock-form", attrs: { novalidate: true } }, [
        captainNote,
        el("div", { class: "field" }, [el("label", { htmlFor: "why-input", text: t("why_label") }), whyInput]),
        lockBtn,
        needs
      ]);
      lockBox.addEventListener("submit", function (event) {
        event.preventDefault();
        var responseId = myPick(state.view);
        if (!responseId || state.locking) return;
        state.locking = true;
        lockBtn.disabled = true;
        A.emit(socket, "lock_in", { round: round, response_id: responseId, why: whyInput.value.trim() })
          .then(function () { A.alerts.clear(); })
          .catch(showError)
          .then(function () {
            state.locking = false;
            if (current.update) current.update();
            // refused: the button was disabled under the focus; give it back
            if (document.activeElement === document.body && lockBtn.isConnected && !lockBtn.disabled) lockBtn.focus();
          });
      });
    } else if (!answered) {
      lockBox = el("div", { class: "lock-box" }, [captainNote]);
    }

    var lockedIn = null;
    if (answered) {
      var chosen = card.responses.filter(function (r) { return r.id === view.answer.response_id; })[0];
      lockedIn = el("div", { class: "locked-in", id: "locked-in", attrs: { role: "status", "data-testid": "locked-in", "data-focus-start": true, tabindex: "-1" } }, [
        el("p", { class: "locked-label", text: t("locked_in") }),
        el("p", { class: "locked-text", text: chosen ? chosen.text : "" }),
        view.answer.why ? el("p", { class: "locked-why", text: "“" + view.answer.why + "”" }) : null,
        view.answer.auto ? el("p", { class: "hint", text: t("locked_auto") }) : null,
        el("p", { class: "waiting" }, [el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }), t("locked_wait")])
      ]);
    }

    var node = el("div", { class: ["stack", "collecting", answered ? "is-answered" : ""], id: "round", dataset: { round: round } }, [
      el("div", { class: "round-top" }, [cardHeader(view), cdBox]),
      el("h1", { id: "card-title", class: "card-title", text: card.title }),
      el("p", { class: "situation", id: "situation", text: card.situation }),
      el("p", { class: "question", id: "question", text: card.question }),
      lockedIn,
      answered ? null : el("p", { class: "hint", text: t("choose_hint") }),
      list,
      answered ? null : el("p", { class: "hint team-rule", id: "team-rule", attrs: { "data-testid": "team-rule" }, text: t("team_rule") }),
      lockBox
    ]);

    return {
      node: node,
      scrollTop: true,
      update: function () {
        var v = state.view;
        if (!v || !v.card) return;
        var hasDeadline = v.timer && v.timer.deadline !== null && v.timer.deadline !== undefined;
        cdBox.hidden = !hasDeadline;
        var mine = myPick(v);
        var byResponse = {};
        Object.keys(v.picks || {}).forEach(function (pid) {
          if (state.me && pid === state.me.id) return;
          var name = nameOf(v.team, pid);
          if (!name) return;
          (byResponse[v.picks[pid]] = byResponse[v.picks[pid]] || []).push(name);
        });
        if (mine) (byResponse[mine] = byResponse[mine] || []).unshift(t("you"));
        Object.keys(buttons).forEach(function (rid) {
          var chosenByTeam = v.answer && v.answer.response_id === rid;
          var pressed = answered ? chosenByTeam : mine === rid;
          buttons[rid].setAttribute("aria-pressed", pressed ? "true" : "false");
          buttons[rid].classList.toggle("is-mine", mine === rid);
          buttons[rid].classList.toggle("is-chosen", !!chosenByTeam);
          buttons[rid].classList.toggle("is-pending", !!(state.pendingPick && state.pendingPick.responseId === rid));
          var names = byResponse[rid] || [];
          var text = names.length ? names.join(", ") : "";
          if (pickerSpans[rid].textContent !== text) pickerSpans[rid].textContent = text;
          pickerSpans[rid].hidden = !names.length;
        });
        var captain = captainOf(v.team);
        if (iAmCaptain) {
          captainNote.textContent = t("you_are_captain");
        } else {
          captainNote.textContent = t("captain_locks", { name: captain ? captain.name : "?" });
        }
        if (lockBtn) {
          lockBtn.disabled = !mine || state.locking;
          var hint = document.getElementById("lock-hint");
          if (hint) hint.hidden = !!mine;
        }
      }
    };
  }

  /* ---- an open card: the team writes its own answer -------------------------------------- */

  var DRAFT_SEND_MS = 700; // a draft goes to the team this long after the typing stops
  var draftSends = 0;

  function draftKey(round) { return "aandacht:" + code + ":draft:" + round; }

  function storedDraft(round) {
    var raw = A.store.get(draftKey(round));
    if (!raw) return null;
    try {
      var d = JSON.parse(raw);
      if (d && typeof d.text === "string" && typeof d.playerId === "string" && state.me && d.playerId === state.me.id) return d;
    } catch (e) { /* not ours */ }
    A.store.remove(draftKey(round));
    return null;
  }

  /* Share my draft with the team. It is kept in localStorage until the server has it, so a reload,
   * a dead tab or a lost network never loses what was typed; the newest draft wins (seq). */
  function sendDraft(round, text) {
    if (!state.me) return;
    var d = { round: round, text: text, pickId: A.randomId(12), seq: Date.now(), playerId: state.me.id, acked: false };
    A.store.set(draftKey(round), JSON.stringify(d));
    pushDraft(d);
  }

  function pushDraft(d) {
    if (!socket || !socket.connected) return;
    var n = ++draftSends;
    A.emit(socket, "submit_pick", { round: d.round, text: d.text, pick_id: d.pickId, seq: d.seq }).then(function () {
      var kept = storedDraft(d.round);
      if (kept && kept.pickId === d.pickId) {
        kept.acked = true;
        A.store.set(draftKey(d.round), JSON.stringify(kept));
      }
      if (n === draftSends && current.update) current.update();
    }).catch(function (error) {
      if (error.code !== "timeout") showError(error);
    });
  }

  /* After a (re)connect or a new state: send a kept draft the server does not have yet. */
  function resendDraft() {
    var v = state.view;
    if (!v || v.role !== "team" || !state.me || !v.card || v.card.kind !== "open") return;
    if (v.workshop.phase !== "collecting" || v.answer) return;
    var d = storedDraft(v.workshop.round);
    if (!d || d.acked) return;
    if ((v.drafts || {})[state.me.id] === d.text) return;
    pushDraft(d);
  }

  function buildOpenCollecting(view, iAmCaptain) {
    var round = view.workshop.round;
    var card = view.card;
    var answered = !!view.answer;
    var cdBox = countdownBox();
    var captainNote = el("p", { class: "captain-note", id: "captain-note" });
    var draftsList = el("ul", { class: "draft-list", id: "drafts", attrs: { "aria-live": "polite" } });
    var draftsBox = el("section", { class: "drafts-box", attrs: { "aria-labelledby": "drafts-heading" } }, [
      el("h2", { id: "drafts-heading", class: "box-label", text: t("open_drafts") }),
      draftsList
    ]);
    var form = null;
    var input = null;
    var whyInput = null;
    var lockBtn = null;
    var count = null;
    var saved = null;
    var timer = null;
    if (!answered) {
      var kept = storedDraft(round);
      var mine = kept ? kept.text : ((view.drafts || {})[state.me ? state.me.id : ""] || "");
      input = el("textarea", {
        id: "open-input",
        class: "open-input",
        maxLength: 280,
        rows: 4,
        placeholder: t("open_placeholder"),
        attrs: { "data-testid": "open-input", "aria-describedby": "open-hint open-count" }
      });
      input.value = mine;
      count = el("span", { class: "hint", id: "open-count", attrs: { "aria-live": "off" } });
      saved = el("span", { class: "hint draft-saved", id: "draft-saved", hidden: true, text: t("open_draft_saved") });
      var updateCount = function () { count.textContent = t("open_chars", { n: input.value.length }); };
      updateCount();
      input.addEventListener("input", function () {
        updateCount();
        saved.hidden = true;
        if (lockBtn) lockBtn.disabled = !input.value.trim() || state.locking;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { sendDraft(round, input.value.trim()); }, DRAFT_SEND_MS);
      });
      var children = [
        el("div", { class: "field" }, [
          el("label", { htmlFor: "open-input", text: t("open_label") }),
          el("p", { class: "hint", id: "open-hint", text: t("open_hint") }),
          input,
          el("p", { class: "field-foot" }, [count, " ", saved])
        ]),
        captainNote
      ];
      if (iAmCaptain) {
        whyInput = el("input", {
          id: "why-input", type: "text", maxLength: 140, autocomplete: "off", placeholder: t("why_placeholder"),
          attrs: { enterkeyhint: "done", "data-testid": "why-input" }
        });
        lockBtn = el("button", { type: "submit", id: "lock-btn", class: "btn btn-primary btn-big", text: t("lock_btn"), disabled: !mine.trim(), attrs: { "data-testid": "lock-btn" } });
        children.push(el("div", { class: "field" }, [el("label", { htmlFor: "why-input", text: t("why_label") }), whyInput]));
        children.push(lockBtn);
      }
      form = el("form", { class: "lock-box stack", id: "lock-form", attrs: { novalidate: true } }, children);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!iAmCaptain) return;
        var text = input.value.trim();
        if (!text) { A.alerts.show(t("open_lock_needs_text"), "error"); return; }
        if (state.locking) return;
        window.clearTimeout(timer);
        state.locking = true;
        lockBtn.disabled = true;
        A.emit(socket, "lock_in", { round: round, text: text, why: whyInput.value.trim() })
          .then(function () { A.alerts.clear(); A.store.remove(draftKey(round)); })
          .catch(showError)
          .then(function () { state.locking = false; if (current.update) current.update(); });
      });
      draftsList.addEventListener("click", function (event) {
        var button = event.target.closest(".use-draft");
        if (!button || !input) return;
        input.value = button.dataset.text;
        input.dispatchEvent(new Event("input"));
        input.focus();
      });
    }
    var lockedIn = answered ? el("div", { class: "locked-in", id: "locked-in", attrs: { role: "status", "data-testid": "locked-in", "data-focus-start": true, tabindex: "-1" } }, [
      el("p", { class: "locked-label", text: t("locked_in") }),
      el("p", { class: "locked-text", text: view.answer.text }),
      view.answer.why ? el("p", { class: "locked-why", text: "“" + view.answer.why + "”" }) : null,
      view.answer.auto ? el("p", { class: "hint", text: t("locked_auto_open") }) : null,
      el("p", { class: "waiting" }, [el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }), t("locked_wait")])
    ]) : null;
    var node = el("div", { class: ["stack", "collecting", "is-open-card", answered ? "is-answered" : ""], id: "round", dataset: { round: round } }, [
      el("div", { class: "round-top" }, [cardHeader(view), cdBox]),
      el("h1", { id: "card-title", class: "card-title", text: card.title }),
      el("p", { class: "situation", id: "situation", text: card.situation }),
      el("p", { class: "question", id: "question", text: card.question }),
      lockedIn,
      form,
      answered ? null : el("p", { class: "hint team-rule", id: "team-rule", attrs: { "data-testid": "team-rule" }, text: t("team_rule_open") }),
      answered ? null : draftsBox
    ]);
    var lastDrafts = null;
    return {
      node: node,
      scrollTop: true,
      update: function () {
        var v = state.view;
        if (!v || !v.card) return;
        var hasDeadline = v.timer && v.timer.deadline !== null && v.timer.deadline !== undefined;
        cdBox.hidden = !hasDeadline;
        var captain = captainOf(v.team);
        captainNote.textContent = iAmCaptain ? t("you_are_captain") : t("captain_locks", { name: captain ? captain.name : "?" });
        var drafts = v.drafts || {};
        if (saved && state.me) saved.hidden = !(input && input.value.trim() && drafts[state.me.id] === input.value.trim());
        var sig = JSON.stringify([drafts, v.team.members, lang]);
        if (sig === lastDrafts) return;
        lastDrafts = sig;
        var others = Object.keys(drafts).filter(function (pid) { return !state.me || pid !== state.me.id; });
        A.fill(draftsList, others.length ? others.map(function (pid) {
          return el("li", { class: "draft", dataset: { playerId: pid } }, [
            el("p", { class: "draft-author", text: nameOf(v.team, pid) || "?" }),
            el("p", { class: "draft-text", text: drafts[pid] }),
            input ? el("button", { type: "button", class: "btn btn-small use-draft", dataset: { text: drafts[pid] }, text: t("open_use") }) : null
          ]);
        }) : [el("li", { class: "hint", text: "—" })]);
      }
    };
  }

  function pick(round, responseId) {
    var view = state.view;
    if (!view || view.answer || !state.me) return;
    var p = { round: round, responseId: responseId, pickId: A.randomId(12), seq: Date.now(), playerId: state.me.id, acked: false };
    state.pendingPick = p;
    storePick(p);
    if (current.update) current.update();
    sendPick(p);
  }

  /* Send a pick; without a connection it waits in localStorage and goes out after the reconnect
   * (never into Socket.IO's offline buffer, which would deliver an outdated pick later). */
  function sendPick(p) {
    if (!socket || !socket.connected) return;
    var n = ++pickSends;
    pickInFlight = n;
    A.emit(socket, "submit_pick", { round: p.round, response_id: p.responseId, pick_id: p.pickId, seq: p.seq || 0 }).then(function () {
      if (pickInFlight === n) pickInFlight = 0;
      if (state.pendingPick && state.pendingPick.pickId === p.pickId) {
        state.pendingPick.acked = true;
        forgetStoredPick(p.pickId); // committed on the server
        // the state with this pick may already be here; if not it follows right away
        var confirmed = state.view && state.me && state.view.picks && state.view.picks[state.me.id] === p.responseId;
        if (confirmed) state.pendingPick = null;
      }
      if (current.update) current.update();
    }).catch(function (error) {
      if (pickInFlight === n) pickInFlight = 0;
      var stillMine = state.pendingPick && state.pendingPick.pickId === p.pickId && !state.pendingPick.acked;
      if (error.code === "timeout") {
        // no answer: keep the pick; it is sent again once the connection is back (or on the next state)
        if (stillMine && socket.connected) showError(error);
        return;
      }
      if (stillMine) clearPendingPick();
      if (current.update) current.update();
      showError(error);
    });
  }

  /* After a (re)connect, a reload or any new state: send the kept pick if the server still lacks it. */
  function resendPick() {
    var p = state.pendingPick;
    var v = state.view;
    if (!p || p.acked || pickInFlight || !socket || !socket.connected) return;
    if (!v || v.role !== "team" || !state.me || state.me.id !== p.playerId) return;
    if (v.workshop.phase !== "collecting" || v.workshop.round !== p.round || v.answer) return;
    if (v.picks && v.picks[state.me.id] === p.responseId) return;
    sendPick(p);
  }

  function storePick(p) {
    A.store.set(pickKey, JSON.stringify({ round: p.round, responseId: p.responseId, pickId: p.pickId, seq: p.seq, playerId: p.playerId }));
  }

  function forgetStoredPick(pickId) {
    var stored = loadStoredPick();
    if (!stored || !pickId || stored.pickId === pickId) A.store.remove(pickKey);
  }

  function loadStoredPick() {
    var raw = A.store.get(pickKey);
    if (!raw) return null;
    try {
      var p = JSON.parse(raw);
      if (p && typeof p.round === "number" && typeof p.responseId === "string" &&
          typeof p.pickId === "string" && typeof p.playerId === "string") {
        return { round: p.round, responseId: p.responseId, pickId: p.pickId, seq: p.seq, playerId: p.playerId, acked: false };
      }
    } catch (e) { /* not ours: drop it */ }
    A.store.remove(pickKey);
    return null;
  }

  function clearPendingPick() {
    state.pendingPick = null;
    A.store.remove(pickKey);
  }

  function buildLocked(view) {
    var answer = view.answer;
    var chosen = answer && view.card ? view.card.responses.filter(function (r) { return r.id === answer.response_id; })[0] : null;
    if (answer && answer.text) chosen = { text: answer.text };
    return {
      node: el("div", { class: "stack", id: "round-closed", attrs: { "data-testid": "round-closed" } }, [
        cardHeader(view),
        el("h1", { text: t("round_closed") }),
        chosen ? el("div", { class: "locked-in", id: "locked-in", attrs: { "data-testid": "locked-in" } }, [
          el("p", { class: "locked-label", text: t("locked_in") }),
          el("p", { class: "locked-text", text: chosen.text }),
          answer.why ? el("p", { class: "locked-why", text: "“" + answer.why + "”" }) : null,
          answer.auto ? el("p", { class: "hint", text: t(answer.text ? "locked_auto_open" : "locked_auto") }) : null
        ]) : el("p", { class: "notice", text: t("no_answer_team") }),
        el("p", { class: "waiting" }, [el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }), t("round_closed_hint")])
      ]),
      scrollTop: true
    };
  }

  function scoreTable(score) {
    var dims = ["attention", "ease", "resolution", "ownership", "proportion"];
    var rows = dims.map(function (d) {
      return el("tr", null, [
        el("th", { attrs: { scope: "row" }, text: t("dim_" + d) }),
        el("td", { class: "num", text: String(score[d]) + " / 3" })
      ]);
    });
    if (score.flag) rows.push(el("tr", { class: "is-flag" }, [el("th", { attrs: { scope: "row" }, text: t("flag") }), el("td", { class: "num", text: "−1" })]));
    if (score.bonus) rows.push(el("tr", null, [el("th", { attrs: { scope: "row" }, text: t("bonus") }), el("td", { class: "num", text: "+" + score.bonus })]));
    rows.push(el("tr", { class: "total-row" }, [el("th", { attrs: { scope: "row" }, text: t("total") }), el("td", { class: "num", text: t("points", { n: score.total }) })]));
    return el("table", { class: "score-table", id: "score" }, [el("tbody", null, rows)]);
  }

  function leaderboardBlock(view) {
    if (!view.leaderboard) {
      return el("section", { class: "lb-block", id: "leaderboard-hidden" }, [el("p", { class: "hint", text: t("leaderboard_hidden") })]);
    }
    return el("section", { class: "lb-block", attrs: { "aria-labelledby": "lb-heading" } }, [
      el("h2", { id: "lb-heading", text: t(view.workshop.phase === "finished" ? "final_standings" : "leaderboard") }),
      el("div", { id: "leaderboard", attrs: { "data-testid": "leaderboard" } }, [
        A.buildLeaderboard(view.leaderboard, A.widgetLabels(lang), { highlightTeamId: view.team.id })
      ])
    ]);
  }

  function buildResult(view) {
    var reveal = view.reveal;
    var answer = view.answer;
    var children = [cardHeader(view), el("p", { class: "card-title-small", text: view.card ? view.card.title : "" })];
    if (reveal && reveal.kind === "open") {
      var spot = reveal.spotlight;
      var openChildren = [el("h1", { class: "result-title", text: answer ? t("result_open") : t("no_answer_team") })];
      if (answer) {
        openChildren.push(el("div", { class: "answer-box is-mine" }, [
          el("p", { class: "box-label", text: t("your_answer") }),
          el("p", { class: "answer-text", text: answer.text }),
          answer.why ? el("p", { class: "locked-why", text: "“" + answer.why + "”" }) : null
        ]));
      }
      if (spot) {
        openChildren.push(el("div", { class: "answer-box is-best", id: "spotlight" }, [
          el("p", { class: "box-label", text: "★ " + t("spotlight_label") + ": " + spot.name }),
          el("p", { class: "answer-text", text: spot.text })
        ]));
      }
      if (reveal.lesson) {
        openChildren.push(el("div", { class: "lesson" }, [el("p", { class: "box-label", text: t("lesson") }), el("p", { text: reveal.lesson })]));
      }
      children.push(el("section", { id: "result", class: "stack", dataset: { testid: "result" } }, openChildren));
    } else if (reveal) {
      var byId = {};
      reveal.responses.forEach(function (r) { byId[r.id] = r; });
      var best = byId[reveal.best_id];
      var mine = answer ? byId[answer.response_id] : null;
      var wasBest = !!(mine && mine.id === reveal.best_id);
      var resultChildren = [
        el("h1", { class: ["result-title", wasBest ? "is-best" : ""], text: !mine ? t("no_answer_team") : wasBest ? t("result_best") : t("result_not_best") })
      ];
      if (mine) {
        resultChildren.push(el("div", { class: ["answer-box", wasBest ? "is-best" : "is-mine"] }, [
          el("p", { class: "box-label", text: t("your_answer") }),
          el("p", { class: "answer-text", text: mine.text }),
          answer.why ? el("p", { class: "locked-why", text: "“" + answer.why + "”" }) : null,
          mine.feedback ? el("p", { class: "feedback", text: mine.feedback }) : null
        ]));
      }
      if (!wasBest && best) {
        resultChildren.push(el("div", { class: "answer-box is-best" }, [
          el("p", { class: "box-label", text: "★ " + t("best_answer") }),
          el("p", { class: "answer-text", text: best.text }),
          best.feedback ? el("p", { class: "feedback", text: best.feedback }) : null
        ]));
      }
      if (reveal.lesson) {
        resultChildren.push(el("div", { class: "lesson" }, [
          el("p", { class: "box-label", text: t("lesson") }),
          el("p", { text: reveal.lesson })
        ]));
      }
      children.push(el("section", { id: "result", class: "stack", dataset: { best: wasBest ? "true" : "false", testid: "result" } }, resultChildren));
    }
    if (view.score) {
      children.push(el("section", { class: "score-block", attrs: { "aria-labelledby": "score-heading" } }, [
        el("h2", { id: "score-heading", text: t("score_title") }),
        scoreTable(view.score)
      ]));
    } else if (view.workshop.phase === "revealed" && answer) {
      children.push(el("p", { class: "hint", id: "score-wait", text: t("score_wait") }));
    }
    if (view.workshop.phase === "scored") children.push(leaderboardBlock(view));
    return { node: el("div", { class: "stack", id: "reveal" }, children), scrollTop: true };
  }

  function myCommitment(view) {
    if (!state.me) return null;
    return (view.commitments || []).filter(function (c) { return c.player_id === state.me.id; })[0] || null;
  }

  function commitmentStatus(c) {
    return c.approved === true ? "approved" : c.approved === false ? "hidden" : "pending";
  }

  function teamProfileBlock(view) {
    var debrief = view.debrief;
    var mine = debrief ? (debrief.teams || []).filter(function (x) { return x.team_id === view.team.id; })[0] : null;
    if (!mine) return null;
    var dims = debrief.dimensions || A.DIMENSIONS;
    var ex = A.profileExtremes(mine.profile, dims);
    var dimLabel = function (d) { return t("dim_" + d); };
    return el("section", { class: "profile-block", id: "team-profile-block", attrs: { "aria-labelledby": "profile-heading" } }, [
      el("h2", { id: "profile-heading", text: t("your_profile") }),
      A.buildProfile(mine.profile, {
        id: "team-profile",
        testid: "team-profile",
        dims: dims,
        label: dimLabel,
        extremes: ex,
        compare: debrief.room,
        width: 440,
        fontSize: 22,
        ariaLabel: t("your_profile")
      }),
      A.buildExtremes(mine.profile, ex, {
        strongest: t("strongest"), weakest: t("weakest"), even: t("profile_even"), none: t("no_scores"), dim: dimLabel
      }),
      el("p", { class: "hint", text: t("your_profile_hint") })
    ]);
  }

  function buildFinished() {
    var resultsBox = el("div", { class: "stack", id: "finished-results" });
    var results = new A.Section(resultsBox);
    var boardBox = el("div", { id: "finished-board" });
    var board = new A.Section(boardBox);
    var editing = false;
    var sending = false;
    var sent = null; // the text just sent, until the state shows it

    var mineBox = el("div", { class: "my-commitment", id: "my-commitment", hidden: true, attrs: { "data-testid": "my-commitment", role: "status" } });
    var mineText = el("p", { class: "my-commitment-text" });
    var mineStatus = el("p", { class: "my-commitment-status" });
    var editBtn = el("button", { type: "button", id: "commitment-edit-btn", class: "btn btn-secondary btn-small", text: t("commit_edit") });
    A.fill(mineBox, [el("p", { class: "box-label", text: t("commit_mine") }), mineText, mineStatus, editBtn]);

    var input = el("textarea", {
      id: "commitment-input",
      name: "commitment",
      maxLength: 140,
      autocomplete: "off",
      placeholder: t("commit_placeholder"),
      attrs: { rows: "3", enterkeyhint: "done", "aria-describedby": "commitment-hint commitment-count", "data-testid": "commitment-input" }
    });
    var count = el("span", { class: "hint char-count", id: "commitment-count", attrs: { "aria-live": "polite" } });
    var sendBtn = el("button", { type: "submit", id: "commitment-btn", class: "btn btn-primary btn-big", text: t("commit_btn"), attrs: { "data-testid": "commitment-btn" } });
    var cancelBtn = el("button", { type: "button", id: "commitment-cancel-btn", class: "btn btn-ghost", text: t("commit_cancel"), hidden: true });
    var againNote = el("p", { class: "hint", id: "commitment-again", text: t("commit_again_note"), hidden: true });
    var form = el("form", { class: "stack commitment-form", id: "commitment-form", attrs: { novalidate: true } }, [
      el("div", { class: "field" }, [
        el("label", { htmlFor: "commitment-input", text: t("commit_label") }),
        input,
        count
      ]),
      againNote,
      sendBtn,
      cancelBtn
    ]);

    function updateCount() { count.textContent = t("commit_chars", { n: input.value.length }); }
    input.addEventListener("input", updateCount);
    updateCount();

    editBtn.addEventListener("click", function () {
      var mine = state.view ? myCommitment(state.view) : null;
      editing = true;
      input.value = mine ? mine.text : "";
      updateCount();
      update();
      input.focus();
    });
    cancelBtn.addEventListener("click", function () {
      editing = false;
      input.value = "";
      updateCount();
      update();
      editBtn.focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) {
        A.alerts.show(t("commit_required"), "error");
        input.focus();
        return;
      }
      if (sending) return;
      sending = true;
      var hadFocus = form.contains(document.activeElement);
      sendBtn.disabled = true;
      A.emit(socket, "leave_commitment", { text: text }).then(function () {
        A.alerts.clear();
        sent = text;
        editing = false;
        input.value = "";
        updateCount();
      }).catch(showError).then(function () {
        sending = false;
        sendBtn.disabled = false;
        update();
        // the form is gone (or the button was disabled under the focus): keep the keyboard user in place
        var active = document.activeElement;
        if (hadFocus && (!active || active === document.body || active.closest("[hidden]"))) (form.hidden ? editBtn : sendBtn).focus();
      });
    });

    var node = el("div", { class: "stack", id: "finished" }, [
      resultsBox,
      el("section", { class: "commitment-block card-panel stack", id: "commitment-block", attrs: { "aria-labelledby": "commitment-heading" } }, [
        el("h2", { id: "commitment-heading", text: t("commit_title") }),
        el("p", { class: "hint", id: "commitment-hint", text: t("commit_hint") }),
        mineBox,
        form
      ]),
      boardBox,
      el("p", { class: "thanks", text: t("thanks") })
    ]);

    function update() {
      var view = state.view;
      if (!view || view.role !== "team") return;
      results.render({
        team: view.team.id, myRank: (view.leaderboard || []).filter(function (r) { return r.team_id === view.team.id; }),
        podium: view.podium, debrief: view.debrief, lang: lang
      }, function () {
        var labels = A.widgetLabels(lang);
        labels.title = t("podium");
        var myRow = (view.leaderboard || []).filter(function (r) { return r.team_id === view.team.id; })[0];
        return [
          el("h1", { text: t("finished_title"), dataset: { focusKey: "finished-title" } }),
          myRow ? el("p", { class: "rank-line", id: "my-rank", dataset: { rank: myRow.rank }, text: t("your_rank", { rank: myRow.rank }) }) : null,
          view.podium && view.podium.length ? el("div", { id: "podium", attrs: { "data-testid": "podium" } }, [
            A.buildPodium(view.podium, labels, { highlightTeamId: view.team.id })
          ]) : null,
          teamProfileBlock(view)
        ];
      });
      board.render({ team: view.team.id, leaderboard: view.leaderboard, lang: lang }, function () { return leaderboardBlock(view); });

      var mine = myCommitment(view);
      if (mine && sent !== null && mine.text === sent) sent = null;
      var shownText = sent !== null ? sent : mine ? mine.text : null;
      var status = sent !== null ? "pending" : mine ? commitmentStatus(mine) : "none";
      mineBox.hidden = shownText === null;
      mineBox.dataset.status = status;
      if (shownText !== null) {
        if (mineText.textContent !== shownText) mineText.textContent = shownText;
        mineStatus.textContent = status === "none" ? "" : t("status_" + status);
      }
      var showForm = shownText === null || editing;
      form.hidden = !showForm;
      editBtn.hidden = showForm || sending;
      cancelBtn.hidden = !(editing && shownText !== null);
      againNote.hidden = !(editing && shownText !== null && status === "approved");
      sendBtn.textContent = shownText !== null ? t("commit_update_btn") : t("commit_btn");
    }

    return { node: node, update: update, scrollTop: true };
  }

  /* ---- token ------------------------------------------------------------------------- */

  /* This phone's random device id, kept for every workshop (a fresh one per page load without localStorage). */
  function deviceId() {
    var id = A.store.get(DEVICE_KEY);
    if (id && /^[0-9a-f]{32}$/.test(id)) return id;
    id = A.randomId(16);
    A.store.set(DEVICE_KEY, id);
    return id;
  }

  function loadToken() { return A.store.get(tokenKey) || memToken; }
  function saveToken(token) {
    if (!token) return;
    memToken = token;
    A.store.set(tokenKey, token);
  }
  function forgetToken() {
    memToken = null;
    A.store.remove(tokenKey);
    clearPendingPick();
  }

  /* ---- connection ------------------------------------------------------------------- */

  function connect() {
    if (typeof window.io !== "function") {
      A.alerts.show(t("connect_failed"), "error");
      return;
    }
    socket = window.io({
      auth: function (cb) { cb({ role: "player", code: code, token: loadToken(), device: device }); },
      reconnectionDelayMax: 4000
    });
    A.watchConnection(socket, connEl, connTexts);
    A.resyncOnVisible(socket);
    watchWakeUp();

    socket.on("connect", function () {
      // acknowledgements of what the old connection carried will not come: the pick goes again
      // as soon as this connection's state shows it missing
      pickInFlight = 0;
    });

    socket.on("connect_error", function (err) {
      var data = err && err.data;
      if (!data || !data.code) return; // network trouble: Socket.IO keeps trying
      A.closeForGood(socket, connEl);
      if (data.code === "no_such_workshop" && loadToken()) {
        workshopEnded(); // this phone took part under this code: its workshop was deleted meanwhile
        return;
      }
      state.refused = function () {
        return data.code === "no_such_workshop" ? t("code_not_found") : (A.errorText(lang, data) || t("connect_failed"));
      };
      code = "";
      render();
    });

    socket.on("player_info", function (info) {
      var player = info ? info.player : null;
      if (!player) {
        clearPendingPick();
        if (loadToken()) forgetToken();
      } else if (state.pendingPick && state.pendingPick.playerId !== player.id) {
        clearPendingPick(); // a pick kept for someone else on this phone
      }
      var before = state.me;
      state.removed = !player && !!(info && info.removed);
      if (player && before && before.id === player.id) tellChanges(before, player);
      state.me = player || null;
      render();
    });

    socket.on("workshop_deleted", function () {
      workshopEnded();
    });

    socket.on("game_state", function (view) {
      state.raw = view; // as the server sent it, in the workshop's language
      if (!chosenLang) setLang(view.workshop.language);
      state.view = A.localizeView(view, lang); // the card in the player's own language
      document.body.dataset.phase = view.workshop.phase;
      document.body.dataset.role = view.role;
      countdown.update(view.timer);
      lastStateAt = Date.now();
      var p = state.pendingPick;
      if (p && (p.round !== view.workshop.round || view.workshop.phase !== "collecting" || view.answer ||
          (view.role === "team" && state.me && view.picks && view.picks[state.me.id] === p.responseId))) {
        clearPendingPick(); // it arrived, or its round is over
      }
      noteCaptain(state.view);
      render();
      tellMove(state.view);
      resendPick();
      resendDraft();
    });
  }

  /* What the facilitator changed about this player: a new name is said at once; a new team once its view is
   * here (it carries the team's name). A team this phone chose itself needs no notice. */
  function tellChanges(before, player) {
    if (player.name !== before.name) A.alerts.show(t("renamed_notice", { name: player.name }), "info");
    if (player.team_id === before.team_id) return;
    var own = state.ownTeamChoice && before.team_id === null;
    state.ownTeamChoice = false;
    state.movedTo = null;
    if (own) return;
    if (player.team_id === null) A.alerts.show(t("moved_out_notice"), "info");
    else state.movedTo = player.team_id;
  }

  function tellMove(view) {
    if (!state.movedTo || view.role !== "team" || view.team.id !== state.movedTo) return;
    state.movedTo = null;
    A.alerts.show(t("moved_notice", { team: view.team.name }), "info");
  }

  /* The workshop is gone (deleted by the facilitator or at the end of its retention period). The token stays: a
   * reload of /j/<code> (now "no such room code") still knows this phone took part, and says the same. */
  function workshopEnded() {
    if (socket) A.closeForGood(socket, connEl);
    clearPendingPick();
    state.ended = true;
    countdown.update(null);
    render();
  }

  /* A phone that comes back from sleep (or onto a network) may hold a socket that died meanwhile
   * but still looks connected: the sync sent on wake-up then gets no answer. If no state arrives
   * soon, drop the transport so Socket.IO connects again at once instead of after its ping timeout. */
  function watchWakeUp() {
    function check(askForState) {
      if (!socket || !socket.connected) return;
      var asked = Date.now();
      if (askForState) socket.timeout(A.ACK_TIMEOUT_MS).emit("sync", {}, function () { /* state follows */ });
      window.setTimeout(function () {
        if (socket.connected && lastStateAt < asked && socket.io && socket.io.engine) socket.io.engine.close();
      }, WAKE_CHECK_MS);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") check(false); // common.js already asks for the state
    });
    window.addEventListener("online", function () { check(true); });
  }

  /* ---- start ------------------------------------------------------------------------ */

  A.alerts.dismissLabel = t("dismiss");
  setConnTexts();
  updateLangSwitch();
  if (cfg.error) state.refused = function () { return t("code_not_found"); };
  // the room code of this address is gone, and this phone holds a token for it: its workshop was deleted
  if (cfg.missing && /^[A-Z0-9]{6}$/.test(cfg.missing) && A.store.get("aandacht:" + cfg.missing)) state.ended = true;
  if (code) state.pendingPick = loadStoredPick(); // a pick this phone made before a reload or a crash
  if (code) {
    if (!/^[A-Z0-9]{6}$/.test(code)) {
      state.refused = function () { return t("code_invalid"); };
      render();
    } else {
      render();
      connect();
    }
  } else {
    if (!cfg.error && !cfg.missing) askResume();
    render();
  }
})();
