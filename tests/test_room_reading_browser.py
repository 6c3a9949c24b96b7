"""Every screen reads right in front of the room (issue 16, points 1, 6 and 8), in Debian's Chromium on the real
server, in Dutch as the workshops the issue describes:

- 1: on the console at 1280x800, a long team name beside its "locked (automatic)" badge in the team choices panel,
  and the members' names beside their drafts on an open card, wrap only at their spaces; a badge (or a draft) with
  no room beside a name moves below it, never squeezing the name to a letter per line.
- 6: the create form names each card's story by a name, in the facilitator's language, not "story 000".
- 8: the report's rubric columns carry the console's short labels with a legend of the full names; no word of the
  table is cut, on screen and at the printed page's width (print media and a PDF).

Screenshots of the console, the big screen and a phone at 390x844, 1280x800 and 1920x1080 go to test-artifacts/
(room-*.png), and the report's on screen and in print (room-report-*.png, room-report.pdf).
"""

from __future__ import annotations

import gettext

import pytest

from .conftest import (
    ARTIFACTS,
    REPO,
    connect_console,
    create_live_workshop,
    release,
    shoot,
    shoot_sizes,
    signed_in_context,
)
from .test_browser import PHONE, phase, watch
from .test_words_browser import SPLIT_WORDS, bot, settle, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.server]

DUTCH = {"locale": "nl-NL"}
CONSOLE = {"width": 1280, "height": 800}
TEAMS = ("Housekeeping Amsterdam Zuid", "Receptie en Reserveringen", "Roomservice")
PHONE_NAME = "Anne-Sophie van Kraaijenbrink"
MEMBERS = {  # team index -> the members joined over a socket (the first is the team's captain)
    0: ["Willemijn Vandersteen-Boekhout", "Bartholomeus Schimmelpenninck"],
    1: ["Maximiliaan van Oldenbarnevelt", "Cornelia Heemskerck"],
}
DRAFTS = {
    "Willemijn Vandersteen-Boekhout": "Excuses aanbieden en de reservering meteen opnieuw bevestigen",
    "Bartholomeus Schimmelpenninck": "Een kop thee van het huis en een eerlijke uitleg",
    "Maximiliaan van Oldenbarnevelt": "Klantvriendelijkheidsonderzoek na de verontschuldiging",
}
DUTCH_CATALOG = gettext.translation("messages", REPO / "game" / "translations", languages=["nl"])

# Each row of ``rowSelector`` holds a name (``nameSelector``) and, after it, badges or a draft. A word of the name
# must sit on one line (a double name may break after its hyphen); whatever follows the name sits either below the
# name's bottom, or to its right while the name is on one line (a name that wraps has its badges below it).
# Returns the faults, and for every row the measures the test needs: the name's text and lines, the room the row
# gives and the width the name and each badge would take on one line.
NAMES_BESIDE_BADGES = r"""([rowSelector, nameSelector]) => {
  const range = document.createRange();
  function lines(node, start, end) {
    range.setStart(node, start);
    range.setEnd(node, end);
    const tops = [];
    for (const r of range.getClientRects()) {
      if (r.width > 0 && r.height > 0 && !tops.some((t) => Math.abs(t - r.top) < r.height / 2)) tops.push(r.top);
    }
    return tops.length;
  }
  function natural(el) {  // the width the element would take on one line
    const copy = el.cloneNode(true);
    copy.style.cssText = "position: absolute; visibility: hidden; white-space: nowrap; width: auto; max-width: none";
    el.parentElement.appendChild(copy);
    const width = copy.getBoundingClientRect().width;
    copy.remove();
    return width;
  }
  const faults = [], rows = [];
  for (const row of document.querySelectorAll(rowSelector)) {
    const name = row.querySelector(nameSelector);
    if (!name || !name.firstChild) continue;
    const text = name.firstChild, label = text.data.replace(/\u00ad/g, "");
    for (const m of text.data.matchAll(/\S+/gu)) {  // a word breaks only after a hyphen it prints ("Vandersteen-")
      const parts = m[0].split(/(?<=-)/u);
      let at = m.index;
      for (const part of parts) {
        if (lines(text, at, at + part.length) > 1) faults.push(`"${label}": the word "${m[0]}" is split`);
        at += part.length;
      }
    }
    const nameLines = lines(text, 0, text.data.length);
    const n = name.getBoundingClientRect();
    const siblings = Array.from(name.parentElement.children);
    const after = siblings.slice(siblings.indexOf(name) + 1).filter((e) => e.getBoundingClientRect().width > 0);
    const badges = [];
    for (const badge of after) {
      const b = badge.getBoundingClientRect();
      const below = b.top >= n.bottom - 1;
      const beside = nameLines === 1 && b.left >= n.right - 1;
      if (!below && !beside) {
        faults.push(`"${label}" (${nameLines} lines, ${Math.round(n.width)} px wide) beside "${badge.textContent}"`);
      }
      badges.push({ text: badge.textContent, below: below, width: b.width, natural: natural(badge) });
    }
    rows.push({ name: label, lines: nameLines, room: name.parentElement.clientWidth, natural: natural(name), badges });
  }
  return { faults, rows };
}"""


