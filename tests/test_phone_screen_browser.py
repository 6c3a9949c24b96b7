"""The phone and the big screen read right in front of the room (issue "Every screen reads right", points 3, 4, 9
and 11), played on the real server in Debian's Chromium, in Dutch as the room met it:
- the phone's sticky header is one row at 360 and 390 px wide with the team chip showing, and the time left stays in
  sight while the player scrolls to the last of four long responses;
- after the end, the big screen's cards panel shows the spotlighted team answer as large as the card's other words;
- Back from a round to /play offers "Continue as <name> in <team>" (asked cheaply, token only, no room-code guess);
- the screen's team panel has a legend of its colours, and a team-name field shows its 30-character limit while typing.
Screenshots of the console, the big screen and a phone at 1920x1080, 1280x800 and 390x844 go to
test-artifacts/screens-*.png."""

from __future__ import annotations

import secrets

import pytest
import requests
import socketio

from .conftest import ARTIFACTS, connect_console, create_live_workshop, release, signed_in_context
from .test_a11y_browser import Audit
from .test_browser import PHONE, phase, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

SIZES = ((1920, 1080), (1280, 800), (390, 844))
DUTCH = {"locale": "nl-NL"}
TEAMS = ("Housekeeping Amsterdam Zuid", "Receptie en Reserveringen")


def settle(page) -> None:
    """Wait until a resize or a new state has been laid out."""
    page.wait_for_timeout(250)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def shoot(pages: dict, label: str) -> None:
    """Screenshots of every page at every size (the projector's without scrolling); back to each page's own size."""
    ARTIFACTS.mkdir(exist_ok=True)
    own = {name: page.viewport_size for name, page in pages.items()}
    for width, height in SIZES:
        for name, page in pages.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            page.screenshot(path=str(ARTIFACTS / f"screens-{label}-{name}-{width}x{height}.png"),
                            full_page=name != "screen", animations="disabled")
    for name, page in pages.items():
        page.set_viewport_size(own[name])
        settle(page)


class Room:
    """A Dutch workshop on the live server: the console, the big screen and a facilitator socket."""

    def __init__(self, base: str, browser, errors: list, cards: list[str], timer: str = "300"):
        self.base, self.browser, self.errors = base, browser, errors
        self.key = create_live_workshop(base, title="Gastvrijheid in de praktijk", language="nl", card=cards,
                                        timer_seconds=timer, team_size="4", teams_open="on", teams="\n".join(TEAMS))
        desk = signed_in_context(browser, base, viewport={"width": 1280, "height": 800}, **DUTCH)
        self.console = watch(desk.new_page(), errors, "console", confirm="")
        self.console.goto(f"{base}/f/{self.key}")
        phase(self.console, "lobby")
        self.code = self.console.inner_text("#room-code").strip()
        self.screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}, **DUTCH).new_page(),
                            errors, "screen")
        self.screen.goto(base + self.console.get_attribute("#open-screen", "href"))
        phase(self.screen, "lobby")
        self.views: list[dict] = []
        self.facilitator = socketio.Client()
        self.facilitator.on("game_state", self.views.append)
        connect_console(self.facilitator, base, self.key)
        self.clients = [self.facilitator]
        self.facilitator.call("sync", {})
        self.team_ids = [next(t["id"] for t in self.views[-1]["teams"] if t["name"] == n) for n in TEAMS]

    def do(self, event: str, data: dict) -> dict:
        """A facilitator command that must be accepted."""
        ack = self.facilitator.call(event, data)
        assert ack["ok"], (event, ack)
        return ack

    def bot(self, name: str, team: int) -> socketio.Client:
        """A participant on a socket, joined in a team."""
        client = socketio.Client()
        client.connect(self.base, auth={"role": "player", "code": self.code}, transports=["websocket"])
        self.clients.append(client)
        assert client.call("join_workshop", {"name": name})["ok"]
        assert client.call("join_team", {"team_id": self.team_ids[team]})["ok"]
        return client

    def phone(self, name: str, team: int | None, size: dict | None = None):
        """A phone that joins by typing the room code, and picks a team (None: stays a guest)."""
        context = self.browser.new_context(**{**PHONE, **({"viewport": size} if size else {})}, **DUTCH)
        page = watch(context.new_page(), self.errors, f"phone-{name}")
        page.goto(f"{self.base}/play")
        page.fill("#code-input", self.code.lower())
        page.click("#code-btn")
        page.fill("#name-input", name)
        page.click("#join-btn")
        page.wait_for_selector(".team-option")
        if team is not None:
            page.click(f".team-option[data-team-id='{self.team_ids[team]}']")
            page.wait_for_selector("#team-lobby")
        return page

    def close(self) -> None:
        for client in self.clients:
            release(client)


