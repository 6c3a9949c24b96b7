"""Every screen reads right in front of the room (issue 16, points 2, 5, 7 and 10), in Chromium against the real
server: the console at 1280x800, the big screen at 1920x1080 and phones at 390x844; each state's screenshots of every
page at 390x844, 1280x800 and 1920x1080 are saved in test-artifacts/ (room-<language>-<state>-<role>-<size>.png).

- a team that gave no answer reads "no answer" on the screen and the console, and the screen says how many answered;
- the facilitator moves a player into a full team and changes the team size; messages stay clear of the header,
  can be dismissed and fade by themselves;
- after "End workshop" the console reads as ended, and the final ranking has one word everywhere (report included);
- "Stop timer" then "Start timer" resumes from the time left.
"""

from __future__ import annotations

import re

import pytest
import socketio

from .conftest import connect_console, create_live_workshop, release, shoot_sizes, signed_in_context
from .test_browser import PHONE, join, phase, start_team, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

CONSOLE_SIZE = {"width": 1280, "height": 800}
SCREEN_SIZE = {"width": 1920, "height": 1080}
WORDS = {
    "en": {"no_answer": "no answer", "final": "Final standings", "ended": "ended", "resume": "Resume timer"},
    "nl": {"no_answer": "geen antwoord", "final": "Eindstand", "ended": "afgelopen", "resume": "Timer verder"},
}


def shoot(pages: dict, language: str, state: str) -> None:
    """Screenshot every role's page at each of the three sizes (conftest.shoot_sizes), then at its own size again."""
    shoot_sizes(pages, f"room-{language}-{state}")


def open_room(browser, base: str, errors: list, language: str, **fields):
    """A workshop made on the home page's form, its console and its big screen."""
    key = create_live_workshop(base, language=language, **fields)
    locale = {"locale": "nl-NL" if language == "nl" else "en-GB"}
    console = watch(signed_in_context(browser, base, viewport=CONSOLE_SIZE, **locale).new_page(), errors, "console",
                    confirm="")
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport=SCREEN_SIZE, **locale).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")
    return key, code, console, screen, locale


def phone_in_team(browser, base: str, errors: list, locale: dict, code: str, name: str, team: str):
    """A phone that joins and starts its own team."""
    page = watch(browser.new_context(**PHONE, **locale).new_page(), errors, name)
    join(page, base, code, name)
    start_team(page, team)
    return page


def facilitator_client(base: str, key: str) -> socketio.Client:
    """The facilitator's socket, for a command the console has no button for (a 5-second timer)."""
    client = socketio.Client()
    connect_console(client, base, key)
    return client


def overlaps(a: dict, b: dict) -> bool:
    """Whether two bounding boxes share any area."""
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_team_without_an_answer_reads_no_answer_on_screen_and_console(live_server, browser, language):
    base, errors = live_server.url, []
    words = WORDS[language]
    key, code, console, screen, locale = open_room(browser, base, errors, language, timer_seconds="0")
    anna = phone_in_team(browser, base, errors, locale, code, "Anna", "Receptie")
    bram = phone_in_team(browser, base, errors, locale, code, "Bram", "Housekeeping")
    screen.wait_for_selector(".team-chip >> text=Housekeeping")
    console.click("#deal-btn")
    for page in (console, screen, anna, bram):
        phase(page, "collecting")
    anna.locator(".response-btn").first.click()
    anna.wait_for_selector("#lock-btn:not([disabled])")
    anna.click("#lock-btn")
    anna.wait_for_selector("#locked-in")
    # Housekeeping never picks; a short timer runs out
    client = facilitator_client(base, key)
    try:
        ack = client.call("start_timer", {"round": 0, "seconds": 5})
        assert ack.get("ok"), ack
    finally:
        release(client)
    for page in (console, screen, anna, bram):
        phase(page, "locked")
    chip = screen.locator(".team-chip[data-team-id]", has_text="Housekeeping")
    chip.locator(".chip-state").wait_for()
    assert chip.locator(".chip-state").inner_text().strip() == words["no_answer"]
    assert "no-answer" in chip.get_attribute("class")
    text = screen.inner_text("#closed-text")
    assert re.search(r"\b1\b.*\b2\b", text), text  # 1 of 2 teams answered
    assert screen.inner_text("#closed-title").strip()  # "Time's up"
    row = console.locator(".pick-team", has_text="Housekeeping")
    assert row.locator(".pick-team-head .tag").inner_text().strip() == words["no_answer"]
    assert console.locator(".pick-team", has_text="Receptie").locator(".tag-locked").count() == 1
    shoot({"console": console, "screen": screen, "phone": bram}, language, "no-answer")
    assert not errors, errors


def test_the_facilitator_moves_into_a_full_team_and_sets_the_size(live_server, browser):
    base, errors = live_server.url, []
    _key, code, console, screen, locale = open_room(browser, base, errors, "en", team_size="1", timer_seconds="0")
    phone_in_team(browser, base, errors, locale, code, "Anna", "Front desk")
    bram = phone_in_team(browser, base, errors, locale, code, "Bram", "Kitchen")
    front = console.locator(".team-card:has(.team-card-name:text-is('Front desk'))")
    front.locator(".team-card-size >> text=1/1").wait_for()
    # the team is full, the facilitator moves Bram in anyway
    bram_row = console.locator(".member-row", has_text="Bram")
    front_id = front.get_attribute("data-team-id")
    bram_row.locator("select.move-select").select_option(front_id)
    front.locator(".member-row", has_text="Bram").wait_for()
    assert front.locator(".team-card-size").inner_text().strip() == "2/1"
    assert console.locator("[data-testid=alert]").count() == 0
    bram.wait_for_selector("#team-lobby >> text=Front desk")
    # the size changes after creation; the console shows it
    assert console.input_value("#team-size-input") == "1"
    console.fill("#team-size-input", "3")
    console.click("#team-size-btn")
    front.locator(".team-card-size >> text=2/3").wait_for()
    shoot({"console": console, "screen": screen, "phone": bram}, "en", "moved-into-full-team")
    assert not errors, errors


