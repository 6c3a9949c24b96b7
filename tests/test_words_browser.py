"""No word is ever split across two lines: long Dutch team names and member names, badges beside them and points
and buttons wrap only at their spaces (or after a hyphen that is printed), on the console, the big screen and a
phone, at 1920x1080, 1280x800 and 390x844. A whole workshop is played on the real server in Debian's Chromium:
a choice card with a team locked automatically by "Lock round", an open card with the members' drafts, reveal,
publish, the end and its debrief. The check looks at every visible word of each page, not at a list of elements.
Screenshots of every page at every size go to test-artifacts/words-*.png."""

from __future__ import annotations

import re

import pytest
import requests
import socketio

from .conftest import ARTIFACTS, connect_console, create_live_workshop, release, signed_in_context
from .test_browser import PHONE, phase, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

SIZES = ((1920, 1080), (1280, 800), (390, 844))
TEAMS = (
    "Housekeeping Amsterdam Zuid",
    "Klantenservicemedewerkers",
    "Receptie en Reserveringen",
    "Nachtportiersdienstverleningen",  # 30 letters: the longest one word a team name can be
)
PHONE_NAME = "Anne-Sophie van Kraaijenbrink"
BOTS = {  # team index -> the other members, joined over a socket
    0: ["Willemijn Vandersteen-Boekhout", "Bartholomeus Schimmelpenninck"],
    1: ["Maximiliaan Oldenbarnevelt"],
    2: ["Gijsbertus Wolterbeek", "Cornelia Heemskerck"],
    3: ["Hieronymus Nieuwenhuijzen"],
}
DRAFTS = {  # an open card's drafts: long Dutch words beside long names
    "Willemijn Vandersteen-Boekhout": "Klantvriendelijkheidsonderzoek na de verontschuldiging",
    "Gijsbertus Wolterbeek": "Excuses aanbieden en reserveringsbevestiging opnieuw versturen",
    "Maximiliaan Oldenbarnevelt": "Treinreizigersinformatievoorziening verbeteren",
}

# Every visible word of the page, where a word is a run of characters without a space: a word whose characters
# sit on two lines is split, unless the line ends right after a printed hyphen (a hyphen or a soft hyphen, which
# the browser prints when it breaks there); a hyphenated word is squeezed if a line holds less than two of its
# letters. A word also must not run off the page's right edge (outside anything that scrolls or clips on purpose).
# Returns one line per fault: the word, the text around it and its element.
SPLIT_WORDS = r"""() => {
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TEXTAREA", "INPUT", "SELECT", "OPTION"]);
  const HYPHENS = "-\u2010\u00ad";
  const range = document.createRange();
  const width = document.documentElement.clientWidth;
  function where(el) {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 5; e = e.parentElement) {
      parts.unshift(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
        (e.classList.length ? "." + Array.from(e.classList).join(".") : ""));
    }
    return parts.join(" > ");
  }
  function rectsOf(node, start, end) {
    range.setStart(node, start);
    range.setEnd(node, end);
    return Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
  }
  function clipped(el) {  // inside something that scrolls or clips on purpose (a table that scrolls, an ellipsis)
    for (let e = el; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== "visible" && s.overflowX !== "clip") return true;
      if (s.overflowX === "clip") return true;
    }
    return false;
  }
  const faults = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || SKIP.has(el.tagName) || el.closest("svg")) continue;
    for (const m of node.data.matchAll(/\S+/gu)) {
      const start = m.index, word = m[0], end = start + word.length;
      const rects = rectsOf(node, start, end);
      if (!rects.length) continue;  // not shown
      const top = rects[0].top, tol = rects[0].height / 2;
      if (rects.some((r) => Math.abs(r.top - top) > tol)) {
        // the word covers two lines: find where, and whether a printed hyphen ends each line but the last
        const breaks = [];
        let prevTop = null;
        for (let i = start; i < end; i++) {
          const char = rectsOf(node, i, i + 1).pop();  // a character after a soft hyphen's break also covers the hyphen
          if (!char) continue;
          if (prevTop !== null && Math.abs(char.top - prevTop) > tol) breaks.push(i);
          prevTop = char.top;
        }
        const cut = breaks.find((i) => !HYPHENS.includes(node.data[i - 1]));
        const pieces = [start, ...breaks, end].slice(1).map((b, k, all) =>
          node.data.slice(k ? all[k - 1] : start, b).replace(/[-\u2010\u00ad]/gu, ""));
        if (cut !== undefined) {
          faults.push(`split "${word}" as "${node.data.slice(start, cut)}|${node.data.slice(cut, end)}" in ` +
            `<${where(el)}> "${node.data.trim().slice(0, 60)}"`);
        } else if (pieces.some((piece) => piece.length < 2)) {  // hyphenated, but a letter or so per line
          faults.push(`squeezed "${word}" as "${pieces.join("-|")}" in <${where(el)}>`);
        }
      }
      const right = Math.max(...rects.map((r) => r.right));
      if (right > width + 1 && !clipped(el)) {
        faults.push(`off the page "${word}" (right edge ${Math.round(right)} > ${width}) in <${where(el)}>`);
      }
    }
  }
  return faults;
}"""