def names_beside_badges(page, row: str, name: str) -> dict:
    """The names of ``row`` elements and what follows them, measured (NAMES_BESIDE_BADGES)."""
    settle(page)
    return page.evaluate(NAMES_BESIDE_BADGES, [row, name])


def test_long_names_beside_badges_and_drafts_wrap_at_spaces_on_the_console(live_server, browser):
    base, errors = live_server.url, []
    key = create_live_workshop(base, title="Gastvrijheid in de praktijk", language="nl",
                               card=["spilled-tea", "own-words-train"], timer_seconds="0", team_size="4",
                               teams_open=None, teams="\n".join(TEAMS))
    console = watch(signed_in_context(browser, base, viewport=CONSOLE, **DUTCH).new_page(), errors, "console",
                    confirm="")
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}, **DUTCH).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")
    facilitator, state = None, []
    clients = []
    try:
        facilitator = __import__("socketio").Client()
        clients.append(facilitator)
        facilitator.on("game_state", state.append)
        connect_console(facilitator, base, key)
        facilitator.call("sync", {})
        team_ids = [next(t["id"] for t in state[-1]["teams"] if t["name"] == name) for name in TEAMS]
        members = {}
        for team, names in MEMBERS.items():
            for name in names:
                client, _views = bot(base, code, name, team_ids[team])
                clients.append(client)
                members[name] = client
        phone = watch(browser.new_context(**PHONE, **DUTCH).new_page(), errors, "phone")
        phone.goto(f"{base}/play")
        phone.fill("#code-input", code.lower())
        phone.click("#code-btn")
        phone.fill("#name-input", PHONE_NAME)
        phone.click("#join-btn")
        phone.click(f".team-option[data-team-id='{team_ids[2]}']")
        phone.wait_for_selector("#team-lobby")
        pages = {"console": console, "screen": screen, "phone": phone}

        # a choice card: the first team locks in, the second only picks and is locked automatically by "Lock round"
        console.click("#deal-btn")
        for page in pages.values():
            phase(page, "collecting")
        housekeeping, reception = members[MEMBERS[0][0]], members[MEMBERS[1][0]]
        assert housekeeping.call("submit_pick", {"round": 0, "response_id": "b", "pick_id": "h1"})["ok"]
        assert housekeeping.call("lock_in", {"round": 0, "response_id": "b", "why": "De gast gaat voor"})["ok"]
        assert reception.call("submit_pick", {"round": 0, "response_id": "a", "pick_id": "r1"})["ok"]
        phone.locator(".response-btn").first.click()
        console.wait_for_selector(".pick-member .letter-badge")
        console.click("#lock-btn")
        for page in pages.values():
            phase(page, "locked")
        auto = console.locator(f".pick-team[data-team-id='{team_ids[1]}'] .tag-locked")
        auto.wait_for()
        assert auto.inner_text() == "vastgelegd (automatisch)"
        shoot_sizes(pages, "room-names-locked")
        console.set_viewport_size(CONSOLE)
        heads = names_beside_badges(console, ".pick-team-head", ".pick-team-name")
        members_rows = names_beside_badges(console, ".pick-member", ".pick-member-name")
        assert not heads["faults"] + members_rows["faults"], heads["faults"] + members_rows["faults"]
        row = next(r for r in heads["rows"] if r["name"] == TEAMS[1])
        badge = row["badges"][0]
        assert badge["text"] == "vastgelegd (automatisch)"
        # the narrow case really happens at 1280x800: the name and its badge do not fit on one line, so the badge
        # is below the name (and the name keeps its width: its words are whole, checked above)
        assert row["natural"] + badge["natural"] > row["room"], row
        assert badge["below"], row

        console.click("#reveal-btn")
        for page in pages.values():
            phase(page, "revealed")
        console.wait_for_selector(".score-form")
        console.click("#publish-btn")
        for page in pages.values():
            phase(page, "scored")

        # an open card: the members' drafts beside their names
        console.click("#deal-btn")
        for page in pages.values():
            phase(page, "collecting")
        for name, text in DRAFTS.items():
            assert members[name].call("submit_pick", {"round": 1, "text": text, "pick_id": "d-" + name[:8]})["ok"]
        phone.fill("#open-input", "Verontschuldigingsbrief en treinkaartjescompensatie aanbieden")
        wait_for_text(console, ".pick-draft", "treinkaartjescompensatie")
        for text in DRAFTS.values():
            wait_for_text(console, ".pick-draft", text.split()[0])
        shoot_sizes(pages, "room-names-drafts")
        console.set_viewport_size(CONSOLE)
        drafts = names_beside_badges(console, ".pick-member", ".pick-member-name")
        assert not drafts["faults"], drafts["faults"]
        rows = {r["name"]: r for r in drafts["rows"]}
        for name in [*DRAFTS, PHONE_NAME]:
            assert rows[name]["badges"][-1]["text"].replace("\u00ad", "") in [*DRAFTS.values(),
                "Verontschuldigingsbrief en treinkaartjescompensatie aanbieden"], rows[name]
            if rows[name]["lines"] > 1:  # a name that wraps has its draft below it
                assert rows[name]["badges"][-1]["below"], rows[name]
        words = console.evaluate(SPLIT_WORDS)
        assert not [w for w in words if "pick-" in w], words
    finally:
        for client in clients:
            release(client)
    assert errors == [], errors


