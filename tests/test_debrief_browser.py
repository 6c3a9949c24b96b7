"""The debrief in the real browser: Debian's Chromium through Playwright, against the real
server (eventlet, SQLite) in a subprocess. A console, the big screen and two phones play two
cards of the core deck with scores the facilitator sets by hand, then end the workshop: the
screen shows the room's profile (checked against the averages of those scores), every team's
profile, the cards and the approved commitments; both phones leave a commitment, the console
approves one and hides the other, and each phone shows what became of its own. Screenshots of
the screen's panels, a phone and the console are saved in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, signed_in_context
from .test_browser import join as join_room, phase, start_team, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DIMS = ("attention", "ease", "resolution", "ownership", "proportion")

# the points the facilitator gives, per round and team: chosen so the averages differ per dimension, and the room's
# attention falls on a half (9/4 = 2.25: 2.3 rounded half up, where Python's round() and "%.1f" give 2.2)
SCORES = {
    0: {"Harbour": (3, 2, 1, 0, 2), "Lighthouse": (2, 2, 3, 1, 1)},
    1: {"Harbour": (2, 3, 2, 1, 3), "Lighthouse": (2, 1, 2, 0, 2)},
}
FLAGS = {(0, "Harbour")}  # the facilitator's −1: served the organisation (whatever the key said)
ANNA_TEXT = "I greet every guest by name"
ANNA_EDIT = "I greet every guest by name and ask how their trip was"
BRAM_TEXT = "<b>Fix</b> the tea saucers & tell the kitchen"


def average(values) -> float:
    """The mean as every page shows it: one decimal, rounded half up (exactly, whatever a float makes of it)."""
    from fractions import Fraction

    tenths = Fraction(sum(values) * 10, len(values)) + Fraction(1, 2)
    return (tenths.numerator // tenths.denominator) / 10


def room_profile() -> dict[str, float]:
    """The room's average per dimension over every score set below."""
    rows = [points for teams in SCORES.values() for points in teams.values()]
    return {d: average([row[i] for row in rows]) for i, d in enumerate(DIMS)}


def team_profile(team: str) -> dict[str, float]:
    """One team's average per dimension."""
    rows = [teams[team] for teams in SCORES.values()]
    return {d: average([row[i] for row in rows]) for i, d in enumerate(DIMS)}


def join(page, base: str, code: str, name: str, team: str):
    """Open the phone page by room code, join with a name and start a team."""
    join_room(page, base, code, name)
    start_team(page, team)


def profile_values(page, selector: str) -> dict[str, float]:
    """The data-value of each [data-dim] row of a profile chart."""
    rows = page.locator(f"{selector} [data-dim]")
    return {row.get_attribute("data-dim"): float(row.get_attribute("data-value")) for row in rows.all()}


def play_round(console, screen, phones, index: int):
    """Deal the next card, let each phone's team lock in, reveal, set the scores, publish."""
    console.click("#deal-btn")
    for page in (console, screen, *phones):
        phase(page, "collecting")
    for n, phone in enumerate(phones):
        buttons = phone.locator(".response-btn")
        (buttons.first if n == 0 else buttons.last).click()
        phone.wait_for_selector("#lock-btn:not([disabled])")
        phone.click("#lock-btn")
        phone.wait_for_selector("#locked-in")
    for page in (console, screen, *phones):
        phase(page, "locked")
    console.click("#reveal-btn")
    for page in (console, screen, *phones):
        phase(page, "revealed")
    for team, points in SCORES[index].items():
        form = console.locator(".score-form").filter(has=console.locator(".score-team", has_text=team))
        for dim, value in zip(DIMS, points, strict=False):
            form.locator(f"fieldset[data-dim={dim}] label.seg-label >> text={value}").click()
        form.locator("input[name=flag]").set_checked((index, team) in FLAGS)
        form.locator(".score-save").click()
        console.locator(".score-form.is-saved").filter(has=console.locator(".score-team", has_text=team)).wait_for()
    console.click("#publish-btn")
    for page in (console, screen, *phones):
        phase(page, "scored")