# ---- point 3: the phone's header is one row, the time left stays in sight ---------------------------------------

HEADER = """() => {
  const header = document.querySelector("header.topbar");
  const parts = Array.from(header.children).filter((e) => !e.hidden && e.getClientRects().length);
  const rects = parts.map((e) => e.getBoundingClientRect());
  return {height: header.getBoundingClientRect().height, parts: parts.map((e) => e.className),
          oneRow: Math.max(...rects.map((r) => r.top)) < Math.min(...rects.map((r) => r.bottom)),
          langHeight: document.getElementById("lang-switch").getBoundingClientRect().height};
}"""

COUNTDOWN_IN_SIGHT = """() => {
  const last = document.querySelector("#responses li:last-child");
  last.scrollIntoView({block: "end"});
  const header = document.querySelector("header.topbar").getBoundingClientRect();
  const box = document.getElementById("countdown").getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const atPoint = document.elementFromPoint(x, y);
  return {scrolled: window.scrollY, lastBottom: last.getBoundingClientRect().bottom, top: box.top,
          bottom: box.bottom, headerBottom: header.bottom, height: window.innerHeight,
          seen: !!atPoint && !!atPoint.closest("#countdown-box"),
          text: document.getElementById("countdown").textContent};
}"""


def test_phone_header_is_one_row_and_the_time_left_stays_in_sight(live_server, browser):
    errors: list[str] = []
    room = Room(live_server.url, browser, errors, ["spilled-tea"])
    try:
        phone = room.phone("Anne-Sophie van Kraaijenbrink", 0, size={"width": 360, "height": 740})
        phone.wait_for_selector("#team-badge:not([hidden])")
        room.do("deal_card", {"round": 0})
        phase(phone, "collecting")
        phone.wait_for_selector("#responses li:nth-child(4)")
        phone.wait_for_function("() => /\\d:\\d\\d/.test(document.getElementById('countdown').textContent)")
        faults = []
        for size in ({"width": 360, "height": 740}, {"width": 390, "height": 844}):
            phone.set_viewport_size(size)
            phone.evaluate("() => window.scrollTo(0, 0)")
            settle(phone)
            header = phone.evaluate(HEADER)
            if not header["oneRow"] or header["height"] > header["langHeight"] * 1.5:
                faults.append(f"{size}: the header takes {header['height']} px, not one row: {header}")
            seen = phone.evaluate(COUNTDOWN_IN_SIGHT)
            settle(phone)
            assert seen["scrolled"] > 0, f"the page did not scroll at {size}: the test would see nothing"
            assert seen["lastBottom"] <= seen["height"] + 1
            if not (seen["seen"] and seen["top"] >= seen["headerBottom"] - 1 and seen["bottom"] <= seen["height"]):
                faults.append(f"{size}: the countdown is out of sight after scrolling to the last response: {seen}")
            phone.screenshot(path=str(ARTIFACTS / f"screens-countdown-phone-{size['width']}x{size['height']}.png"))
        audit = Audit()
        audit(phone, "countdown-in-sight")
        audit.assert_clean("countdown-in-sight")
        phone.evaluate("() => window.scrollTo(0, 0)")
        shoot({"console": room.console, "screen": room.screen, "phone": phone}, "collecting")
        assert not faults, "\n".join(faults)
    finally:
        room.close()
    assert errors == [], errors


