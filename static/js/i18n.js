/* Aandacht — the texts of the phone (play.js) and the big screen (screen.js), by key, with
 * Aandacht.t(lang, key, params) to look one up ("{name}" placeholders filled from params; a
 * plural picks its form by params.n; params.rank also gives "{place}", the ordinal rank).
 *
 * English is the source language: each entry marks its English text with _() or ngettext() for
 * `pybabel extract` (babel.cfg). The other languages come from the message catalogs
 * (game/translations/<lang>/LC_MESSAGES/messages.po), which the server hands to the page as
 * /i18n/messages.js (Aandacht.CATALOGS): one source of truth for the pages and the JavaScript.
 * To add a text: add a key below with _("The English"), then extract, update and translate
 * (README, "Languages"); tests/test_i18n.py fails while a text has no Dutch. A plain string
 * (no _()) is the same in every language: only for what holds no words ("#", "{n}/{total}").
 * A function entry gets (lang, params) and builds its text from marked parts with T().
 * Aandacht.tr(lang, msgid, params) translates an English text directly (console.js marks its
 * own texts with a local _()). Aandacht.errorText(lang, error) turns an acknowledgement error
 * into words. */
(function (global) {
  "use strict";

  var A = global.Aandacht = global.Aandacht || {};

  A.LANGUAGES = ["nl", "en"];
  A.SOURCE_LANGUAGE = "en";
  A.LANGUAGE_NAMES = { nl: "Nederlands", en: "English" };

  /* Markers that `pybabel extract` finds: an entry's English text (its msgid). */
  function _(msgid) { return { id: msgid }; }
  function ngettext(one, many) { return { id: one, plural: many }; }

  /* Grammar that is code rather than text: an ordinal rank ("1st", "1e"). */
  function ordinal(lang, n) {
    if (lang === "nl") return n + "e";
    var s = ["th", "st", "nd", "rd"];
    var v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  var TEXTS = {
    skip: _("Skip to content"),
    language: _("Language"),
    dismiss: _("Dismiss"),
    conn_connecting: _("Connecting…"),
    conn_offline: _("Offline — waiting for the network…"),
    loading: _("Loading…"),

    code_title: _("Join a workshop"),
    resume_title: _("Welcome back"),
    resume_as_in: _("Continue as {name} in {team}"),
    resume_as: _("Continue as {name}"),
    resume_other: _("Join as someone else"),
    code_label: _("Room code"),
    code_hint: _("6 letters or digits, shown on the big screen"),
    code_btn: _("Continue"),
    code_invalid: _("A room code has 6 letters or digits."),
    code_not_found: _("Room code not found. Check the code on the big screen."),
    connect_failed: _("Could not connect to this workshop."),

    name_title: _("What's your name?"),
    name_label: _("Your name"),
    name_hint: _("Your team-mates and the facilitator see this name."),
    join_btn: _("Join"),
    name_required: _("Please type your name."),
    workshop_finished: _("This workshop has ended. Thanks for taking part!"),
    other_code: _("Use another code"),

    hello: _("Hi {name}!"),
    team_title: _("Choose your team"),
    team_size: _("{n} of {max}"),
    team_full: _("full"),
    teams_shown: _("The first {shown} of {total} teams with room; a full team is not listed."),
    no_teams_open: _("No teams yet. Start one below."),
    no_teams_closed: _("No teams yet — the facilitator is adding them."),
    new_team_title: _("Or start a new team"),
    new_team_label: _("Team name"),
    chars_left: _("Characters left: {n}"),
    create_team_btn: _("Create team"),
    team_name_required: _("Please type a team name."),
    teams_fixed_note: _("The facilitator has set the teams: pick one."),

    in_team: _("You're in team"),
    with_members: _("with {names}"),
    alone: _("You're the first one in this team."),
    waiting_first_card: _("Waiting for the facilitator to deal the first card…"),
    waiting_next_card: _("Waiting for the next card…"),
    captain: _("captain"),
    you: _("you"),
    and: _("and"),
    card_of: _("Card {n} of {total}"),
    choose_hint: _("Tap the response your team would choose. Your team-mates see your pick."),
    picked_by: _("Picked by"),
    why_label: _("Why? (optional, one line)"),
    why_placeholder: _("Our reason in one sentence"),
    lock_btn: _("Lock in our answer"),
    lock_needs_pick: _("Pick a response first."),
    captain_locks: _("Captain {name} locks in the team's answer."),
    you_are_captain: _("You're the captain: you lock in the team's answer."),
    now_captain: _("You are the captain now: you lock in the team's answer."),
    team_rule: _("When time runs out, the team's answer is the captain's pick, else the pick most of you chose."),
    team_rule_open: _("When time runs out, the team's answer is the captain's draft, else the draft most of you chose."),
    locked_in: _("Locked in:"),
    locked_auto: _("Locked automatically: the captain's pick, else the pick most of you chose."),
    locked_auto_open: _("Locked automatically: the captain's draft, else the draft most of you chose."),
    locked_wait: _("Waiting for the other teams…"),
    time_left: _("Time left"),
    time_announce: function (lang, p) { return p.n === 0 ? T(lang, _("Time's up.")) : p.n === 60 ? T(lang, _("1 minute left.")) : T(lang, _("{n} seconds left."), p); },
    times_up: _("Time's up"),
    round_closed: _("Round closed"),
    round_closed_hint: _("Look at the big screen: the answers are about to be revealed."),
    no_answer_team: _("Your team gave no answer this round."),

    result_best: _("You chose the best response!"),
    result_not_best: _("Not the best response this time."),
    your_answer: _("Your answer"),
    best_answer: _("Best response"),
    lesson: _("Lesson"),
    debrief_question: _("Talk about it"),
    score_title: _("Your points this round"),
    score_wait: _("Your points follow soon."),
    flag: _("Served the organisation rather than the customer"),
    bonus: _("Bonus for your why"),
    total: _("Total"),
    points: ngettext("{n} point", "{n} points"),
    leaderboard: _("Leaderboard"),
    final_standings: _("Final standings"),
    your_team: _("your team"),
    leaderboard_hidden: _("The leaderboard is hidden for now."),
    finished_title: _("Workshop finished"),
    your_rank: _("Your team finished {place}."),
    thanks: _("Thanks for playing!"),
    podium: _("Podium"),
    place: function (lang, p) { return ordinal(lang, p.rank); },
    teams_count: ngettext("{n} team", "{n} teams"),
    more_teams: ngettext("{n} more team: each phone shows its team's place", "{n} more teams: each phone shows its team's place"),
    no_answer_count: ngettext("{n} team gave no answer", "{n} teams gave no answer"),
    best: _("best"),
    chart_label: _("What the teams chose"),

    dim_attention: _("Attention"),
    dim_ease: _("Ease"),
    dim_resolution: _("Resolution"),
    dim_ownership: _("Ownership"),
    dim_proportion: _("Proportion"),

    // big screen
    join_at: _("Join at"),
    or_scan: _("or scan the code"),
    code: _("Code"),
    players: ngettext("{n} player", "{n} players"),
    teams: _("Teams"),
    waiting_teams: _("Waiting for the first team…"),
    nobody_yet: _("no one yet"),
    locked_mark: _("locked in"),
    thinking: _("thinking…"),
    locked_count: _("{n} of {total} teams locked in"),
    responses: _("Responses"),
    round_closed_screen: _("All answers are in. The reveal is coming…"),
    round_closed_some: _("{n} of {total} teams answered. The reveal is coming…"),
    no_answer_mark: _("no answer"),
    what_teams_chose: _("What the teams chose"),
    open_screen_note: _("Every team writes its own answer on its phones."),
    open_answered: ngettext("{n} team answered in its own words", "{n} teams answered in their own words"),
    open_spotlight_wait: _("The facilitator puts one answer in the spotlight."),
    open_label: _("Your team's answer"),
    open_hint: _("Write it together: what would you do? Your team-mates see your draft."),
    open_placeholder: _("In a few sentences…"),
    open_chars: _("{n} / 280"),
    open_drafts: _("Drafts in your team"),
    open_use: _("Use this"),
    open_lock_needs_text: _("Write the answer first."),
    open_draft_saved: _("Shared with your team"),
    result_open: _("Your answer is in"),
    spotlight_label: _("In the spotlight"),
    why_best: _("Why this is the best response"),
    debrief: _("Talk about it"),
    phase_lobby: _("Join now"),
    phase_collecting: _("Card {n} of {total}"),
    phase_locked: _("Card {n} of {total} · closed"),
    phase_revealed: _("Card {n} of {total} · reveal"),
    phase_scored: _("Card {n} of {total} · scores"),
    phase_finished: _("Finished"),
    scan_to_join: _("Scan to join"),

    // the debrief (screen and phone)
    room_profile_title: _("How the room did"),
    room_profile_sub: _("Average points per dimension, 0 to 3, over every card"),
    strongest: _("Strongest"),
    weakest: _("Most to gain"),
    profile_even: _("Even across all five dimensions"),
    no_scores: _("No scores were published."),
    teams_profile_title: _("Final standings and team profiles"),
    profile_legend: _("Colours in the table"),
    profile_best: _("the team's strongest dimension"),
    profile_worst: _("the team's weakest dimension"),
    rank_col: "#",
    team_col: _("Team"),
    points_col: _("Points"),
    flags_col: "−1",
    cards_title: _("The cards and their lessons"),
    card_n: _("Card {n}"),
    commitments_title: _("What we will do"),
    commitments_hint: _("On your phone: one small kindness you will do."),
    commitments_empty: _("The first ones appear here in a moment."),
    commitments_count: ngettext("{n} commitment", "{n} commitments"),
    panel_overview: _("Podium"),
    panel_teams: _("Teams"),
    panel_cards: _("Cards"),
    panel_commitments: _("What we will do"),
    page_of: _("{n}/{total}"),
    paused: _("paused (space to go on)"),
    debrief_nav: _("Debrief panels (left and right arrow keys, space to pause)"),
    your_profile: _("Your team's profile"),
    your_profile_hint: _("Average points per dimension, 0 to 3. The thin line is the room's average."),
    room_average: _("room average"),
    commit_title: _("One small kindness I will do"),
    commit_hint: _("Something small and concrete, for a customer or a colleague. The facilitator may show it on the big screen with your name."),
    commit_label: _("My commitment"),
    commit_placeholder: _("e.g. I greet every customer by name"),
    commit_btn: _("Share"),
    commit_update_btn: _("Save the change"),
    commit_edit: _("Change"),
    commit_cancel: _("Cancel"),
    commit_required: _("Write one small thing first."),
    commit_chars: _("{n} of 140"),
    commit_mine: _("My commitment"),
    commit_again_note: _("A changed commitment waits for approval again."),
    status_pending: _("Waiting for the facilitator's approval"),
    status_approved: _("Shown on the big screen"),
    status_hidden: _("Not shown on the screen — it is still yours to keep."),
    commit_no_team: _("Join a team to leave a commitment."),

    // when a page cannot show the workshop (the server's own messages are these English texts too)
    socketio_missing: _("The Socket.IO client did not load; check the server."),
    screen_link_invalid: _("This screen link is not valid."),
    cannot_connect: _("Cannot connect."),
    open_screen_again: _("Open the big screen again from the facilitator's console."),
    workshop_deleted: _("This workshop has been deleted."),
    workshop_expired: _("This workshop has ended and its data has been deleted."),
    workshop_ended: _("This workshop has ended"),
    workshop_gone_text: _("The facilitator has closed it and its data has been deleted. Thank you for taking part!"),

    // people management: what the facilitator changed about this phone's player
    removed_title: _("You have been removed from this workshop"),
    removed_text: _("The facilitator removed you. To take part again, ask the facilitator to let you back in."),
    renamed_notice: _("The facilitator changed your name to “{name}”."),
    moved_notice: _("You are now in team {team}."),
    moved_out_notice: _("The facilitator took you out of your team. Choose a team.")
  };

  /** Errors by code, for a language other than English; English shows the server's own (more specific) message. */
  var ERRORS = {
    invalid: _("That is not quite right. Please try again."),
    too_long: _("That is too long."),
    already_joined: _("You have already joined."),
    finished: _("This workshop has ended."),
    no_such_team: _("That team no longer exists."),
    team_full: _("That team is full."),
    team_fixed: _("Teams are fixed once the first card has been dealt. Ask the facilitator to move you."),
    not_joined: _("You are not taking part (any more). Please join again."),
    teams_closed: _("The facilitator has set the teams. Choose one of them."),
    name_taken: _("There is already a team with that name."),
    stale: _("The game has moved on. Your screen has been updated."),
    wrong_phase: _("That is not possible (any more)."),
    no_team: _("Choose a team first."),
    already_locked: _("Your team has already locked in its answer."),
    no_such_response: _("That response is not on this card."),
    not_captain: _("Only the captain can lock in the answer."),
    forbidden: _("Only the facilitator can do that."),
    busy: _("It is busy right now. Please try again in a moment."),
    server_error: _("Something went wrong on the server. Please try again."),
    timeout: _("No answer from the server. Check your connection and try again."),
    no_such_commitment: _("That commitment does not exist (any more)."),
    name_refused: _("Choose another name: this one is not allowed here."),
    text_refused: _("Put it differently: it holds a word that is not allowed here."),
    removed: _("The facilitator has removed you from this workshop. Ask them to let you back in."),
    time_up: _("Time is up: the round is closing."),
    no_such_player: _("That player is not in this workshop."),
    no_more_cards: _("All cards have been played; end the workshop."),
    no_teams: _("No team has any players yet."),
    not_open: _("Only a team's own written answer can be put in the spotlight."),
    no_answer: _("That team has no answer on this card."),
    bad_key: _("This link is not valid. Open the workshop from its own link."),
    no_such_workshop: _("This workshop does not exist (any more)."),
    rate_limited: _("Too many wrong room codes from this network; wait a minute and try again."),
    not_connected: _("Connect again first."),
    not_expired: _("The timer has not run out yet."),
    deck_changed: _("The deck was changed or deleted meanwhile; choose its cards again."),
    storage_unavailable: _("The server cannot save right now; nothing was changed. Please try again in a moment."),
    unknown_command: _("That command is not known."),
    bad_address: _("Choose one of the addresses offered."),
    link_replaced: _("This link was replaced; ask the facilitator for the new one."),
    sign_in: _("Sign in as a facilitator first."),
    not_your_workshop: _("You are not a facilitator of this workshop."),
    no_such_user: _("There is no facilitator with this e-mail address."),
    already_owner: _("This facilitator owns the workshop already."),
    already_co_facilitator: _("This facilitator is a co-facilitator already."),
    no_such_co_facilitator: _("This facilitator is not a co-facilitator of the workshop."),
    deck_gone: _("The deck of this workshop no longer exists, so it cannot be run again."),
    card_gone: _("A card of this workshop is no longer in its deck, so it cannot be run again."),
    generic: _("Something went wrong. Please try again.")
  };

  /** The catalog of `lang` (from /i18n/messages.js), or null for the source language or a missing one. */
  function catalog(lang) {
    if (lang === A.SOURCE_LANGUAGE) return null;
    return (A.CATALOGS || {})[lang] || null;
  }

  /** A marked entry's text in `lang`: the catalog's translation, else the English; a plural by n. */
  function translate(lang, entry, n) {
    var table = catalog(lang);
    var found = table ? table[entry.id] : undefined;
    if (entry.plural !== undefined) {
      var one = n === 1; // Dutch and English: one form for 1, the other for every other number
      if (Array.isArray(found) && found.length >= 2) return found[one ? 0 : 1];
      return one ? entry.id : entry.plural;
    }
    return typeof found === "string" && found ? found : entry.id;
  }

  /** Fill "{name}" placeholders from params. */
  function fill(text, params) {
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return params[name] === undefined ? m : String(params[name]);
    });
  }

  /** A marked entry in `lang` with its placeholders filled (for function entries). */
  function T(lang, entry, params) {
    return fill(translate(lang, entry, params ? params.n : undefined), params);
  }

  A.TEXTS = TEXTS;

  /** Look up a text by key in `lang` (English when it has no translation) and fill in {placeholders}. */
  A.t = function (lang, key, params) {
    var entry = TEXTS[key];
    if (entry === undefined) return key;
    var p = params || {};
    if (p.rank !== undefined && p.place === undefined) {
      p = Object.assign({}, p, { place: ordinal(lang, p.rank) });
    }
    if (typeof entry === "function") return entry(lang, p);
    if (typeof entry === "string") return fill(entry, p);
    return T(lang, entry, p);
  };

  /** Translate an English text (a msgid marked with _() where it is written) and fill its placeholders. */
  A.tr = function (lang, msgid, params) {
    return T(lang, { id: msgid }, params);
  };

  /** The same for a plural: `one` and `many` in English, the form chosen by n (also "{n}"). */
  A.trn = function (lang, one, many, n, params) {
    return T(lang, { id: one, plural: many }, Object.assign({ n: n }, params || {}));
  };

  /** Words for an acknowledgement error {code, message}. */
  A.errorText = function (lang, error) {
    var e = error || {};
    if (catalog(lang) && ERRORS[e.code]) return translate(lang, ERRORS[e.code]);
    return e.message || translate(lang, ERRORS.generic);
  };

  /** The view as a phone shows it in `lang`, which its player chose over the workshop's language: the
   * view's `translations[lang]` replace the card's title, situation, question and responses, and (after
   * the reveal) the reveal's responses, their feedback, the lesson and the debrief question. The view is
   * not changed. */
  A.localizeView = function (view, lang) {
    var tr = view && view.translations ? view.translations[lang] : null;
    if (!tr || !view.workshop || view.workshop.language === lang) return view;
    var out = Object.assign({}, view);
    var c = tr.card;
    if (view.card && c) {
      out.card = Object.assign({}, view.card, {
        title: c.title, situation: c.situation, question: c.question,
        responses: (view.card.responses || []).map(function (r) {
          return Object.assign({}, r, { text: c.responses[r.id] !== undefined ? c.responses[r.id] : r.text });
        })
      });
    }
    var rv = tr.reveal;
    if (view.reveal && rv) {
      out.reveal = Object.assign({}, view.reveal, {
        lesson: rv.lesson, debrief: rv.debrief,
        responses: (view.reveal.responses || []).map(function (r) {
          var text = c && c.responses[r.id] !== undefined ? c.responses[r.id] : r.text;
          var feedback = rv.feedback[r.id] !== undefined ? rv.feedback[r.id] : r.feedback;
          return Object.assign({}, r, { text: text, feedback: feedback });
        })
      });
    }
    return out;
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