def test_debrief_profiles_and_commitments(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []

    # the facilitator creates a workshop of two cards from the core deck, without a timer
    console_context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900})
    console = watch(console_context.new_page(), errors, "console",
                    confirm="End the workshop")
    console.goto(base + "/")
    console.fill("#title", "Front office debrief")
    console.select_option("#deck_id", "aandacht-basis")
    console.select_option("#language", "en")
    console.fill("#timer_seconds", "0")
    boxes = console.locator("#deck-aandacht-basis input[name=card]")
    for i in range(boxes.count()):
        if i < 2:
            boxes.nth(i).check()
        else:
            boxes.nth(i).uncheck()
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()

    # the report and the CSV export are linked from the console in every phase (not fetched here)
    for link_id, target in (("#report-link", "_blank"), ("#export-link", None)):
        link = console.locator(link_id)
        assert link.is_visible()
        assert re.search(r"/f/[^/]+/", link.get_attribute("href"))
        assert link.get_attribute("target") == target

    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")

    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, code, "Anna", "Harbour")
    bram = watch(browser.new_context(**PHONE).new_page(), errors, "bram")
    join(bram, base, code, "Bram", "Lighthouse")
    phones = (anna, bram)

    play_round(console, screen, phones, 0)
    play_round(console, screen, phones, 1)

    # the end
    console.click("#end-btn")
    for page in (console, screen, *phones):
        phase(page, "finished")

    # the big screen: the podium and the room's profile, the averages of the scores set above
    screen.wait_for_selector("#debrief #room-profile")
    expected = room_profile()
    assert profile_values(screen, "#room-profile") == expected
    screen_room = [t.text_content() for t in screen.locator("#room-profile .profile-value").all()]
    assert screen_room[0] == "2.3"  # 9/4, half up
    assert screen.locator("#room-profile [data-dim]").count() == 5
    weakest = min(DIMS, key=lambda d: expected[d])
    strongest = max(DIMS, key=lambda d: expected[d])
    assert screen.get_attribute("#room-profile .is-weakest", "data-dim") == weakest
    assert screen.get_attribute("#room-profile .is-strongest", "data-dim") == strongest
    extremes = screen.inner_text("#room-extremes")
    assert weakest.capitalize() in extremes and strongest.capitalize() in extremes
    assert screen.locator("#podium .podium-team").count() == 2
    assert screen.locator("#debrief-nav .debrief-tab").count() == 4
    screen.screenshot(path=str(ARTIFACTS / "debrief-screen-1-podium.png"), animations="disabled")

    # the panels take turns by themselves (every 12 s); the arrow keys move between them too
    screen.wait_for_selector("#debrief:not([data-page='overview-0'])")
    screen.keyboard.press("p")  # hold each panel for its screenshot
    screen.wait_for_selector("#debrief[data-paused='true'] #debrief-paused")
    while screen.get_attribute("#debrief", "data-page") != "overview-0":
        screen.keyboard.press("ArrowLeft")
    screen.keyboard.press("ArrowRight")
    screen.wait_for_selector("#debrief[data-page='teams-0'] #team-profiles", state="visible")
    screen_teams = {}
    for team in ("Harbour", "Lighthouse"):
        row = screen.locator("#team-profiles .pt-row").filter(has_text=team)
        cells = {c.get_attribute("data-dim"): float(c.get_attribute("data-value"))
                 for c in row.locator("[data-dim]").all()}
        assert cells == team_profile(team)
        flags = row.locator(".pt-flags").inner_text().strip()
        screen_teams[team] = ([v.inner_text() for v in row.locator(".pt-value").all()], int(flags.lstrip("−") or 0))
    assert screen_teams["Harbour"][1] == 1 and screen_teams["Lighthouse"][1] == 0
    screen.screenshot(path=str(ARTIFACTS / "debrief-screen-2-teams.png"), animations="disabled")

    screen.keyboard.press("ArrowRight")
    screen.wait_for_selector("#debrief[data-page='cards-0'] .debrief-card", state="visible")
    cards = screen.locator(".page-cards .debrief-card")
    assert cards.count() == 2
    for i in range(2):
        card = cards.nth(i)
        assert card.locator(".chart-row").count() >= 3
        assert card.locator(".chart-row.is-best").count() == 1
        assert sum(int(r.get_attribute("data-count")) for r in card.locator(".chart-row").all()) == 2
        assert card.locator(".lesson-text").inner_text().strip()
    screen.screenshot(path=str(ARTIFACTS / "debrief-screen-3-cards.png"), animations="disabled")

    screen.keyboard.press("ArrowRight")
    screen.wait_for_selector("#debrief[data-page='commitments-0'] .commitments-empty", state="visible")
    assert screen.locator("#commitments .commitment").count() == 0

    # the phones: the team's own profile, then one commitment each
    for phone, team in ((anna, "Harbour"), (bram, "Lighthouse")):
        phone.wait_for_selector("#team-profile")
        assert profile_values(phone, "#team-profile") == team_profile(team)
        assert phone.locator("#my-commitment").is_hidden()
    anna.fill("#commitment-input", ANNA_TEXT)
    anna.click("#commitment-btn")
    bram.fill("#commitment-input", BRAM_TEXT)
    bram.click("#commitment-btn")
    for phone, text in ((anna, ANNA_TEXT), (bram, BRAM_TEXT)):
        phone.wait_for_selector("#my-commitment[data-status='pending']")
        assert phone.inner_text("#my-commitment .my-commitment-text") == text
        assert phone.locator("#commitment-input").is_hidden()

    # the console: the debrief and every commitment, to approve or hide
    console.wait_for_selector("#debrief #console-room-profile")
    assert profile_values(console, "#console-room-profile") == expected
    assert console.locator("#debrief .debrief-card-item").count() == 2
    assert console.locator("#debrief .debrief-card-item .debrief").count() == 2  # the debrief question
    assert console.locator(".commitment-row").count() == 2
    anna_row = console.locator(".commitment-row").filter(has_text="Anna")
    bram_row = console.locator(".commitment-row").filter(has_text="Bram")
    assert bram_row.locator(".commitment-text").inner_text() == BRAM_TEXT  # markup stays text
    assert console.locator(".commitment-row b").count() == 0
    anna_id = anna_row.get_attribute("data-player-id")
    bram_id = bram_row.get_attribute("data-player-id")
    assert anna_id and bram_id and anna_id != bram_id
    anna_row.locator(".approve-btn").click()
    console.wait_for_selector(f".commitment-row[data-player-id='{anna_id}'][data-status='approved']")
    console.locator(f".commitment-row[data-player-id='{bram_id}'] .hide-btn").click()
    console.wait_for_selector(f".commitment-row[data-player-id='{bram_id}'][data-status='hidden']")

    # the screen shows exactly the approved one, and brings its panel forward
    screen.wait_for_selector("#commitments .commitment >> text=" + ANNA_TEXT)
    assert screen.locator("#commitments .commitment").count() == 1
    assert screen.inner_text("#commitments .commitment .commitment-name") == "Anna"
    assert BRAM_TEXT not in screen.inner_text("body")
    screen.wait_for_selector("#debrief[data-page='commitments-0'] .commitment", state="visible")
    screen.screenshot(path=str(ARTIFACTS / "debrief-screen-4-commitments.png"), animations="disabled")

    # each phone shows what became of its own commitment
    anna.wait_for_selector("#my-commitment[data-status='approved']")
    bram.wait_for_selector("#my-commitment[data-status='hidden']")
    assert "Not shown on the screen" in bram.inner_text("#my-commitment")
    assert "Shown on the big screen" in anna.inner_text("#my-commitment")

    # a changed commitment needs approval again: it leaves the screen until then
    anna.click("#commitment-edit-btn")
    assert anna.input_value("#commitment-input") == ANNA_TEXT
    anna.fill("#commitment-input", ANNA_EDIT)
    anna.click("#commitment-btn")
    anna.wait_for_selector("#my-commitment[data-status='pending'] >> text=" + ANNA_EDIT)
    screen.wait_for_selector("#commitments .commitments-empty", state="attached")
    assert screen.locator("#commitments .commitment").count() == 0
    console.wait_for_selector(f".commitment-row[data-player-id='{anna_id}'][data-status='pending'] >> text={ANNA_EDIT}")
    console.locator(f".commitment-row[data-player-id='{anna_id}'] .approve-btn").click()
    screen.wait_for_selector("#commitments .commitment >> text=" + ANNA_EDIT)
    anna.wait_for_selector("#my-commitment[data-status='approved']")
    assert screen.locator("#commitments .commitment").count() == 1

    for page in (anna, bram, console):
        page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page moves the sticky bar
    anna.screenshot(path=str(ARTIFACTS / "debrief-phone-anna.png"), full_page=True, animations="disabled")
    bram.screenshot(path=str(ARTIFACTS / "debrief-phone-bram.png"), full_page=True, animations="disabled")
    console.screenshot(path=str(ARTIFACTS / "debrief-console.png"), full_page=True, animations="disabled")

    # nothing any participant typed ran as markup
    for page in (console, screen, anna, bram):
        assert page.locator("#debrief b, #commitments b, .commitment-row b, #my-commitment b").count() == 0

    # the printable report, as a browser with no internet shows and prints it
    report_context = signed_in_context(browser, base, viewport={"width": 1100, "height": 900})  # the report: signed in
    requested: list[str] = []
    report_context.on("request", lambda r: requested.append(r.url))
    report = watch(report_context.new_page(), errors, "report")
    report.goto(base + console.get_attribute("#report-link", "href"))
    report.wait_for_selector("#insights li")
    assert all(url.startswith(base) for url in requested), requested  # no CDN, no web font, no tracker
    bars = report.locator("svg#room-profile rect.bar")
    assert bars.count() == 5 and all(bars.nth(i).bounding_box()["width"] > 0 for i in range(5))
    assert report.locator("figure.team-profile svg").count() >= 2
    assert report.locator("article.card").count() >= 2
    assert ANNA_EDIT in report.inner_text("#commitments")

    # the report says what the screen said: the same digits for every average, the same flags
    def report_values(svg) -> list[str]:
        return [t.text_content().split(" / ")[0] for t in report.locator(f"{svg} text.value").all()]

    assert report_values("svg#room-profile") == screen_room
    for team, (values, flags) in screen_teams.items():
        figure = f"figure.team-profile[data-team='{team}']"
        assert report_values(f"{figure} svg") == values
        caption = report.inner_text(f"{figure} figcaption")
        assert (f"{flags} answer serving the organisation" in caption) if flags else ("serving" not in caption)
    insights = report.inner_text("#insights")
    assert f"Strongest dimension: Attention ({screen_room[0]} of 3)" in insights
    assert "1 answer served the organisation rather than the customer" in insights
    report.screenshot(path=str(ARTIFACTS / "report-screen.png"), full_page=True, animations="disabled")
    report.emulate_media(media="print")
    hidden_when_printed = report.locator(".no-print").all()
    assert hidden_when_printed and all(not el.is_visible() for el in hidden_when_printed)  # links stay off paper
    report.screenshot(path=str(ARTIFACTS / "report-print.png"), full_page=True, animations="disabled")
    pdf = report.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    report_context.close()
    assert errors == []
