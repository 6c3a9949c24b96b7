"""People management in the real browser (Debian's Chromium through Playwright, the real server in a subprocess):
what a phone shows when the facilitator renames, moves or removes its player and allows it back, and when the
workshop is deleted, both on a phone that is connected and on one that comes back later."""

from __future__ import annotations

import pytest

from .conftest import create_live_workshop, signed_in_context
from .test_browser import PHONE, join, phase, pick_team, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]


def console_page(browser, base: str, key: str, errors: list[str], answers: dict):
    """The facilitator's console: every confirmation is accepted, a prompt answered from ``answers`` (by its first
    words); any other dialog, or a JavaScript error, is recorded."""
    context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900})  # deleting: signed in
    page = watch(context.new_page(), errors, "console", confirm="", prompts=answers)
    page.goto(f"{base}/f/{key}")
    phase(page, "lobby")
    return page


def row(console, name: str):
    """A participant's row in the console's team list."""
    return console.locator("#teams-list .member-row, #unassigned .member-row").filter(has_text=name)


def alert_with(page, text: str):
    """Wait for an alert (the phone's notice) that holds ``text``."""
    page.locator("#alerts .alert", has_text=text).wait_for()


def room(browser, base: str, errors: list[str], answers: dict | None = None):
    """A workshop with the teams Red and Blue, its console, and Anna's phone in Red; (console, code, anna)."""
    key = create_live_workshop(base, title="People", teams="Red\nBlue")
    console = console_page(browser, base, key, errors, answers or {})
    code = console.inner_text("#room-code").strip()
    anna = phone(browser, base, code, "Anna", errors, team="Red")
    assert anna.locator("#alerts .alert").count() == 0  # a team the phone chose itself needs no notice
    return console, code, anna


def phone(browser, base: str, code: str, name: str, errors: list[str], team: str | None = None, context=None):
    """A phone (in its own browser context, unless given one) that joins, and picks a team if given one."""
    page = watch((context or browser.new_context(**PHONE)).new_page(), errors, name)
    join(page, base, code, name)
    page.wait_for_selector("#team-options")
    if team is not None:
        pick_team(page, team)
    return page


def test_a_renamed_participant_s_phone_says_so_at_once(live_server, browser):
    errors = []
    console, _code, anna = room(browser, live_server.url, errors, {"New name for Anna": "Annabel"})
    row(console, "Anna").locator(".rename-player-btn").click()
    alert_with(anna, "The facilitator changed your name to “Annabel”.")
    anna.locator("#members .member-name", has_text="Annabel").wait_for()
    assert errors == []


def test_a_moved_phone_says_you_are_now_in_team_x(live_server, browser):
    errors = []
    console, _code, anna = room(browser, live_server.url, errors)
    row(console, "Anna").locator("select.move-select").select_option(label="Blue")
    alert_with(anna, "You are now in team Blue.")
    assert anna.inner_text("#team-name").strip() == "Blue" and anna.inner_text("#team-badge").strip() == "Blue"
    assert errors == []


def test_a_removed_phone_says_why_and_stays_out_until_allowed_back(live_server, browser):
    base, errors = live_server.url, []
    console, code, _anna = room(browser, base, errors)
    context = browser.new_context(**PHONE)
    bram = phone(browser, base, code, "Bram", errors, team="Red", context=context)
    row(console, "Bram").locator(".remove-btn").click()
    bram.wait_for_selector("#removed >> text=You have been removed from this workshop")
    # a reload (its token is gone) still says why, and offers no name form
    bram.reload()
    bram.wait_for_selector("#removed")
    assert bram.locator("#name-input").count() == 0
    # the same phone in a new tab is the same device: no way back in under another name
    again = watch(context.new_page(), errors, "bram-tab")
    again.goto(f"{base}/j/{code}")
    again.wait_for_selector("#removed")
    again.close()
    # allowed back: the phone may join again
    console.locator("#removed-list .member-row", has_text="Bram").locator(".allow-back-btn").click()
    bram.wait_for_selector("#name-input")
    assert console.locator("#removed-list .member-row").count() == 0
    bram.fill("#name-input", "Bram")
    bram.click("#join-btn")
    bram.wait_for_selector("#team-options")
    assert errors == []


def test_a_deleted_workshop_ends_on_every_phone_within_seconds(live_server, browser):
    base, errors = live_server.url, []
    console, code, anna = room(browser, base, errors)
    cas_context = browser.new_context(**PHONE)
    cas = phone(browser, base, code, "Cas", errors, context=cas_context)
    # the team options can show before the join's acknowledgement stores the token: close only once it is kept
    cas.wait_for_function("code => !!localStorage.getItem('aandacht:' + code)", arg=code)
    cas.close()  # Cas's phone is off while the workshop is deleted; its token stays on the phone
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")
    console.click("#delete-form button[type=submit]")
    console.wait_for_url(f"{base}/?deleted=1")
    screen.wait_for_selector("[data-testid=workshop-gone] >> text=This workshop has ended")
    assert screen.locator("#conn-status").is_hidden()
    # the connected phone: "This workshop has ended", not "Connecting…" for ever
    anna.wait_for_selector("#gone >> text=This workshop has ended")
    assert anna.locator("#conn-status").is_hidden()
    anna.reload()  # the room code is gone; this phone took part under it
    anna.wait_for_selector("#gone")
    cas = watch(cas_context.new_page(), errors, "cas-later")
    cas.goto(f"{base}/j/{code}")
    cas.wait_for_selector("#gone")
    # the page of a room code that is gone is a 404, which the browser logs; nothing else may go wrong
    assert [e for e in errors if "status of 404" not in e] == []