STORY_OF = {  # a card of the default deck from each story -> the story's name in Dutch and in English
    "spilled-tea": {"nl": "Thee aan tafel", "en": "Tea at the table"},
    "call-script": {"nl": "Ada aan de lijn", "en": "Ada on the line"},
    "no-jargon": {"nl": "Uitleg op een feestje", "en": "Explaining it at a party"},
    "crowded-train": {"nl": "De bank en de trein", "en": "The bank and the train"},
    "unreachable-insurer": {"nl": "Autoschade en de verzekeraar", "en": "Car damage and the insurer"},
}


def test_the_create_form_names_each_cards_story_in_the_facilitators_language(live_server, browser):
    errors = []
    page_context = signed_in_context(browser, live_server.url, viewport=CONSOLE, **DUTCH)
    page = watch(page_context.new_page(), errors, "home")
    page.goto(live_server.url + "/")
    for lang, prefix in (("nl", "verhaal: "), ("en", "story: ")):
        if lang == "en":  # the facilitator switches the page to English
            page.click("[data-testid=lang-en]")
            page.wait_for_selector("html[lang=en]", state="attached")
        stories = {}
        for item in page.locator("#deck-aandacht-basis .card-item").all():
            story = item.locator(".card-story")
            stories[item.get_attribute("data-card-id")] = story.inner_text() if story.count() else ""
        assert len(stories) >= len(STORY_OF), stories
        for card_id, text in stories.items():
            assert text.startswith(prefix) and not any(ch.isdigit() for ch in text), (card_id, text)  # no "000"
        for card_id, names in STORY_OF.items():
            assert stories[card_id] == prefix + names[lang], (card_id, stories[card_id])
        assert set(stories.values()) == {prefix + names[lang] for names in STORY_OF.values()}  # one name a story
        for width, height in ((390, 844), (1280, 800), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            faults = page.evaluate(SPLIT_WORDS)
            assert not [f for f in faults if "card-" in f], faults
            shoot(page, f"room-create-form-{lang}")
    assert errors == [], errors


REPORT_TEAMS = ("Nachtportiersdienstverleningen", "Receptie en Reserveringen")  # 30 letters: the longest one word


def test_the_reports_rubric_columns_have_whole_labels_and_a_legend(live_server, browser):
    base, errors = live_server.url, []
    key = create_live_workshop(base, title="Gastvrijheid in de praktijk", language="nl",
                               card=["spilled-tea", "own-words-train"], timer_seconds="0", team_size="4",
                               teams_open=None, teams="\n".join(REPORT_TEAMS))
    facilitator, state = __import__("socketio").Client(), []
    clients = [facilitator]
    try:
        facilitator.on("game_state", state.append)
        connect_console(facilitator, base, key)
        facilitator.call("sync", {})
        code = state[-1]["workshop"]["code"]
        team_ids = [next(t["id"] for t in state[-1]["teams"] if t["name"] == name) for name in REPORT_TEAMS]
        players = []
        for team, names in MEMBERS.items():
            client, _views = bot(base, code, names[0], team_ids[team])
            clients.append(client)
            players.append(client)
        for rnd, answers in ((0, ({"response_id": "b"}, {"response_id": "d"})),
                             (1, ({"text": DRAFTS[MEMBERS[0][0]]}, {"text": DRAFTS[MEMBERS[1][0]]}))):
            assert facilitator.call("deal_card", {"round": rnd})["ok"]
            for player, answer in zip(players, answers, strict=True):
                why = "Gastvriendelijkheidsprincipes gaan voor"
                assert player.call("lock_in", {"round": rnd, **answer, "why": why})["ok"]
            locked = facilitator.call("lock_round", {"round": rnd})  # every team locked in: the round may be locked
            assert locked["ok"] or locked["error"]["code"] == "wrong_phase", locked
            assert facilitator.call("reveal", {"round": rnd})["ok"]
            for i, team_id in enumerate(team_ids):
                assert facilitator.call("score_team", {"round": rnd, "team_id": team_id, "attention": 3, "ease": 2,
                                                       "resolution": 1, "ownership": 2, "proportion": 3,
                                                       "flag": i == 1, "bonus": 1})["ok"]
            assert facilitator.call("publish_scores", {"round": rnd})["ok"]
        assert facilitator.call("end_workshop", {})["ok"]
    finally:
        for client in clients:
            release(client)

    report = watch(signed_in_context(browser, base, viewport=CONSOLE, **DUTCH).new_page(), errors, "report")
    report.goto(f"{base}/f/{key}/report")
    report.wait_for_selector("article.card table")
    full = {DUTCH_CATALOG.gettext(n) for n in ("Attention", "Ease", "Resolution", "Ownership", "Proportion")}
    legend = dict(zip(report.locator("#rubric-legend dt").all_inner_texts(),
                      report.locator("#rubric-legend dd").all_inner_texts(), strict=True))
    assert "−1" in legend
    for table in report.locator("article.card table").all():
        heads = table.locator("thead th.dim").all()
        assert len(heads) == 5
        for head in heads:
            label = head.inner_text()
            # the console's short label, explained in the legend by the dimension's full name (also its tooltip),
            # or the full name itself ("Gemak", "Maat")
            name = label if label in full else legend.get(label)
            assert name in full, (label, legend)
            assert head.locator("abbr").get_attribute("title") == name
        assert {legend.get(h.inner_text(), h.inner_text()) for h in heads} == full  # every dimension, once
    shorts = [DUTCH_CATALOG.gettext(s) for s in ("Att", "Ease", "Res", "Own", "Prop")]
    assert report.locator("article.card table").first.locator("thead th.dim").all_inner_texts() == shorts

    def whole_words(label: str) -> None:
        settle(report)
        faults = report.evaluate(SPLIT_WORDS)  # no word split, none off the page (the table scrolls on a phone)
        assert not faults, (label, faults)
        heads = report.evaluate("""() => Array.from(document.querySelectorAll("article.card thead th")).map(
            (th) => [th.textContent, th.scrollWidth <= th.clientWidth + 1])""")
        assert all(fits for _text, fits in heads), (label, heads)

    for width, height in ((1280, 800), (1920, 1080), (390, 844)):
        report.set_viewport_size({"width": width, "height": height})
        whole_words(f"screen {width}x{height}")
        shoot(report, "room-report-screen")
    # the printed page: A4 less 16 mm margins each side is 178 mm, 673 CSS pixels
    report.emulate_media(media="print")
    report.set_viewport_size({"width": 673, "height": 1000})
    whole_words("print")
    shoot(report, "room-report-print")
    report.locator("#card-2").screenshot(path=str(ARTIFACTS / "room-report-print-card-2.png"))
    pdf = report.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "room-report.pdf").write_bytes(pdf)
    assert errors == [], errors
