/* Aandacht — the texts of the phone (play.js) and the big screen (screen.js) in Dutch and
 * English. Aandacht.t(lang, key, params) looks a text up ("{name}" placeholders; a
 * function entry gets the params). Aandacht.errorText(lang, error) turns an
 * acknowledgement error into words in the workshop's language. */
(function (global) {
  "use strict";

  var A = global.Aandacht = global.Aandacht || {};

  function plural(one, many) {
    return function (p) { return (p.n === 1 ? one : many).replace("{n}", String(p.n)); };
  }

  var TEXTS = {
    en: {
      skip: "Skip to content",
      dismiss: "Dismiss",
      conn_connecting: "Connecting…",
      conn_offline: "Offline — waiting for the network…",
      loading: "Loading…",

      code_title: "Join a workshop",
      code_label: "Room code",
      code_hint: "6 letters or digits, shown on the big screen",
      code_btn: "Continue",
      code_invalid: "A room code has 6 letters or digits.",
      code_not_found: "Room code not found. Check the code on the big screen.",
      connect_failed: "Could not connect to this workshop.",

      name_title: "What's your name?",
      name_label: "Your name",
      name_hint: "Your team-mates and the facilitator see this name.",
      join_btn: "Join",
      name_required: "Please type your name.",
      workshop_finished: "This workshop has ended. Thanks for taking part!",
      other_code: "Use another code",

      hello: "Hi {name}!",
      team_title: "Choose your team",
      team_size: "{n} of {max}",
      team_full: "full",
      no_teams_open: "No teams yet. Start one below.",
      no_teams_closed: "No teams yet — the facilitator is adding them.",
      new_team_title: "Or start a new team",
      new_team_label: "Team name",
      create_team_btn: "Create team",
      team_name_required: "Please type a team name.",
      teams_fixed_note: "The facilitator has set the teams: pick one.",

      in_team: "You're in team",
      with_members: "with {names}",
      alone: "You're the first one in this team.",
      waiting_first_card: "Waiting for the facilitator to deal the first card…",
      waiting_next_card: "Waiting for the next card…",
      captain: "captain",
      you: "you",
      and: "and",
      card_of: "Card {n} of {total}",
      choose_hint: "Tap the response your team would choose. Your team-mates see your pick.",
      picked_by: "Picked by",
      why_label: "Why? (optional, one line)",
      why_placeholder: "Our reason in one sentence",
      lock_btn: "Lock in our answer",
      lock_needs_pick: "Pick a response first.",
      captain_locks: "Captain {name} locks in the team's answer.",
      you_are_captain: "You're the captain: you lock in the team's answer.",
      locked_in: "Locked in:",
      locked_auto: "Locked automatically on the last pick.",
      locked_wait: "Waiting for the other teams…",
      time_left: "Time left",
      times_up: "Time's up",
      round_closed: "Round closed",
      round_closed_hint: "Look at the big screen: the answers are about to be revealed.",
      no_answer_team: "Your team gave no answer this round.",

      result_best: "You chose the best response!",
      result_not_best: "Not the best response this time.",
      your_answer: "Your answer",
      best_answer: "Best response",
      lesson: "Lesson",
      debrief_question: "Talk about it",
      score_title: "Your points this round",
      score_wait: "Your points follow soon.",
      flag: "Served the organisation rather than the customer",
      bonus: "Bonus for your why",
      total: "Total",
      points: plural("{n} point", "{n} points"),
      leaderboard: "Leaderboard",
      final_standings: "Final standings",
      your_team: "your team",
      leaderboard_hidden: "The leaderboard is hidden for now.",
      finished_title: "Workshop finished",
      your_rank: function (p) { return "Your team finished " + ordinalEn(p.rank) + "."; },
      thanks: "Thanks for playing!",
      podium: "Podium",
      place: function (p) { return ordinalEn(p.rank); },
      teams_count: plural("{n} team", "{n} teams"),
      no_answer_count: plural("{n} team gave no answer", "{n} teams gave no answer"),
      best: "best",
      chart_label: "What the teams chose",

      dim_attention: "Attention",
      dim_ease: "Ease",
      dim_resolution: "Resolution",
      dim_ownership: "Ownership",
      dim_proportion: "Proportion",

      // big screen
      join_at: "Join at",
      or_scan: "or scan the code",
      code: "Code",
      players: plural("{n} player", "{n} players"),
      teams: "Teams",
      waiting_teams: "Waiting for the first team…",
      nobody_yet: "no one yet",
      locked_mark: "locked in",
      thinking: "thinking…",
      locked_count: function (p) { return p.n + " of " + p.total + " teams locked in"; },
      responses: "Responses",
      round_closed_screen: "All answers are in. The reveal is coming…",
      what_teams_chose: "What the teams chose",
      why_best: "Why this is the best response",
      debrief: "Talk about it",
      phase_lobby: "Join now",
      phase_collecting: "Card {n} of {total}",
      phase_locked: "Card {n} of {total} · closed",
      phase_revealed: "Card {n} of {total} · reveal",
      phase_scored: "Card {n} of {total} · scores",
      phase_finished: "Finished",
      scan_to_join: "Scan to join",

      // the debrief (screen and phone)
      room_profile_title: "How the room did",
      room_profile_sub: "Average points per dimension, 0 to 3, over every card",
      strongest: "Strongest",
      weakest: "Most to gain",
      profile_even: "Even across all five dimensions",
      no_scores: "No scores were published.",
      teams_profile_title: "Final standings and team profiles",
      rank_col: "#",
      team_col: "Team",
      points_col: "Points",
      flags_col: "−1",
      cards_title: "The cards and their lessons",
      card_n: "Card {n}",
      commitments_title: "What we will do",
      commitments_hint: "On your phone: one small kindness you will do.",
      commitments_empty: "The first ones appear here in a moment.",
      commitments_count: plural("{n} commitment", "{n} commitments"),
      panel_overview: "Podium",
      panel_teams: "Teams",
      panel_cards: "Cards",
      panel_commitments: "What we will do",
      page_of: "{n}/{total}",
      paused: "paused (space to go on)",
      debrief_nav: "Debrief panels (left and right arrow keys, space to pause)",
      your_profile: "Your team's profile",
      your_profile_hint: "Average points per dimension, 0 to 3. The thin line is the room's average.",
      room_average: "room average",
      commit_title: "One small kindness I will do",
      commit_hint: "Something small and concrete, for a customer or a colleague. The facilitator may show it on the big screen with your name.",
      commit_label: "My commitment",
      commit_placeholder: "e.g. I greet every customer by name",
      commit_btn: "Share",
      commit_update_btn: "Save the change",
      commit_edit: "Change",
      commit_cancel: "Cancel",
      commit_required: "Write one small thing first.",
      commit_chars: "{n} of 140",
      commit_mine: "My commitment",
      commit_again_note: "A changed commitment waits for approval again.",
      status_pending: "Waiting for the facilitator's approval",
      status_approved: "Shown on the big screen",
      status_hidden: "Not shown on the screen — it is still yours to keep.",
      commit_no_team: "Join a team to leave a commitment."
    },

    nl: {
      skip: "Naar de inhoud",
      dismiss: "Sluiten",
      conn_connecting: "Verbinden…",
      conn_offline: "Offline — wachten op netwerk…",
      loading: "Laden…",

      code_title: "Doe mee met een workshop",
      code_label: "Code",
      code_hint: "6 letters of cijfers, staat op het grote scherm",
      code_btn: "Verder",
      code_invalid: "Een code bestaat uit 6 letters of cijfers.",
      code_not_found: "Die code kennen we niet. Kijk nog even op het grote scherm.",
      connect_failed: "Geen verbinding met deze workshop.",

      name_title: "Hoe heet je?",
      name_label: "Je naam",
      name_hint: "Je teamgenoten en de begeleider zien deze naam.",
      join_btn: "Doe mee",
      name_required: "Vul je naam in.",
      workshop_finished: "Deze workshop is afgelopen. Bedankt voor het meedoen!",
      other_code: "Andere code invullen",

      hello: "Hoi {name}!",
      team_title: "Kies je team",
      team_size: "{n} van {max}",
      team_full: "vol",
      no_teams_open: "Er zijn nog geen teams. Begin er hieronder een.",
      no_teams_closed: "Er zijn nog geen teams — de begeleider maakt ze aan.",
      new_team_title: "Of begin een nieuw team",
      new_team_label: "Teamnaam",
      create_team_btn: "Team maken",
      team_name_required: "Vul een teamnaam in.",
      teams_fixed_note: "De begeleider heeft de teams gemaakt: kies er een.",

      in_team: "Je zit in team",
      with_members: "met {names}",
      alone: "Je bent de eerste in dit team.",
      waiting_first_card: "Even wachten tot de begeleider de eerste kaart deelt…",
      waiting_next_card: "Even wachten op de volgende kaart…",
      captain: "aanvoerder",
      you: "jij",
      and: "en",
      card_of: "Kaart {n} van {total}",
      choose_hint: "Tik op het antwoord dat jullie zouden kiezen. Je teamgenoten zien je keuze.",
      picked_by: "Gekozen door",
      why_label: "Waarom? (mag, in één zin)",
      why_placeholder: "Jullie reden in één zin",
      lock_btn: "Dit is ons antwoord",
      lock_needs_pick: "Kies eerst een antwoord.",
      captain_locks: "Aanvoerder {name} legt het antwoord van jullie team vast.",
      you_are_captain: "Jij bent de aanvoerder: jij legt het antwoord van het team vast.",
      locked_in: "Jullie antwoord:",
      locked_auto: "Automatisch vastgelegd op de laatste keuze.",
      locked_wait: "Even wachten op de andere teams…",
      time_left: "Tijd over",
      times_up: "De tijd is om",
      round_closed: "Ronde gesloten",
      round_closed_hint: "Kijk naar het grote scherm: zo zie je wat de teams kozen.",
      no_answer_team: "Jullie team gaf deze ronde geen antwoord.",

      result_best: "Jullie kozen het beste antwoord!",
      result_not_best: "Dit keer niet het beste antwoord.",
      your_answer: "Jullie antwoord",
      best_answer: "Het beste antwoord",
      lesson: "Wat we hiervan leren",
      debrief_question: "Om over te praten",
      score_title: "Jullie punten deze ronde",
      score_wait: "De punten volgen zo.",
      flag: "Diende de organisatie in plaats van de klant",
      bonus: "Bonus voor jullie waarom",
      total: "Totaal",
      points: plural("{n} punt", "{n} punten"),
      leaderboard: "Tussenstand",
      final_standings: "Eindstand",
      your_team: "jullie team",
      leaderboard_hidden: "De tussenstand is even verborgen.",
      finished_title: "De workshop is klaar",
      your_rank: function (p) { return "Jullie team is " + p.rank + "e geworden."; },
      thanks: "Bedankt voor het meedoen!",
      podium: "Podium",
      place: function (p) { return p.rank + "e"; },
      teams_count: plural("{n} team", "{n} teams"),
      no_answer_count: plural("{n} team gaf geen antwoord", "{n} teams gaven geen antwoord"),
      best: "beste",
      chart_label: "Wat de teams kozen",

      dim_attention: "Aandacht",
      dim_ease: "Gemak",
      dim_resolution: "Oplossing",
      dim_ownership: "Eigenaarschap",
      dim_proportion: "Maat",

      join_at: "Doe mee via",
      or_scan: "of scan de code",
      code: "Code",
      players: plural("{n} deelnemer", "{n} deelnemers"),
      teams: "Teams",
      waiting_teams: "Wachten op het eerste team…",
      nobody_yet: "nog niemand",
      locked_mark: "klaar",
      thinking: "overlegt…",
      locked_count: function (p) { return p.n + " van " + p.total + " teams klaar"; },
      responses: "Antwoorden",
      round_closed_screen: "Alle antwoorden zijn binnen. Zo zien we wat de teams kozen…",
      what_teams_chose: "Wat de teams kozen",
      why_best: "Waarom dit het beste antwoord is",
      debrief: "Praat erover",
      phase_lobby: "Doe mee",
      phase_collecting: "Kaart {n} van {total}",
      phase_locked: "Kaart {n} van {total} · gesloten",
      phase_revealed: "Kaart {n} van {total} · uitslag",
      phase_scored: "Kaart {n} van {total} · punten",
      phase_finished: "Afgelopen",
      scan_to_join: "Scan om mee te doen",

      room_profile_title: "Zo deed de zaal het",
      room_profile_sub: "Gemiddelde punten per dimensie, 0 tot 3, over alle kaarten",
      strongest: "Sterkst",
      weakest: "Meeste winst",
      profile_even: "Op alle vijf dimensies even sterk",
      no_scores: "Er zijn geen punten gepubliceerd.",
      teams_profile_title: "Eindstand en profiel per team",
      rank_col: "#",
      team_col: "Team",
      points_col: "Punten",
      flags_col: "−1",
      cards_title: "De kaarten en wat we leerden",
      card_n: "Kaart {n}",
      commitments_title: "Wat wij gaan doen",
      commitments_hint: "Op je telefoon: één kleine vriendelijkheid die jij gaat doen.",
      commitments_empty: "De eerste verschijnen hier zo.",
      commitments_count: plural("{n} voornemen", "{n} voornemens"),
      panel_overview: "Podium",
      panel_teams: "Teams",
      panel_cards: "Kaarten",
      panel_commitments: "Wat wij gaan doen",
      page_of: "{n}/{total}",
      paused: "gepauzeerd (spatie om door te gaan)",
      debrief_nav: "Onderdelen van de nabespreking (pijltjestoetsen links en rechts, spatie om te pauzeren)",
      your_profile: "Het profiel van jullie team",
      your_profile_hint: "Gemiddelde punten per dimensie, 0 tot 3. Het dunne streepje is het gemiddelde van de zaal.",
      room_average: "gemiddelde zaal",
      commit_title: "Eén kleine vriendelijkheid die ik ga doen",
      commit_hint: "Iets kleins en concreets, voor een klant of een collega. De begeleider kan het met je naam op het grote scherm zetten.",
      commit_label: "Mijn voornemen",
      commit_placeholder: "bijv. Ik groet elke klant bij naam",
      commit_btn: "Delen",
      commit_update_btn: "Wijziging opslaan",
      commit_edit: "Aanpassen",
      commit_cancel: "Annuleren",
      commit_required: "Schrijf eerst één klein ding op.",
      commit_chars: "{n} van 140",
      commit_mine: "Mijn voornemen",
      commit_again_note: "Een aangepast voornemen wacht opnieuw op goedkeuring.",
      status_pending: "Wacht op goedkeuring van de begeleider",
      status_approved: "Staat op het grote scherm",
      status_hidden: "Niet op het scherm gezet — het blijft wel jouw voornemen.",
      commit_no_team: "Kies een team om een voornemen achter te laten."
    }
  };

  function ordinalEn(n) {
    var s = ["th", "st", "nd", "rd"];
    var v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  /** Errors by code, in Dutch; English uses the server's own (more specific) message. */
  var ERRORS_NL = {
    invalid: "Dat klopt niet helemaal. Probeer het nog eens.",
    too_long: "Dat is te lang.",
    already_joined: "Je doet al mee.",
    finished: "Deze workshop is afgelopen.",
    no_such_team: "Dat team bestaat niet meer.",
    team_full: "Dat team is vol.",
    team_fixed: "De teams liggen vast zodra de eerste kaart is gedeeld. Vraag de begeleider om je te verplaatsen.",
    not_joined: "Je doet niet (meer) mee. Meld je opnieuw aan.",
    teams_closed: "De begeleider heeft de teams gemaakt. Kies een van die teams.",
    name_taken: "Er is al een team met die naam.",
    stale: "Het spel is al verder. Je scherm is bijgewerkt.",
    wrong_phase: "Dat kan nu niet (meer).",
    no_team: "Kies eerst een team.",
    already_locked: "Jullie team heeft het antwoord al vastgelegd.",
    no_such_response: "Dat antwoord staat niet op deze kaart.",
    not_captain: "Alleen de aanvoerder kan het antwoord vastleggen.",
    forbidden: "Dat mag alleen de begeleider.",
    busy: "Het is even druk. Probeer het zo nog eens.",
    server_error: "Er ging iets mis op de server. Probeer het nog eens.",
    timeout: "Geen antwoord van de server. Controleer je verbinding en probeer het nog eens.",
    no_such_commitment: "Dat voornemen bestaat niet (meer)."
  };

  A.TEXTS = TEXTS;

  /** Look up a text in `lang` (falling back to English) and fill in {placeholders}. */
  A.t = function (lang, key, params) {
    var table = TEXTS[lang] || TEXTS.en;
    var entry = table[key];
    if (entry === undefined) entry = TEXTS.en[key];
    if (entry === undefined) return key;
    if (typeof entry === "function") return entry(params || {});
    if (!params) return entry;
    return entry.replace(/\{(\w+)\}/g, function (m, name) {
      return params[name] === undefined ? m : String(params[name]);
    });
  };

  /** Words for an acknowledgement error {code, message}. */
  A.errorText = function (lang, error) {
    var e = error || {};
    if (lang === "nl" && ERRORS_NL[e.code]) return ERRORS_NL[e.code];
    return e.message || (lang === "nl" ? ERRORS_NL.server_error : "Something went wrong. Please try again.");
  };

  /** "A, B and C" in `lang`. */
  A.listNames = function (lang, names) {
    if (names.length <= 1) return names.join("");
    return names.slice(0, -1).join(", ") + " " + A.t(lang, "and") + " " + names[names.length - 1];
  };

  /** The shared widgets' labels in `lang`. */
  A.widgetLabels = function (lang) {
    return {
      best: A.t(lang, "best"),
      chartLabel: A.t(lang, "chart_label"),
      teams: function (n) { return A.t(lang, "teams_count", { n: n }); },
      noAnswer: function (n) { return A.t(lang, "no_answer_count", { n: n }); },
      title: A.t(lang, "leaderboard"),
      points: function (n) { return A.t(lang, "points", { n: n }); },
      place: function (rank) { return A.t(lang, "place", { rank: rank }); },
      you: A.t(lang, "your_team")
    };
  };
})(window);
