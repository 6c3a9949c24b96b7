"""People management in the real browser (Debian's Chromium through Playwright, the real server in a subprocess):
what a phone shows when the facilitator renames, moves or removes its player and allows it back, and when the
workshop is deleted, both on a phone that is connected and on one that comes back later."""

from __future__ import annotations

import pytest

from .conftest import create_live_workshop
from .test_browser import PHONE, TIMEOUT, join, phase, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]


def console_page(browser, base: str, key: str, errors: list[str], answers: dict):
    """The facilitator's console: every confirmation is accepted, a prompt answered from ``answers`` (by its first
    words); any other dialog, or a JavaScript error, is recorded."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    def on_dialog(dialog):
        reply = next((v for k, v in answers.items() if dialog.message.startswith(k)), None)
        if dialog.type == "confirm":
            dialog.accept()
        elif dialog.type == "prompt" and reply is not None:
            dialog.accept(reply)
        else:
            errors.append(f"[console] dialog: {dialog.message}")
            dialog.dismiss()

    page.on("pageerror", lambda e: errors.append(f"[console] {e}"))
    page.on("console", lambda m: errors.append(f"[console] {m.text}") if m.type == "error" else None)
    page.on("dialog", on_dialog)
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/f/{key}")
    phase(page, "lobby")
    return page


def row(console, name: str):
    """A participant's row in the console's team list."""
    return console.locator("#teams-list .member-row, #unassigned .member-row").filter(has_text=name)


def alert_with(page, text: str):
    """Wait for an alert (the phone's notice) that holds ``text``."""
    page.locator("#alerts .alert", has_text=text).wait_for()


def test_the_phone_is_told_what_the_facilitator_did(live_server, browser):
    base, errors = live_server.url, []
    key = create_live_workshop(base, title="People", teams="Red\nBlue")
    console = console_page(browser, base, key, errors, {"New name for Anna": "Annabel"})
    code = console.inner_text("#room-code").strip()

    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, code, "Anna")
    anna.locator(".team-option", has_text="Red").click()
    anna.wait_for_selector("#team-lobby")
    assert anna.locator("#alerts .alert").count() == 0  # a team the phone chose itself needs no notice

    # renamed: the phone says so at once, and shows the new name
    row(console, "Anna").locator(".rename-player-btn").click()
    alert_with(anna, "The facilitator changed your name to “Annabel”.")
    anna.locator("#members .member-name", has_text="Annabel").wait_for()

    # moved: "You are now in team Blue", and the phone is in Blue
    row(console, "Annabel").locator("select.move-select").select_option(label="Blue")
    alert_with(anna, "You are now in team Blue.")
    assert anna.inner_text("#team-name").strip() == "Blue" and anna.inner_text("#team-badge").strip() == "Blue"

    # removed: the phone says why; a reload (the token is gone) still does, and offers no name form
    context = browser.new_context(**PHONE)
    bram = watch(context.new_page(), errors, "bram")
    join(bram, base, code, "Bram")
    bram.locator(".team-option", has_text="Red").click()
    bram.wait_for_selector("#team-lobby")
    row(console, "Bram").locator(".remove-btn").click()
    bram.wait_for_selector("#removed >> text=You have been removed from this workshop")
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

    # deleted: the connected phone shows "This workshop has ended" within seconds, not "Connecting…" for ever
    cas_context = browser.new_context(**PHONE)
    cas = watch(cas_context.new_page(), errors, "cas")
    join(cas, base, code, "Cas")
    cas.wait_for_selector("#team-options")
    cas.close()  # Cas's phone is off while the workshop is deleted; its token stays on the phone
    console.click("#delete-form button[type=submit]")
    console.wait_for_url(f"{base}/?deleted=1")
    for phone in (anna, bram):
        phone.wait_for_selector("#gone >> text=This workshop has ended")
        assert phone.locator("#conn-status").is_hidden()
    anna.reload()  # the room code is gone; this phone took part under it
    anna.wait_for_selector("#gone")
    cas = watch(cas_context.new_page(), errors, "cas-later")
    cas.goto(f"{base}/j/{code}")
    cas.wait_for_selector("#gone")
    # the page of a room code that is gone is a 404, which the browser logs; nothing else may go wrong
    assert [e for e in errors if "status of 404" not in e] == []
