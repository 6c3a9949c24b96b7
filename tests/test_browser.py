"""One round in the real browser: Debian's Chromium through Playwright, against the real
server (eventlet, SQLite) in a subprocess. The facilitator's console, the big screen and
two phones play one card to the leaderboard; a screenshot of each role is saved in
test-artifacts/."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TIMEOUT = 30_000  # waiting for the page to show something, not a speed check


XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_WHY = "<script>alert(2)</script> guest first"


def watch(page, errors: list[str], name: str, confirm: str | None = None, prompts: dict[str, str] | None = None):
    """Collect JavaScript errors (a CSP violation is one) and any dialog, which only injected script would open;
    except a confirmation whose message starts with ``confirm`` (the console's before ending, the editor's before
    deleting: ``""`` accepts every one), which is accepted, and a prompt whose message starts with a key of
    ``prompts``, which is answered with its value. Every browser test's pages use this."""

    def on_dialog(dialog):
        reply = next((v for k, v in (prompts or {}).items() if dialog.message.startswith(k)), None)
        if confirm is not None and dialog.type == "confirm" and dialog.message.startswith(confirm):
            dialog.accept()
        elif dialog.type == "prompt" and reply is not None:
            dialog.accept(reply)
        else:
            errors.append(f"[{name}] dialog: {dialog.message}")
            dialog.dismiss()

    page.on("pageerror", lambda e: errors.append(f"[{name}] {e}"))
    page.on("console", lambda m: errors.append(f"[{name}] {m.text}") if m.type == "error" else None)
    page.on("dialog", on_dialog)
    page.set_default_timeout(TIMEOUT)
    return page


def phase(page, name: str):
    """Wait until the page shows a phase."""
    page.wait_for_selector(f"body[data-phase='{name}']", state="attached")


def join(page, base: str, code: str, name: str):
    """Open the phone page by room code and join with a name."""
    page.goto(f"{base}/play")
    page.fill("#code-input", code.lower())
    page.click("#code-btn")
    page.fill("#name-input", name)
    page.click("#join-btn")


def start_team(page, team: str):
    """A phone that has joined starts its own team and waits in its lobby."""
    page.fill("#new-team-name", team)
    page.click("#create-team-btn")
    page.wait_for_selector("#team-lobby")


def pick_team(page, team: str):
    """A phone that has joined chooses an existing team and waits in its lobby."""
    page.locator(".team-option", has_text=team).click()
    page.wait_for_selector("#team-lobby")