# ---- points 4 and 11: the big screen after the end -----------------------------------------------------------------

@pytest.fixture(scope="module")
def finished(live_server, browser):
    """A Dutch workshop played to the end by two teams: a choice card, then an open card with one team's answer in
    the spotlight."""
    errors: list[str] = []
    room = Room(live_server.url, browser, errors, ["spilled-tea", "own-words-train"], timer="0")
    try:
        first, second = room.bot("Willemijn Vandersteen", 0), room.bot("Gijsbertus Wolterbeek", 1)
        room.do("deal_card", {"round": 0})
        assert first.call("lock_in", {"round": 0, "response_id": "a", "why": "De gast gaat voor"})["ok"]
        assert second.call("lock_in", {"round": 0, "response_id": "b", "why": "Snel"})["ok"]
        phase(room.screen, "locked")
        room.do("reveal", {"round": 0})
        room.do("publish_scores", {"round": 0})
        room.do("deal_card", {"round": 1})
        answer = "Excuses aanbieden en de reiziger een nieuw kaartje geven voor de volgende trein"
        assert first.call("lock_in", {"round": 1, "text": answer, "why": "Eigenaarschap"})["ok"]
        assert second.call("lock_in", {"round": 1, "text": "Uitleggen hoe het zit", "why": "Duidelijk"})["ok"]
        phase(room.screen, "locked")
        room.do("reveal", {"round": 1})
        for team_id, points in zip(room.team_ids, (3, 1), strict=True):
            room.do("score_team", {"round": 1, "team_id": team_id, "attention": points, "ease": 2,
                                   "resolution": points, "ownership": 1, "proportion": 2, "flag": False, "bonus": 0})
        room.do("spotlight", {"round": 1, "team_id": room.team_ids[0]})
        room.screen.wait_for_selector("#spotlight")
        room.do("publish_scores", {"round": 1})
        room.do("end_workshop", {})
        phase(room.screen, "finished")
        phase(room.console, "finished")
        room.screen.wait_for_selector("#debrief")
        room.screen.keyboard.press("p")  # hold each panel while it is measured
        room.screen.wait_for_selector("#debrief[data-paused='true']")
        yield room, answer
    finally:
        room.close()
    assert errors == [], errors


def show_panel(screen, key: str) -> None:
    """Move the paused debrief to a panel with the arrow keys."""
    while screen.get_attribute("#debrief", "data-page") != "overview-0":
        screen.keyboard.press("ArrowLeft")
    while screen.get_attribute("#debrief", "data-page") != key:
        screen.keyboard.press("ArrowRight")
    screen.wait_for_selector(f"#debrief[data-page='{key}']")
    settle(screen)


SIZES_OF_CARDS = """() => Array.from(document.querySelectorAll(".page-cards .debrief-card")).map((card) => {
  const size = (sel) => Array.from(card.querySelectorAll(sel)).filter((e) => e.getClientRects().length)
    .map((e) => parseFloat(getComputedStyle(e).fontSize));
  return {spotlight: size(".spotlight-text"), lesson: size(".lesson-text"), chart: size(".chart-row"),
          closed: size(".closed-text")};
})"""


def test_the_spotlighted_answer_after_the_end_is_as_large_as_the_rest(finished):
    room, answer = finished
    screen = room.screen
    show_panel(screen, "cards-0")
    assert answer in screen.inner_text(".page-cards")
    cards = screen.evaluate(SIZES_OF_CARDS)
    spotlight = [size for card in cards for size in card["spotlight"]]
    rest = [size for card in cards for key in ("lesson", "chart", "closed") for size in card[key]]
    assert len(spotlight) == 1 and rest, cards
    # at 1920x1080 the card's other words are 21-26 px: the room must read the answer as easily
    assert spotlight[0] >= min(rest) and spotlight[0] >= 20, f"spotlight {spotlight[0]} px, the rest {rest}"
    shoot({"console": room.console, "screen": screen}, "finished-cards")