def settle(page) -> None:
    """Wait until a resize or a new state has been laid out (and the pages' own fitting has run)."""
    page.wait_for_timeout(250)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def check(pages: dict, label: str, faults: list[str]) -> None:
    """Look for split words on every page at every size; screenshot each."""
    for width, height in SIZES:
        for page in pages.values():
            page.set_viewport_size({"width": width, "height": height})
        for name, page in pages.items():
            settle(page)
            found = page.evaluate(SPLIT_WORDS)
            faults += [f"[{label}, {name} {width}x{height}] {fault}" for fault in found]
            shot = ARTIFACTS / f"words-{label}-{name}-{width}x{height}.png"
            page.screenshot(path=str(shot), full_page=name != "screen")  # the projector cannot scroll


def wait_for_text(page, selector: str, text: str) -> None:
    """Wait until an element shows ``text``, whether or not a long word of it was given soft hyphens."""
    page.wait_for_function(r"""([selector, text]) => Array.from(document.querySelectorAll(selector)).some(
        (e) => e.textContent.replace(/\u00ad/g, "").includes(text))""", arg=[selector, text])


def bot(base: str, code: str, name: str, team_id: str) -> tuple[socketio.Client, list]:
    """A participant on a socket: joined with ``name`` in the team; returns the client and its views."""
    client = socketio.Client()
    views: list[dict] = []
    client.on("game_state", views.append)
    client.connect(base, auth={"role": "player", "code": code}, transports=["websocket"])
    assert client.call("join_workshop", {"name": name})["ok"]
    assert client.call("join_team", {"team_id": team_id})["ok"]
    return client, views