def test_one_round_to_the_leaderboard(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []

    # the facilitator creates a workshop
    console_context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900})
    console = watch(console_context.new_page(), errors, "console")
    console.goto(base + "/")
    console.fill("#title", "Front office training")
    console.select_option("#language", "en")
    console.fill("#timer_seconds", "300")
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    assert re.fullmatch(r"[A-HJ-KM-NP-Z2-9]{6}", code)

    # the big screen, opened from the console
    screen_href = console.get_attribute("#open-screen", "href")
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.goto(base + screen_href)
    phase(screen, "lobby")
    assert screen.inner_text("#room-code").strip() == code
    assert screen.locator("#qr").is_visible()

    # two phones, two teams; the team name holds markup that must stay text
    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, code, "Anna")
    start_team(anna, "Front <b>desk</b>")
    bram = watch(browser.new_context(**PHONE).new_page(), errors, "bram")
    join(bram, base, code, XSS_NAME)
    start_team(bram, "Kitchen")
    screen.wait_for_selector(".team-chip >> text=Kitchen")
    assert screen.locator(".team-chip >> text=Front <b>desk</b>").count() == 1  # shown as text, not as HTML
    assert screen.locator(".team-chip b").count() == 0

    # deal the first card
    console.click("#deal-btn")
    for page in (console, screen, anna, bram):
        phase(page, "collecting")
    title = screen.inner_text("#card-title").strip()
    assert title and anna.inner_text("#card-title").strip() == title
    assert anna.locator(".response-btn").count() >= 3

    # each captain picks and locks in; the screen shows who locked in, never what
    first = anna.locator(".response-btn").first.get_attribute("data-response-id")
    anna.click(f".response-btn[data-response-id='{first}']")
    anna.fill("#why-input", XSS_WHY)
    anna.wait_for_selector("#lock-btn:not([disabled])")
    anna.click("#lock-btn")
    anna.wait_for_selector("#locked-in")
    screen.wait_for_selector(".team-chip.locked")
    assert "guest first" not in screen.inner_text("body")
    bram.locator(".response-btn").last.click()
    bram.wait_for_selector("#lock-btn:not([disabled])")
    bram.click("#lock-btn")
    for page in (console, screen, anna, bram):
        phase(page, "locked")  # every team locked in: the round closes by itself

    # reveal, adjust a score, publish: the leaderboard moves
    console.click("#reveal-btn")
    for page in (console, screen, anna, bram):
        phase(page, "revealed")
    screen.wait_for_selector("#reveal-chart .chart-row.is-best")
    counts = [int(row.get_attribute("data-count")) for row in screen.locator("#reveal-chart .chart-row").all()]
    assert sum(counts) == 2
    anna.wait_for_selector("#result")
    form = console.locator(".score-form").first
    form.locator("fieldset[data-dim=bonus] label.seg-label >> text=2").click()
    form.locator(".score-save").click()
    console.wait_for_selector(".score-form.is-saved .score-status >> text=Saved")
    console.click("#publish-btn")
    for page in (console, screen, anna, bram):
        phase(page, "scored")
    screen.wait_for_selector("#leaderboard >> text=Kitchen")
    board = screen.inner_text("#leaderboard")
    assert "Front <b>desk</b>" in board and "Kitchen" in board
    anna.wait_for_selector("#score")

    console.screenshot(path=str(ARTIFACTS / "browser-console.png"), full_page=True)
    screen.screenshot(path=str(ARTIFACTS / "browser-screen.png"))
    anna.screenshot(path=str(ARTIFACTS / "browser-phone-anna.png"), full_page=True)
    bram.screenshot(path=str(ARTIFACTS / "browser-phone-bram.png"), full_page=True)

    # markup in names and whys is shown as text everywhere, never run
    for page in (console, screen, anna, bram):
        assert page.locator("img[src='x']").count() == 0
    assert XSS_NAME in console.inner_text("body") and XSS_WHY in console.inner_text("body")
    assert XSS_WHY in anna.inner_text("body")

    # a phone that reloads comes back as the same player in the same team
    bram.reload()
    phase(bram, "scored")
    assert bram.inner_text("#team-badge").strip() == "Kitchen"
    assert errors == []


def points_of(text: str) -> int:
    """The number in "13 pts", "−1 point" or "4" (a minus sign as JavaScript's String() writes it, or U+2212)."""
    return int(re.search(r"[-−]?\d+", text).group(0).replace("−", "-"))