def test_the_team_panel_has_a_legend_of_its_colours(finished):
    room, _answer = finished
    screen = room.screen
    show_panel(screen, "teams-0")
    legend = screen.locator("#debrief[data-page='teams-0'] [data-testid=profile-legend]")
    assert legend.is_visible()
    words = legend.inner_text()
    assert "sterkste dimensie van het team" in words and "zwakste dimensie van het team" in words, words
    assert screen.get_attribute("#team-profiles", "aria-describedby") == legend.get_attribute("id")
    # the legend's symbols and colours are the cells'; a screen reader hears the words in the cell
    for kind, symbol, said in (("high", "▲", "sterkste"), ("low", "▼", "zwakste")):
        cells = screen.locator(f"#team-profiles .pt-cell.is-{kind}")
        assert cells.count() >= 1
        cell = cells.first
        assert cell.locator(".pt-mark").inner_text() == symbol
        assert said in cell.locator(".sr-only").text_content()
        colours = screen.evaluate("""([kind]) => [
            getComputedStyle(document.querySelector(`#team-profiles .pt-cell.is-${kind} .pt-value`)).color,
            getComputedStyle(document.querySelector(`.pt-legend-item.is-${kind} .pt-mark`)).color]""", [kind])
        assert colours[0] == colours[1], colours
    audit = Audit()
    audit(screen, "team-legend", projector=True)
    audit.assert_clean("team-legend")
    shoot({"console": room.console, "screen": screen}, "finished-teams")


# ---- point 11: the team name's limit while typing ----------------------------------------------------------------

def test_a_team_name_shows_its_limit_while_typing(live_server, browser):
    errors: list[str] = []
    room = Room(live_server.url, browser, errors, ["spilled-tea"])
    try:
        phone = room.phone("Bram", None)
        console = room.console
        for page, field in ((phone, "#new-team-name"), (console, "#add-team-name")):
            counter = page.locator(f"[data-testid={field[1:]}-count]")
            shown, left = counter.locator(".limit-count-n"), counter.locator("[aria-live=polite]")
            page.fill(field, "Housekeeping")
            assert counter.is_visible()
            assert shown.inner_text() == "12/30"
            assert left.text_content() == ""  # a screen reader is not told at every key, only near the limit
            page.fill(field, "Housekeeping Amsterdam Zuid")  # 27 letters
            assert shown.inner_text() == "27/30"
            assert left.text_content() == "Tekens over: 3"
            page.fill(field, "Housekeeping Amsterdam Zuid-Oost")  # 32 letters: the field keeps 30
            assert page.input_value(field) == "Housekeeping Amsterdam Zuid-Oo"
            assert shown.inner_text() == "30/30"
            assert left.text_content() == "Tekens over: 0"
            described = page.get_attribute(field, "aria-describedby").split()
            assert page.locator(f"#{described[-1]}").inner_text() == "30/30"
        audit = Audit()
        audit(phone, "team-name-limit-phone")
        audit(console, "team-name-limit-console")
        audit.assert_clean("team-name-limit")
        shoot({"console": console, "screen": room.screen, "phone": phone}, "team-name-limit")
        for page, field in ((phone, "#new-team-name"), (console, "#add-team-name")):
            page.fill(field, "")
            assert page.locator(f"[data-testid={field[1:]}-count] .limit-count-n").inner_text() == "0/30"
        console.fill("#add-team-name", "Nachtportiers")
        console.click("#add-team-btn")
        console.wait_for_selector(".team-card-name >> text=Nachtportiers")
        assert console.locator("[data-testid=add-team-name-count] .limit-count-n").inner_text() == "0/30"
    finally:
        room.close()
    assert errors == [], errors


# ---- point 9: Back to /play offers to continue ---------------------------------------------------------------------