def test_no_word_is_split_on_the_console_the_screen_or_a_phone(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors, faults = live_server.url, [], []
    key = create_live_workshop(base, title="Gastvrijheid in de praktijk voor alle afdelingen", language="nl",
                               card=["spilled-tea", "own-words-train"], timer_seconds="0", team_size="4",
                               teams_open=None, teams="\n".join(TEAMS))
    dutch = {"locale": "nl-NL"}
    desk = signed_in_context(browser, base, viewport={"width": 1280, "height": 800}, **dutch)
    console = watch(desk.new_page(), errors, "console", confirm="")
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}, **dutch).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")

    facilitator = socketio.Client()
    state: list[dict] = []
    facilitator.on("game_state", state.append)
    connect_console(facilitator, base, key)
    clients = [facilitator]
    try:
        facilitator.call("sync", {})
        team_ids = [next(t["id"] for t in state[-1]["teams"] if t["name"] == name) for name in TEAMS]

        # the phone: the captain of the one-word team (the first to join it)
        phone = watch(browser.new_context(**PHONE, **dutch).new_page(), errors, "phone")
        phone.goto(f"{base}/play")
        phone.fill("#code-input", code.lower())
        phone.click("#code-btn")
        phone.fill("#name-input", PHONE_NAME)
        phone.click("#join-btn")
        phone.wait_for_selector(".team-option")
        check({"phone": phone}, "team-choice", faults)
        phone.click(f".team-option[data-team-id='{team_ids[1]}']")
        phone.wait_for_selector("#team-lobby")
        bots = {}
        for team, names in BOTS.items():
            for name in names:
                client, views = bot(base, code, name, team_ids[team])
                clients.append(client)
                bots[name] = (client, views)
        pages = {"console": console, "screen": screen, "phone": phone}
        wait_for_text(screen, ".lobby-member", BOTS[3][0])
        check(pages, "lobby", faults)

        # a choice card: one team locks in, one is still picking (locked automatically by "Lock round"), one has
        # no pick at all
        console.click("#deal-btn")
        for page in pages.values():
            phase(page, "collecting")
        housekeeping, _ = bots[BOTS[0][0]]
        reception, _ = bots[BOTS[2][0]]
        assert housekeeping.call("submit_pick", {"round": 0, "response_id": "b", "pick_id": "h1"})["ok"]
        assert housekeeping.call("lock_in", {"round": 0, "response_id": "b", "why": "De gast gaat voor"})["ok"]
        assert reception.call("submit_pick", {"round": 0, "response_id": "a", "pick_id": "r1"})["ok"]
        phone.locator(".response-btn").first.click()
        console.wait_for_selector(".pick-member .letter-badge")
        check(pages, "choice", faults)

        console.click("#lock-btn")
        for page in pages.values():
            phase(page, "locked")
        console.wait_for_selector(".pick-team .tag-locked")
        check(pages, "choice-locked", faults)

        console.click("#reveal-btn")
        for page in pages.values():
            phase(page, "revealed")
        console.wait_for_selector(".score-form")
        check(pages, "choice-revealed", faults)
        console.click("#publish-btn")
        for page in pages.values():
            phase(page, "scored")
        screen.wait_for_selector("[data-testid=leaderboard] .lb-row")
        check(pages, "choice-scored", faults)

        # an open card: the members' drafts beside their names in the console's panel
        console.click("#deal-btn")
        for page in pages.values():
            phase(page, "collecting")
        for name, text in DRAFTS.items():
            client, _ = bots[name]
            assert client.call("submit_pick", {"round": 1, "text": text, "pick_id": "d-" + name[:8]})["ok"]
        phone.fill("#open-input", "Verontschuldigingsbrief en treinkaartjescompensatie aanbieden")
        wait_for_text(console, ".pick-draft", "treinkaartjescompensatie")
        check(pages, "open-drafts", faults)

        assert housekeeping.call("lock_in", {"round": 1, "text": DRAFTS[BOTS[0][0]], "why": "Vriendelijkheid"})["ok"]
        console.click("#lock-btn")
        for page in pages.values():
            phase(page, "locked")
        check(pages, "open-locked", faults)
        console.click("#reveal-btn")
        for page in pages.values():
            phase(page, "revealed")
        console.click(f".score-form[data-team-id='{team_ids[0]}'] .spotlight-btn")
        screen.wait_for_selector("#spotlight")
        check(pages, "open-revealed", faults)
        console.click("#publish-btn")
        for page in pages.values():
            phase(page, "scored")
        check(pages, "open-scored", faults)

        # the end: the podium, the debrief and a commitment on the screen
        console.click("#end-btn")
        for page in pages.values():
            phase(page, "finished")
        client, _ = bots[BOTS[2][0]]
        assert client.call("leave_commitment", {"text": "Ik beantwoord reserveringsaanvragen binnen een uur"})["ok"]
        console.wait_for_selector(".approve-btn")
        console.click(".approve-btn")
        console.wait_for_selector(".commitment-row.is-approved")
        check(pages, "finished", faults)
        tabs = screen.locator(".debrief-tab")
        for i in range(tabs.count()):  # every panel of the debrief on the screen, not only the one showing now
            tabs.nth(i).click()
            check({"screen": screen}, f"debrief-{i + 1}", faults)
        requests.get(base + "/healthz", timeout=30).raise_for_status()
    finally:
        for client in clients:
            release(client)
    assert not faults, "\n".join(faults)
    assert errors == [], errors


def test_the_check_sees_a_word_split_mid_word(browser):
    """The check itself: a word broken by ``overflow-wrap: anywhere`` is found, and one hyphenated a letter per
    line; a break at a space or after a printed hyphen is not."""
    page = browser.new_page(viewport={"width": 400, "height": 300})
    page.set_content("""<body style="font: 16px sans-serif">
      <p id="cut" style="width: 60px; overflow-wrap: anywhere">Housekeeping</p>
      <p id="fine" style="width: 60px">Receptie en Reserveringen</p>
      <p id="soft" style="width: 60px">Klanten\u00adservice\u00admede\u00adwerkers</p>
      <p id="hyphen" style="width: 60px">Anne-Sophie</p>
      <p id="squeezed" style="width: 10px">A\u00ada\u00adn\u00add</p></body>""")
    faults = page.evaluate(SPLIT_WORDS)
    page.close()
    assert len(faults) == 2, faults
    assert re.match(r'split "Housekeeping" as "\w+\|\w+" in <p#cut>', faults[0]), faults
    assert faults[1].startswith('squeezed "A\u00ada\u00adn\u00add" as "A-|a-|n-|d" in <p#squeezed>'), faults