def test_messages_stay_clear_of_the_header_can_be_dismissed_and_fade(live_server, browser):
    base, errors = live_server.url, []
    _key, code, console, _screen, locale = open_room(browser, base, errors, "en", timer_seconds="0")
    # a message on the console (a team added without a name) stays clear of the header, is dismissed, and fades
    console.click("#add-team-btn")
    alert = console.locator("[data-testid=alert]").first
    alert.wait_for()
    assert not overlaps(alert.bounding_box(), console.locator("header.topbar").bounding_box())
    shoot({"console": console}, "en", "alert")
    alert.locator(".alert-close").click()
    alert.wait_for(state="detached")
    console.evaluate("Aandacht.alerts.fadeAfter = 300")
    console.click("#add-team-btn")
    console.locator("[data-testid=alert]").first.wait_for()
    console.locator("[data-testid=alert]").first.wait_for(state="detached")
    # on a phone too: a message at the foot, the header in sight
    carl = watch(browser.new_context(**PHONE, **locale).new_page(), errors, "carl")
    carl.goto(f"{base}/play")
    carl.fill("#code-input", code.lower())
    carl.click("#code-btn")
    carl.click("#join-btn")  # no name yet
    phone_alert = carl.locator("[data-testid=alert]").first
    phone_alert.wait_for()
    assert not overlaps(phone_alert.bounding_box(), carl.locator("header.topbar").bounding_box())
    shoot({"phone": carl}, "en", "alert")
    assert not errors, errors


@pytest.mark.parametrize("language", ["en", "nl"])
def test_after_the_end_the_console_reads_ended_and_the_ranking_has_one_word(live_server, browser, language):
    base, errors = live_server.url, []
    words = WORDS[language]
    key, code, console, screen, locale = open_room(
        browser, base, errors, language, timer_seconds="0", card=["spilled-tea", "own-words-train"]
    )
    anna = phone_in_team(browser, base, errors, locale, code, "Anna", "Receptie")
    console.click("#deal-btn")
    phase(anna, "collecting")
    anna.locator(".response-btn").first.click()
    anna.wait_for_selector("#lock-btn:not([disabled])")
    anna.click("#lock-btn")
    phase(console, "locked")
    console.click("#reveal-btn")
    phase(console, "revealed")
    console.click("#end-btn")  # with a card still to come
    for page in (console, screen, anna):
        phase(page, "finished")
    info = console.inner_text("#round-info")
    assert words["ended"] in info.lower(), info
    assert not console.locator("#next-card").is_visible()
    assert console.inner_text("#lb-heading").strip() == words["final"]
    anna.wait_for_selector("#lb-heading")
    assert anna.inner_text("#lb-heading").strip() == words["final"]
    screen.wait_for_selector("#debrief .debrief-title", state="attached")  # the teams' page: "Final standings and ..."
    assert words["final"] in screen.locator("#debrief").text_content()
    shoot({"console": console, "screen": screen, "phone": anna}, language, "ended")
    report = watch(signed_in_context(browser, base, viewport=CONSOLE_SIZE, **locale).new_page(), errors, "report")
    report.goto(f"{base}/f/{key}/report")
    assert report.inner_text("#report-standings").strip() == words["final"]
    assert "Tussenstand" not in report.inner_text("body") and "Leaderboard" not in report.inner_text("body")
    shoot({"report": report}, language, "ended")
    assert not errors, errors


def seconds_of(text: str) -> int:
    """ "m:ss" in a text as seconds."""
    m, s = re.search(r"(\d+):(\d\d)", text).groups()
    return int(m) * 60 + int(s)


def test_start_after_stop_resumes_from_the_time_left(live_server, browser):
    base, errors = live_server.url, []
    _key, code, console, screen, locale = open_room(browser, base, errors, "nl", timer_seconds="300")
    anna = phone_in_team(browser, base, errors, locale, code, "Anna", "Receptie")
    console.click("#deal-btn")
    phase(anna, "collecting")
    # let the countdown run a little, then stop it
    console.wait_for_function("() => /^4:5[0-7]$/.test(document.getElementById('countdown').textContent)")
    console.click("#stop-timer-btn")
    console.wait_for_selector("#start-timer-btn:not([hidden])")
    label = console.inner_text("#start-timer-btn")
    assert WORDS["nl"]["resume"] in label, label
    left = seconds_of(label)
    assert left < 300
    shoot({"console": console, "screen": screen, "phone": anna}, "nl", "timer-stopped")
    console.click("#start-timer-btn")
    console.wait_for_selector("#stop-timer-btn:not([hidden])")
    console.wait_for_function("() => /\\d:\\d\\d/.test(document.getElementById('countdown').textContent)")
    resumed = seconds_of(console.inner_text("#countdown"))
    assert resumed <= left, (resumed, left)  # from the time left, not from 5:00
    anna.wait_for_function(
        "() => /\\d:\\d\\d/.test((document.querySelector('[data-testid=countdown]') || {}).textContent || '')"
    )
    assert seconds_of(anna.locator("[data-testid=countdown]").first.inner_text()) <= left
    shoot({"console": console, "screen": screen, "phone": anna}, "nl", "timer-resumed")
    assert not errors, errors