def test_back_to_play_offers_to_continue_as_the_same_player(live_server, browser):
    errors: list[str] = []
    room = Room(live_server.url, browser, errors, ["spilled-tea"])
    try:
        phone = room.phone("Gijs", 1)
        room.do("deal_card", {"round": 0})
        phase(phone, "collecting")
        phone.go_back()  # the Back button mid-round: to the page the code was typed on
        phone.wait_for_url(f"{room.base}/play")
        button = phone.locator("#resume-btn")
        button.wait_for()
        assert button.inner_text().strip() == "Verder als Gijs in Receptie en Reserveringen"
        assert phone.locator("#resume-other").inner_text().strip() == "Meedoen als iemand anders"
        audit = Audit()
        audit(phone, "resume")
        audit.assert_clean("resume")
        shoot({"console": room.console, "screen": room.screen, "phone": phone}, "resume")
        button.click()
        phone.wait_for_url(f"{room.base}/j/{room.code}")
        phase(phone, "collecting")
        assert phone.inner_text("#team-badge") == TEAMS[1]
        phone.wait_for_selector("#responses .response-btn")
        assert phone.locator("#name-input").count() == 0  # the same player, not a new one

        # someone else on this phone: the code form, as before
        phone.goto(f"{room.base}/play")
        phone.click("#resume-other")
        phone.wait_for_selector("#code-input")
        # a phone without a token for any room is never offered anything
        fresh = watch(browser.new_context(**PHONE, **DUTCH).new_page(), errors, "fresh")
        fresh.goto(f"{room.base}/play")
        fresh.wait_for_selector("#code-input")
        assert fresh.locator("#resume").count() == 0
    finally:
        room.close()
    assert errors == [], errors


def test_resume_answers_only_a_token_holder_and_guesses_nothing(live_server):
    """/play/resume tells a token's own player and team, nothing for a wrong token or a right code without its token,
    and many asks with wrong tokens and codes never count as room-code guesses (the GuessLimiter is not asked)."""
    base = live_server.url
    key = create_live_workshop(base, teams="Receptie")
    facilitator = socketio.Client()
    views: list[dict] = []
    facilitator.on("game_state", views.append)
    connect_console(facilitator, base, key)
    player = socketio.Client()
    try:
        facilitator.call("sync", {})
        code, team_id = views[-1]["workshop"]["code"], views[-1]["teams"][0]["id"]
        player.connect(base, auth={"role": "player", "code": code}, transports=["websocket"])
        token = player.call("join_workshop", {"name": "Gijs"})["token"]
        assert player.call("join_team", {"team_id": team_id})["ok"]
        ask = lambda tokens: requests.post(base + "/play/resume", json={"tokens": tokens}, timeout=30)  # noqa: E731
        assert ask({code: token}).json() == {"rooms": [{"code": code, "name": "Gijs", "team": "Receptie"}]}
        assert ask({code.lower(): token}).json()["rooms"][0]["code"] == code
        wrong = ("y" if token.startswith("x") else "x") + token[1:]  # ("x" + token[1:] was the token 1 time in 64)
        assert ask({code: wrong}).json() == {"rooms": []}
        assert ask({"ZZZZZZ": token}).json() == {"rooms": []}  # the token, but for another code
        assert requests.post(base + "/play/resume", data="tokens", timeout=30).status_code == 400
        for _ in range(40):  # more than the limiter's 30 misses a minute
            assert ask({secrets.token_hex(3).upper(): secrets.token_urlsafe(24)}).json() == {"rooms": []}
        assert requests.get(f"{base}/j/{code}", timeout=30).status_code == 200
        assert requests.get(f"{base}/j/ZZZZZZ", timeout=30).status_code == 404  # a guess, and not limited yet
        assert facilitator.call("end_workshop", {})["ok"]
        assert ask({code: token}).json() == {"rooms": []}  # it ended: nothing to continue
    finally:
        release(player)
        release(facilitator)