def test_publish_saves_the_scores_shown_on_the_console_first(live_server, browser):
    """The facilitator changes two teams' scores and presses Publish without saving: both are saved first, so the
    screen and the phones get exactly the totals the console shows. A save the server refuses publishes nothing."""
    from .conftest import create_live_workshop

    base, errors = live_server.url, []
    key = create_live_workshop(base, title="Publish check", card=["spilled-tea"], timer_seconds="0")
    console = watch(signed_in_context(browser, base, viewport={"width": 1280, "height": 900}).new_page(), errors,
                    "console")  # a device that never opened the console link: signed in with rights
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phones = {}
    for name, team in (("Anna", "Harbour"), ("Bram", "Lighthouse")):
        phone = watch(browser.new_context(**PHONE).new_page(), errors, name)
        join(phone, base, code, name)
        start_team(phone, team)
        phones[team] = phone
    console.click("#deal-btn")
    for n, phone in enumerate(phones.values()):
        phase(phone, "collecting")
        buttons = phone.locator(".response-btn")
        (buttons.first if n == 0 else buttons.last).click()
        phone.wait_for_selector("#lock-btn:not([disabled])")
        phone.click("#lock-btn")
    phase(console, "locked")
    console.click("#reveal-btn")
    phase(console, "revealed")

    def form(team):
        return console.locator(".score-form").filter(has=console.locator(".score-team", has_text=team))

    # a save the server refuses (a value no form offers): nothing is published, the alert says which team
    # (changed and chosen in one task: a new view arriving in between would rebuild the form with the real radio)
    # (a radio not chosen yet: the server's draft for the response Harbour picked, shuffled per team, may hold any)
    bad = form("Harbour").locator("input[name=attention]:not(:checked)").first
    bad.evaluate("input => { input.value = '9'; input.click(); }")
    form("Harbour").locator(".score-status >> text=Not saved yet").wait_for()
    console.click("#publish-btn")
    console.wait_for_selector("[data-testid=alert] >> text=Nothing was published")
    assert "Harbour" in console.inner_text("#alerts")
    assert console.get_attribute("body", "data-phase") == "revealed"
    assert screen.get_attribute("body", "data-phase") == "revealed"
    console.reload()  # the tampered radio is gone; start from the server's drafts again
    phase(console, "revealed")

    # change both teams' scores, save neither, publish
    harbour, lighthouse = form("Harbour"), form("Lighthouse")
    for dim, value in (("attention", "1"), ("ease", "3"), ("bonus", "2")):
        harbour.locator(f"fieldset[data-dim={dim}] label.seg-label >> text={value}").click()
    lighthouse.locator("fieldset[data-dim=proportion] label.seg-label >> text=0").click()
    lighthouse.locator("input[name=flag]").set_checked(True)
    console.wait_for_selector(".score-form.is-dirty .score-status >> text=Not saved yet")
    shown = {team: int(form(team).locator(".score-total").inner_text()) for team in ("Harbour", "Lighthouse")}
    console.click("#publish-btn")
    for page in (console, screen, *phones.values()):
        phase(page, "scored")

    # the console still shows those totals, saved; the screen's leaderboard and each phone show the same
    for team, total in shown.items():
        row = screen.locator("#leaderboard .lb-row").filter(has_text=team)
        assert points_of(row.locator(".lb-points").inner_text()) == total
        phones[team].wait_for_selector("#score")
        assert points_of(phones[team].locator("#score .total-row td").inner_text()) == total
        assert int(form(team).locator(".score-total").inner_text()) == total
        assert "is-dirty" not in form(team).get_attribute("class")
    assert errors == []


def test_lock_round_is_not_called_times_up_on_the_big_screen(live_server, browser):
    """The screen's own clock reached zero (it runs ahead, or the facilitator extended at the last second), then the
    facilitator pressed "Lock round": the screen says the round was closed, not that the time ran out."""
    from .conftest import create_live_workshop

    base, errors = live_server.url, []
    key = create_live_workshop(base, title="Lock check", card=["spilled-tea"], timer_seconds="300")
    console = watch(signed_in_context(browser, base, viewport={"width": 1280, "height": 900}).new_page(), errors,
                    "console")  # a device that never opened the console link: signed in with rights
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.clock.install()  # the screen's clock, moved by hand below; the server's keeps its own time
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")
    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, console.inner_text("#room-code").strip(), "Anna")
    start_team(anna, "Harbour")
    console.click("#deal-btn")
    phase(screen, "collecting")
    screen.wait_for_selector("#countdown[data-state=running]")
    screen.clock.fast_forward("06:00")  # past the deadline, on the screen's clock only
    screen.wait_for_selector("#countdown[data-state=zero]")
    assert console.get_attribute("body", "data-phase") == "collecting"  # the server's timer still runs
    console.click("#lock-btn")
    phase(screen, "locked")
    assert screen.inner_text("#closed-title") == "Round closed"
    assert errors == []


def test_the_report_gives_times_in_the_zone_of_the_browser_that_created_the_workshop(live_server, browser):
    """The start page sends the browser's time zone with the new workshop; the report says it and uses it."""
    base, errors = live_server.url, []
    context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900}, timezone_id="Pacific/Auckland")
    console = watch(context.new_page(), errors, "console")
    console.goto(base + "/")
    assert console.input_value("#time_zone") == "Pacific/Auckland"
    console.fill("#title", "Zone check")
    console.select_option("#language", "en")
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    phase(console, "lobby")
    report = watch(context.new_page(), errors, "report")
    report.goto(base + console.get_attribute("#report-link", "href").split("?")[0])  # the stored zone, not the link's
    assert report.inner_text("#time-zone") == "times in Pacific/Auckland"
    shown = report.evaluate("() => new Date().toLocaleString('sv-SE', {timeZone: 'Pacific/Auckland'}).slice(0, 10)")
    assert shown in report.inner_text(".meta")  # created today, Auckland's date
    assert errors == []
