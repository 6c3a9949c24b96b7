/* Aandacht — the big screen (templates/screen.html, route /s/<key>), for a projector.
 * Connects as the screen and shows, in the workshop's language: the lobby (QR code,
 * room code, teams arriving), the card with its countdown and which teams have locked in
 * (never what they chose), "round closed", the reveal chart with the best response and
 * the lesson, the leaderboard, and the podium. The QR code and room code stay in a
 * corner during the rounds so latecomers can still join.
 * When the workshop has ended it shows the debrief as panels that take turns every 12 s
 * (left/right arrow keys, Page Up/Down or a click on the indicator move between them; space
 * or P holds the current panel):
 * the podium with the room's profile over the rubric, every team's profile, each card's
 * spread of picks and lesson, and the commitments the facilitator approved ("What we will
 * do"), which appear live; a newly approved one brings its panel forward. */
(function () {
  "use strict";

  var A = window.Aandacht;
  var el = A.el;
  A.keepWordsWhole(document.body); // a word too long for its box is hyphenated, never cut (common.js)
  var cfg = A.config();
  var lang = document.documentElement.lang === "nl" ? "nl" : "en"; // the workshop's, as the page was served
  var stage = document.getElementById("stage");
  var phaseEl = document.getElementById("phase");
  var titleEl = document.getElementById("workshop-title");
  var section = new A.Section(stage);
  var countdown = new A.Countdown("#countdown", {
    onTick: function (left) {
      if (left !== null && left <= 0.5) timeRanOut = true;
    }
  });
  var timeRanOut = false; // the last collecting round's countdown reached zero
  var seenTeams = {}; // team id -> true, to animate only new arrivals
  var seenMembers = {}; // team id + name -> true
  var seenLocked = {}; // round:team id -> true, to animate a new "locked in" mark once
  var lastRound = null;
  var view = null;

  function t(key, params) { return A.t(lang, key, params); }

  function shortUrl(url) { return String(url || "").replace(/^https?:\/\//, "").replace(/\/$/, ""); }

  function setStaticTexts() {
    document.documentElement.lang = lang;
    document.getElementById("join-label").textContent = t("join_at");
    document.getElementById("join-code-label").textContent = t("code");
    document.getElementById("join-url").textContent = shortUrl(cfg.joinUrl);
    document.getElementById("join-panel").setAttribute("aria-label", t("scan_to_join"));
    A.alerts.dismissLabel = t("dismiss");
  }

  function phaseLabel(w) {
    var params = { n: w.round + 1, total: w.cards_total };
    return t("phase_" + w.phase, params);
  }

  /* ---- pieces ------------------------------------------------------------------------- */

  /* The teams as chips: locked in (a tick), still thinking, or, once the round is ``closed``, no answer. */
  function teamChips(v, lockedIds, closed) {
    var locked = {};
    (lockedIds || []).forEach(function (id) { locked[id] = true; });
    var round = v.workshop.round;
    return el("ul", { class: "team-chips", id: "team-chips" }, v.teams.filter(function (team) {
      return team.members.length > 0 || locked[team.id];
    }).map(function (team) {
      var isLocked = !!locked[team.id];
      var key = round + ":" + team.id;
      var fresh = isLocked && !seenLocked[key];
      if (isLocked) seenLocked[key] = true;
      return el("li", {
        class: ["team-chip", isLocked ? "locked" : "", fresh ? "is-new" : "", !isLocked && closed ? "no-answer" : ""],
        dataset: { teamId: team.id, testid: "team-chip", locked: isLocked ? "true" : "false" }
      }, [
        el("span", { class: "chip-mark", attrs: { "aria-hidden": "true" }, text: isLocked ? "✓" : closed ? "–" : "…" }),
        el("span", { class: "chip-name", text: team.name }),
        el("span", { class: "chip-state", text: isLocked ? t("locked_mark") : closed ? t("no_answer_mark") : t("thinking") })
      ]);
    }));
  }

  function activeTeamCount(v) {
    return v.teams.filter(function (team) { return team.members.length > 0; }).length;
  }

  function countdownBlock() {
    return el("div", { class: "screen-countdown", id: "countdown-box" }, [
      el("span", { class: "countdown", id: "countdown", attrs: { role: "timer", "data-testid": "countdown" } })
    ]);
  }

  function leaderboardBlock(v, big) {
    var labels = A.widgetLabels(lang);
    if (!v.leaderboard) {
      return el("section", { class: "lb-block is-hidden-board", id: "leaderboard-hidden" }, [
        el("p", { class: "hint", text: t("leaderboard_hidden") })
      ]);
    }
    return el("section", { class: ["lb-block", big ? "is-big" : ""], attrs: { "aria-labelledby": "lb-heading" } }, [
      el("h2", { id: "lb-heading", text: t(v.workshop.phase === "finished" ? "final_standings" : "leaderboard") }),
      el("div", { id: "leaderboard", attrs: { "data-testid": "leaderboard" } }, [A.buildLeaderboard(v.leaderboard, labels)])
    ]);
  }

  /* ---- phases ------------------------------------------------------------------------- */

  function buildLobby(v) {
    var teams = v.teams;
    var items = teams.map(function (team) {
      var isNew = !seenTeams[team.id];
      seenTeams[team.id] = true;
      return el("li", { class: ["lobby-team", "team-chip", isNew ? "is-new" : ""], dataset: { teamId: team.id, testid: "team-chip", locked: "false" } }, [
        el("p", { class: "lobby-team-name" }, [
          el("span", { text: team.name }),
          el("span", { class: "lobby-team-count", text: String(team.members.length) })
        ]),
        team.members.length ? el("ul", { class: "lobby-members" }, team.members.map(function (name) {
          var key = team.id + "\u0000" + name;
          var fresh = !seenMembers[key];
          seenMembers[key] = true;
          return el("li", { class: ["lobby-member", fresh ? "is-new" : ""], text: name });
        })) : el("p", { class: "lobby-empty", text: t("nobody_yet") })
      ]);
    });
    return el("div", { class: "lobby-stage" }, [
      el("h1", { class: "lobby-title", text: v.workshop.title }),
      el("p", { class: "players-total", id: "players-total", dataset: { count: v.players_total } }, [
        el("span", { class: "big-number", text: String(v.players_total) }),
        " ",
        el("span", { text: t("players", { n: v.players_total }).replace(/^\d+\s*/, "") })
      ]),
      teams.length ? el("ul", { class: "lobby-teams", id: "teams" }, items)
        : el("p", { class: "waiting" }, [el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }), t("waiting_teams")])
    ]);
  }

  function buildCollecting(v) {
    var card = v.card;
    var total = activeTeamCount(v);
    return el("div", { class: "round-stage" }, [
      el("div", { class: "round-card" }, [
        el("h1", { id: "card-title", class: "card-title", text: card.title }),
        el("p", { class: "situation", text: card.situation }),
        el("p", { class: "question", text: card.question }),
        card.kind === "open"
          ? el("p", { class: "open-note", id: "open-note", text: t("open_screen_note") })
          : el("ul", { class: "screen-responses", attrs: { "aria-label": t("responses") } }, card.responses.map(function (r) {
            return el("li", { dataset: { responseId: r.id }, text: r.text });
          }))
      ]),
      el("div", { class: "round-side" }, [
        countdownBlock(),
        el("p", { class: "locked-count", id: "locked-count", text: t("locked_count", { n: v.locked_team_ids.length, total: total }) }),
        teamChips(v, v.locked_team_ids)
      ])
    ]);
  }

  function buildLocked(v) {
    // who closed the round, as the server says: "Time's up" only when the timer did, never after the facilitator's
    // "Lock round" (even when this screen's own countdown had reached zero); the local countdown only decides
    // when the server does not say
    var lockedBy = v.workshop.locked_by;
    var timeUp = lockedBy ? lockedBy === "timer" : timeRanOut;
    var total = activeTeamCount(v);
    var answered = v.teams.filter(function (team) {
      return team.members.length > 0 && v.locked_team_ids.indexOf(team.id) >= 0;
    }).length;
    return el("div", { class: "closed-stage" }, [
      el("p", { class: "eyebrow", text: v.card ? v.card.title : "" }),
      el("h1", { id: "closed-title", class: "closed-title", text: timeUp ? t("times_up") : t("round_closed") }),
      el("p", { class: "closed-text", id: "closed-text", text: answered < total
        ? t("round_closed_some", { n: answered, total: total }) : t("round_closed_screen") }),
      teamChips(v, v.locked_team_ids, true)
    ]);
  }

  /* An open card: no chart, but how many teams answered and the one answer in the spotlight. */
  function buildOpenReveal(v, withBoard) {
    var reveal = v.reveal;
    var spot = reveal.spotlight;
    var main = el("div", { class: "reveal-main" }, [
      el("p", { class: "eyebrow", id: "card-title", text: v.card ? v.card.title : "" }),
      el("h1", { class: "reveal-title", text: t("open_answered", { n: reveal.answered }) }),
      spot ? el("figure", { class: "spotlight", id: "spotlight", attrs: { "data-testid": "spotlight" } }, [
        el("blockquote", { class: "spotlight-text", text: spot.text }),
        el("figcaption", { class: "spotlight-team", text: "— " + spot.name }),
        spot.why ? el("p", { class: "spotlight-why", text: "“" + spot.why + "”" }) : null
      ]) : el("p", { class: "closed-text", id: "spotlight-wait", text: t("open_spotlight_wait") })
    ]);
    var side = el("div", { class: "reveal-side" }, lessonBoxes(v, withBoard));
    return el("div", { class: ["reveal-stage", "is-open", withBoard ? "with-board" : ""] }, [main, side]);
  }

  /** The reveal's side after its own first box: the lesson, and the debrief question or the leaderboard. */
  function lessonBoxes(v, withBoard) {
    var reveal = v.reveal;
    return [
      reveal.lesson ? el("div", { class: "lesson" }, [
        el("p", { class: "box-label", text: t("lesson") }),
        el("p", { class: "lesson-text", text: reveal.lesson })
      ]) : null,
      !withBoard && reveal.debrief ? el("div", { class: "lesson debrief", id: "reveal-debrief" }, [
        el("p", { class: "box-label", text: t("debrief_question") }),
        el("p", { class: "lesson-text", text: reveal.debrief })
      ]) : null,
      withBoard ? leaderboardBlock(v, false) : null
    ];
  }

  function buildReveal(v, withBoard) {
    var reveal = v.reveal;
    if (reveal.kind === "open") return buildOpenReveal(v, withBoard);
    var best = reveal.responses.filter(function (r) { return r.id === reveal.best_id; })[0];
    var chart = A.buildChart(reveal, A.widgetLabels(lang), { id: "reveal-chart" });
    chart.setAttribute("data-testid", "reveal-chart");
    var main = el("div", { class: "reveal-main" }, [
      el("p", { class: "eyebrow", id: "card-title", text: v.card ? v.card.title : "" }),
      el("h1", { class: "reveal-title", text: t("what_teams_chose") }),
      chart
    ]);
    var side = el("div", { class: "reveal-side" }, [
      !withBoard && best && best.feedback ? el("div", { class: "best-box" }, [
        el("p", { class: "box-label", text: "★ " + t("why_best") }),
        el("p", { class: "feedback", text: best.feedback })
      ]) : null
    ].concat(lessonBoxes(v, withBoard)));
    return el("div", { class: ["reveal-stage", withBoard ? "with-board" : ""] }, [main, side]);
  }

  /* ---- the debrief (finished) ------------------------------------------------------------ */

  var PAGE_MS = 12000; // each debrief panel stays this long
  var CARDS_PER_PAGE = 2;
  var TEAMS_PER_PAGE = 10;
  var COMMITMENTS_PER_PAGE = 8;
  var GROUPS = ["overview", "teams", "cards", "commitments"];
  var deck = {
    page: "overview-0", // the panel shown, by key, so a rebuild keeps it
    timer: null,
    approved: null, // player ids of the approved commitments shown, to spot new ones
    commitSig: null,
    paused: false // space or P holds the current panel (for a discussion), and lets it go again
  };

  function dimLabel(d) { return t("dim_" + d); }

  function chunk(list, size) {
    var out = [];
    for (var i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }

  function page(group, index, children, extraClass) {
    return el("section", {
      class: ["debrief-page", "page-" + group, extraClass || ""],
      hidden: true,
      dataset: { page: group + "-" + index, group: group, index: index }
    }, children);
  }

  function roomBlock(debrief) {
    var dims = debrief.dimensions || A.DIMENSIONS;
    var room = debrief.room || {};
    var ex = A.profileExtremes(room, dims);
    return el("section", { class: "room-block", attrs: { "aria-labelledby": "room-heading" } }, [
      el("h2", { id: "room-heading", text: t("room_profile_title") }),
      el("p", { class: "room-sub", text: t("room_profile_sub") }),
      A.buildProfile(room, {
        id: "room-profile",
        testid: "room-profile",
        dims: dims,
        label: dimLabel,
        extremes: ex,
        width: 760,
        fontSize: 30,
        axis: true,
        ariaLabel: t("room_profile_title")
      }),
      A.buildExtremes(room, ex, {
        strongest: t("strongest"), weakest: t("weakest"), even: t("profile_even"), none: t("no_scores"), dim: dimLabel
      }, "room-extremes")
    ]);
  }

  function overviewPage(v) {
    var labels = A.widgetLabels(lang);
    labels.title = t("podium");
    return page("overview", 0, [
      el("h1", { class: "finished-title", text: t("finished_title") }),
      el("div", { class: "overview-grid" }, [
        el("div", { class: "overview-podium" }, [
          v.podium && v.podium.length ? el("div", { id: "podium", attrs: { "data-testid": "podium" } }, [A.buildPodium(v.podium, labels)]) : null,
          el("p", { class: "thanks", text: t("thanks") })
        ]),
        v.debrief ? roomBlock(v.debrief) : null
      ])
    ]);
  }

  /* What the team table's colours mean: each team's strongest dimension (green, ▲) and weakest (amber, ▼). */
  function profileLegend(id) {
    return el("p", { class: "pt-legend", id: id, attrs: { "data-testid": "profile-legend" } }, [
      el("span", { class: "pt-legend-label", text: t("profile_legend") + ":" }),
      el("span", { class: "pt-legend-item is-high" }, [
        el("span", { class: "pt-mark", attrs: { "aria-hidden": "true" }, text: "▲" }), " " + t("profile_best")
      ]),
      el("span", { class: "pt-legend-item is-low" }, [
        el("span", { class: "pt-mark", attrs: { "aria-hidden": "true" }, text: "▼" }), " " + t("profile_worst")
      ])
    ]);
  }

  function teamPages(v) {
    var rows = A.profileRows(v.leaderboard, v.debrief);
    if (!rows.length) return [];
    var pages = chunk(rows, TEAMS_PER_PAGE);
    return pages.map(function (part, i) {
      var table = A.buildProfileTable(part, {
        id: i === 0 ? "team-profiles" : null,
        dims: (v.debrief && v.debrief.dimensions) || A.DIMENSIONS,
        label: dimLabel,
        headers: { rank: t("rank_col"), team: t("team_col"), points: t("points_col"), flags: t("flags_col") },
        points: function (n) { return String(n); },
        marks: { high: t("profile_best"), low: t("profile_worst") }
      });
      table.setAttribute("aria-describedby", "profile-legend-" + i);
      return page("teams", i, [
        el("h1", { class: "debrief-title", text: t("teams_profile_title") }),
        el("div", { class: ["team-table", rows.length <= 5 ? "is-few" : ""] }, [table]),
        profileLegend("profile-legend-" + i)
      ]);
    });
  }

  function cardPages(v) {
    var cards = (v.debrief && v.debrief.cards) || [];
    if (!cards.length) return [];
    var labels = A.widgetLabels(lang);
    return chunk(cards, CARDS_PER_PAGE).map(function (part, i) {
      return page("cards", i, [
        el("h1", { class: "debrief-title", text: t("cards_title") }),
        el("div", { class: ["debrief-cards", part.length === 1 ? "is-single" : ""] }, part.map(function (card) {
          var chart = card.kind === "open"
            ? (card.spotlight
              ? el("blockquote", { class: "spotlight-text is-small", text: card.spotlight.text + " — " + card.spotlight.name })
              : el("p", { class: "closed-text", text: t("open_answered", { n: card.answered }) }))
            : A.buildChart(card, labels);
          return el("article", { class: "debrief-card", dataset: { index: card.index } }, [
            el("p", { class: "eyebrow", text: t("card_n", { n: card.index + 1 }) }),
            el("h2", { class: "debrief-card-title", text: card.title }),
            chart,
            card.lesson ? el("div", { class: "lesson" }, [
              el("p", { class: "box-label", text: t("lesson") }),
              el("p", { class: "lesson-text", text: card.lesson })
            ]) : null
          ]);
        }))
      ]);
    });
  }

  function commitmentPages(list) {
    var parts = list.length ? chunk(list, COMMITMENTS_PER_PAGE) : [[]];
    return parts.map(function (part, i) {
      return page("commitments", i, [
        el("div", { class: "debrief-head" }, [
          el("h1", { class: "debrief-title", text: t("commitments_title") }),
          el("p", { class: "commitments-hint", text: t("commitments_hint") })
        ]),
        part.length ? el("ul", { class: ["commitment-list", list.length <= 3 ? "is-few" : ""] }, part.map(function (c) {
          return el("li", { class: "commitment", dataset: { playerId: c.player_id } }, [
            el("p", { class: "commitment-text", text: c.text }),
            el("p", { class: "commitment-name", text: c.name })
          ]);
        })) : el("p", { class: "commitments-empty waiting" }, [
          el("span", { class: "pulse-dot", attrs: { "aria-hidden": "true" } }),
          t("commitments_empty")
        ])
      ]);
    });
  }

  function buildFinished(v) {
    var pages = [overviewPage(v)].concat(teamPages(v), cardPages(v));
    return el("div", { class: "debrief-deck", id: "debrief", attrs: { "data-testid": "debrief" } }, [
      el("div", { class: "debrief-pages", id: "debrief-pages" }, pages.concat([
        el("div", { class: "debrief-group", id: "commitments", attrs: { "data-testid": "commitments" } })
      ])),
      el("nav", { class: "debrief-nav", id: "debrief-nav", attrs: { "aria-label": t("debrief_nav") } })
    ]);
  }

  /* The commitments live in their own part, so an approval does not rebuild (and re-animate) the rest. */
  function renderCommitments(v, rebuilt) {
    var box = document.getElementById("commitments");
    if (!box) return;
    var list = v.commitments || [];
    var sig = JSON.stringify([list, lang]);
    if (!rebuilt && sig === deck.commitSig) return;
    deck.commitSig = sig;
    A.fill(box, commitmentPages(list));
    var ids = list.map(function (c) { return c.player_id; });
    if (deck.approved !== null) {
      var before = {};
      deck.approved.forEach(function (id) { before[id] = true; });
      var fresh = ids.filter(function (id) { return !before[id]; });
      if (fresh.length) {
        // a newly approved commitment: show its panel now
        deck.page = "commitments-" + Math.floor(ids.indexOf(fresh[fresh.length - 1]) / COMMITMENTS_PER_PAGE);
        deck.restart = true;
      }
    }
    deck.approved = ids;
  }

  function deckPages() {
    return Array.prototype.slice.call(stage.querySelectorAll("#debrief .debrief-page"));
  }

  function showPage(key, restart) {
    var pages = deckPages();
    if (!pages.length) return;
    var target = pages.filter(function (p) { return p.dataset.page === key; })[0];
    if (!target) {
      // that panel is gone (fewer pages now): the last one of its group, else the first
      var group = String(key).split("-")[0];
      var same = pages.filter(function (p) { return p.dataset.group === group; });
      target = same.length ? same[same.length - 1] : pages[0];
    }
    var changed = deck.page !== target.dataset.page;
    deck.page = target.dataset.page;
    pages.forEach(function (p) { p.hidden = p !== target; });
    var debriefEl = document.getElementById("debrief");
    if (debriefEl) debriefEl.dataset.page = deck.page;
    if (debriefEl) debriefEl.dataset.paused = deck.paused ? "true" : "false";
    // the indicator's sweep and the timer start again together
    if (renderNav(pages, target, changed || restart) || (!deck.timer && !deck.paused)) schedule();
  }

  function renderNav(pages, current, restartProgress) {
    var nav = document.getElementById("debrief-nav");
    if (!nav) return false;
    nav.hidden = pages.length < 2;
    var groups = GROUPS.filter(function (g) { return pages.some(function (p) { return p.dataset.group === g; }); });
    var currentGroup = current.dataset.group;
    var inGroup = pages.filter(function (p) { return p.dataset.group === currentGroup; });
    var sig = JSON.stringify([groups, current.dataset.page, inGroup.length, lang, deck.paused]);
    if (!restartProgress && sig === deck.navSig && nav.firstChild) return false;
    deck.navSig = sig;
    A.fill(nav, [
      el("ol", { class: "debrief-tabs" }, groups.map(function (g) {
        var active = g === currentGroup;
        return el("li", null, [
          el("button", {
            type: "button",
            class: ["debrief-tab", active ? "is-active" : ""],
            dataset: { group: g },
            attrs: { "aria-current": active ? "step" : null }
          }, [
            el("span", { text: t("panel_" + g) }),
            active && inGroup.length > 1 ? el("span", { class: "debrief-tab-page", text: t("page_of", { n: inGroup.indexOf(current) + 1, total: inGroup.length }) }) : null
          ])
        ]);
      })),
      deck.paused ? el("span", { class: "debrief-paused", id: "debrief-paused", text: "❚❚ " + t("paused") })
        : el("span", { class: "debrief-progress", attrs: { "aria-hidden": "true" } }) // restarts its 12 s sweep
    ]);
    return true;
  }

  function schedule() {
    if (deck.timer) window.clearTimeout(deck.timer);
    deck.timer = null;
    if (deck.paused) return;
    deck.timer = window.setTimeout(function () {
      deck.timer = null;
      go(1);
    }, PAGE_MS);
  }

  function stopDeck() {
    if (deck.timer) window.clearTimeout(deck.timer);
    deck.timer = null;
  }

  function go(delta) {
    var pages = deckPages();
    if (!pages.length) return;
    var keys = pages.map(function (p) { return p.dataset.page; });
    var i = keys.indexOf(deck.page);
    if (i < 0) i = 0;
    showPage(keys[(i + delta + keys.length) % keys.length], true);
  }

  document.addEventListener("keydown", function (event) {
    if (!view || view.workshop.phase !== "finished" || event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown") {
      event.preventDefault();
      go(1);
    } else if (key === "ArrowLeft" || key === "PageUp") {
      event.preventDefault();
      go(-1);
    } else if ((key === " " || key === "p" || key === "P") && !(event.target.closest && event.target.closest("button, a"))) {
      event.preventDefault();
      deck.paused = !deck.paused;
      showPage(deck.page, true);
    }
  });

  stage.addEventListener("click", function (event) {
    var tab = event.target.closest(".debrief-tab");
    if (!tab) return;
    var first = deckPages().filter(function (p) { return p.dataset.group === tab.dataset.group; })[0];
    if (first) showPage(first.dataset.page, true);
  });

  /* ---- render ---------------------------------------------------------------------- */

  function render() {
    var v = view;
    var w = v.workshop;
    titleEl.textContent = w.title;
    phaseEl.textContent = phaseLabel(w);
    phaseEl.dataset.phase = w.phase;
    document.getElementById("room-code").textContent = w.code;
    if (w.round !== lastRound) {
      timeRanOut = false;
      lastRound = w.round;
    }
    var data = {
      phase: w.phase,
      round: w.round,
      lang: lang,
      title: w.title,
      teams: v.teams,
      players: v.players_total,
      card: v.card,
      locked: v.locked_team_ids,
      reveal: v.reveal,
      leaderboard: v.leaderboard,
      podium: v.podium,
      debrief: w.phase === "finished" ? v.debrief : null,
      hasTimer: !!(v.timer && v.timer.deadline !== null && v.timer.deadline !== undefined),
      timeRanOut: w.phase === "locked" ? timeRanOut : null,
      total: w.cards_total
    };
    var rebuilt = section.render(data, function () {
      if (w.phase === "lobby") return buildLobby(v);
      if (w.phase === "collecting" && v.card) return buildCollecting(v);
      if (w.phase === "locked") return buildLocked(v);
      if ((w.phase === "revealed" || w.phase === "scored") && v.reveal) return buildReveal(v, w.phase === "scored");
      if (w.phase === "finished") return buildFinished(v);
      return buildLobby(v);
    });
    if (w.phase === "finished") {
      renderCommitments(v, rebuilt);
      var restart = !!deck.restart || rebuilt;
      deck.restart = false;
      showPage(deck.page, restart);
    } else {
      stopDeck();
      deck.approved = null;
    }
    var box = document.getElementById("countdown-box");
    if (box) box.hidden = !data.hasTimer;
    countdown.tick();
    if (rebuilt) fitStage();
  }

  function fitStage() {
    fitBoard();
    fitCard();
  }

  /* The card (or the reveal's chart) is sized for the back of the room; one too long for this projector steps its
   * type down (data-fit 1-4: to 95 %, 90 %, 85 %, 80 %) until it fits without scrolling. */
  function fitCard() {
    var card = stage.querySelector(".round-card, .reveal-main");
    if (!card) return;
    var frame = document.scrollingElement || document.documentElement;
    for (var step = 0; step <= 4; step++) {
      card.dataset.fit = String(step);
      if (frame.scrollHeight <= window.innerHeight) return;
    }
  }

  /* The projector cannot scroll: a leaderboard longer than the screen shows its first rows (at least one) and how
   * many teams are left out, whose players see their own team's place on their phones. Only the board's own length
   * counts: the page's margin below the stage stays, whatever the other column does (fitCard's part). */
  function fitBoard() {
    var list = stage.querySelector(".lb-block .leaderboard-list");
    if (!list) return;
    var rows = Array.prototype.slice.call(list.querySelectorAll(".lb-row"));
    var more = list.querySelector(".lb-more");
    if (more) list.removeChild(more);
    rows.forEach(function (row) { row.hidden = false; });
    var frame = document.scrollingElement || document.documentElement;
    var below = frame.scrollHeight - (stage.getBoundingClientRect().bottom + window.scrollY); // margin under the stage
    var limit = window.innerHeight - below - window.scrollY; // the lowest the board may reach, as the screen shows it
    if (!rows.length || rows[rows.length - 1].getBoundingClientRect().bottom <= limit) return;
    more = el("li", { class: "lb-more", attrs: { "data-testid": "leaderboard-more" } });
    list.appendChild(more);
    var shown = rows.length;
    while (shown > 1 && rows[shown - 1].getBoundingClientRect().bottom > limit) shown -= 1; // reads only: one layout
    do {
      rows.slice(shown).forEach(function (row) { row.hidden = true; });
      more.textContent = t("more_teams", { n: rows.length - shown });
      shown -= 1; // the line that says so needs room too
    } while (shown >= 1 && more.getBoundingClientRect().bottom > limit);
  }
  window.addEventListener("resize", fitStage);

  /* ---- connection ------------------------------------------------------------------ */

  setStaticTexts();
  if (typeof window.io !== "function") {
    A.alerts.show(t("socketio_missing"), "error");
    return;
  }
  // acks: the screen acknowledges each game_state once drawn; the server sends the newest then (docs/protocol.md)
  var socket = window.io({ auth: { role: "screen", key: cfg.screenKey, acks: true }, reconnectionDelayMax: 4000 });
  A.watchConnection(socket, document.getElementById("conn-status"), {
    connecting: t("conn_connecting"),
    offline: t("conn_offline")
  });
  A.resyncOnVisible(socket);

  socket.on("connect_error", function (err) {
    var data = err && err.data;
    if (!data || !data.code) return;
    A.closeForGood(socket, document.getElementById("conn-status"));
    A.fill(stage, el("div", { class: "closed-stage" }, [
      el("h1", { class: "closed-title", text: data.code === "bad_key" ? t("screen_link_invalid") : (data.message ? A.tr(lang, data.message) : t("cannot_connect")) }),
      el("p", { class: "closed-text", text: t("open_screen_again") })
    ]));
  });

  // the facilitator renewed the links: this screen opens the new one, which the facilitator gives
  socket.on("links_replaced", function (m) {
    A.closeForGood(socket, document.getElementById("conn-status"));
    countdown.update(null);
    A.fill(stage, el("div", { class: "closed-stage", attrs: { "data-testid": "link-replaced" } }, [
      el("h1", { class: "closed-title", text: A.errorText(lang, { code: "link_replaced", message: m && m.message }) }),
      el("p", { class: "closed-text", text: t("open_screen_again") })
    ]));
  });

  socket.on("workshop_deleted", function (m) {
    A.closeForGood(socket, document.getElementById("conn-status"));
    countdown.update(null);
    document.body.dataset.phase = "deleted";
    A.fill(stage, el("div", { class: "closed-stage", attrs: { "data-testid": "workshop-gone" } }, [
      el("h1", { class: "closed-title", text: t("workshop_ended") }),
      el("p", { class: "closed-text", text: m && m.message ? A.tr(lang, m.message) : t("workshop_deleted") })
    ]));
  });

  // the facilitator chose another address for phones: the QR code and the link follow at once
  socket.on("join_link", function (link) {
    if (!link || !link.join_url) return;
    document.body.dataset.joinUrl = link.join_url;
    document.body.dataset.qrUrl = link.qr_url;
    var qr = document.getElementById("qr");
    qr.src = link.qr_url;
    qr.alt = qr.alt.slice(0, qr.alt.lastIndexOf(": ") + 2) + link.join_url;
    document.getElementById("join-url").textContent = shortUrl(link.join_url);
  });

  socket.on("game_state", A.taken(function (v) {
    view = v;
    var next = v.workshop.language === "nl" ? "nl" : "en";
    if (next !== lang) {
      lang = next;
      setStaticTexts();
      section.invalidate();
    }
    document.body.dataset.phase = v.workshop.phase;
    countdown.update(v.timer);
    render();
  }));
})();
