"""Accounts and rights together in a real browser (issue 11, point 7): first run from the set-up link the server
prints, a deck made in the editor, a workshop created from it and run from the console on a phone-sized screen
with one player's phone, the history on a second device that opens the console, and a second facilitator who sees
the workshop only once the administrator adds them as co-facilitator."""

from __future__ import annotations

import re

import pytest

from .conftest import LiveServer, shoot
from .test_accounts_browser import printed_setup_link
from .test_browser import PHONE, join, phase, start_team, watch
from .test_editor_browser import CARD, fill

pytestmark = [pytest.mark.browser, pytest.mark.server]

DESK = {"viewport": {"width": 1280, "height": 900}}
ADA = ("ada@example.org", "a long enough password")
BEN = ("ben@example.org", "another long password")


def sign_in_on(page, base: str, who: tuple[str, str]) -> None:
    """Sign in through the sign-in form of this browser."""
    page.goto(base + "/signin")
    page.fill("#email", who[0])
    page.fill("#password", who[1])
    page.click("#signin-btn")
    page.wait_for_url(base + "/")


def test_first_run_a_deck_a_phone_console_the_history_on_a_second_device_and_a_co_facilitator(tmp_path, browser):
    server = LiveServer(tmp_path, facilitator=False)  # a fresh machine: nobody has an account
    errors: list[str] = []
    try:
        base = server.url

        # first run: the set-up link makes Ada, the administrator
        desk = watch(browser.new_context(**DESK).new_page(), errors, "desk", confirm="")
        desk.goto(printed_setup_link(server))
        fill(desk, {"name": "Ada Admin", "email": ADA[0], "password": ADA[1], "password2": ADA[1]})
        desk.click("#setup-btn")
        desk.wait_for_url(base + "/")

        # she adds Ben, a facilitator
        desk.goto(base + "/people")
        fill(desk, {"name": "Ben Builder", "email": BEN[0], "password": BEN[1]})
        desk.click("[data-testid=add-person-btn]")
        desk.wait_for_selector("text=Ben Builder can now sign in as ben@example.org.")

        # a deck of her own in the editor
        desk.goto(base + "/decks/new")
        fill(desk, {"deck.id": "parcels", "deck.title.nl": "Pakketten", "deck.title.en": "Parcels",
                    "deck.description.nl": "Alles over wachten.", "deck.description.en": "All about waiting."})
        fill(desk, CARD)
        desk.select_option("[name='story']", "own")
        fill(desk, {"story_own": "Our own parcel desk"})
        desk.check("[name='best'][value='1']")
        for dim in ("attention", "ease", "resolution", "ownership", "proportion"):
            desk.select_option(f"[name='r1.key.{dim}']", "3")
        desk.click("#save-btn")
        desk.wait_for_selector("#notice")
        assert desk.url.endswith("/decks/parcels?done=created")
        desk.goto(base + "/decks")
        row = desk.locator(".deck-row[data-deck-id='parcels']")
        assert "yours" in row.inner_text() and row.locator("text=Edit").count() == 1

        # on her phone: sign in, create a workshop from that deck and run it from the console
        phone_console = watch(browser.new_context(**PHONE).new_page(), errors, "phone-console", confirm="")
        sign_in_on(phone_console, base, ADA)
        phone_console.select_option("#deck_id", "parcels")
        phone_console.fill("#title", "Parcel desk")
        phone_console.select_option("#language", "en")
        phone_console.check("input[name='card'][value='late-parcel']")
        phone_console.click("#create-btn")
        phone_console.wait_for_url(re.compile(r"/f/"))
        phase(phone_console, "lobby")
        code = phone_console.inner_text("#room-code").strip()
        shoot(phone_console, "wired-1-phone-console-lobby")

        # one player: join, start a team, pick, lock in; reveal and publish from the phone's console
        player = watch(browser.new_context(**PHONE).new_page(), errors, "player")
        join(player, base, code, "Pia")
        start_team(player, "Parcels team")
        phone_console.wait_for_selector("text=Parcels team")
        phone_console.click("#deal-btn")
        for page in (phone_console, player):
            phase(page, "collecting")
        assert player.inner_text("#card-title").strip() == "The late parcel"
        player.locator(".response-btn").nth(1).click()
        player.wait_for_selector("#lock-btn:not([disabled])")
        player.click("#lock-btn")
        for page in (phone_console, player):
            phase(page, "locked")
        phone_console.click("#reveal-btn")
        for page in (phone_console, player):
            phase(page, "revealed")
        phone_console.click("#publish-btn")
        for page in (phone_console, player):
            phase(page, "scored")
        shoot(phone_console, "wired-2-phone-console-scored")
        shoot(player, "wired-3-player-scored")

        # a second device (a new browser) signs in as Ada: the workshop is in her history; its console opens by id
        laptop = watch(browser.new_context(**DESK).new_page(), errors, "laptop", confirm="")
        sign_in_on(laptop, base, ADA)
        history = laptop.locator("[data-testid=history]")
        assert "Your workshops" in history.inner_text() and "Parcel desk" in history.inner_text()
        shoot(laptop, "wired-4-history-second-device")
        laptop.locator(".history-item", has_text="Parcel desk").locator("text=Review").or_(
            laptop.locator(".history-item", has_text="Parcel desk").locator("text=Open console")).first.click()
        laptop.wait_for_url(re.compile(r"/w/[0-9a-f]+$"))
        phase(laptop, "scored")
        console_path = laptop.url[len(base):]

        # Ben does not see it, and cannot open it, until Ada adds him as co-facilitator
        ben = watch(browser.new_context(**DESK).new_page(), errors, "ben")
        sign_in_on(ben, base, BEN)
        assert "Parcel desk" not in ben.inner_text("main")
        assert ben.goto(base + console_path).status == 404
        laptop.fill("[data-testid=co-email]", BEN[0])
        laptop.click("[data-testid=co-add-btn]")
        laptop.wait_for_selector("[data-testid=co-message]")
        assert "Added" in laptop.inner_text("[data-testid=co-message]")
        assert "Ben Builder" in laptop.inner_text("[data-testid=co-list]")
        shoot(laptop, "wired-5-co-facilitators")
        ben.goto(base + "/")
        item = ben.locator(".history-item", has_text="Parcel desk")
        assert "co-facilitator" in item.inner_text()
        shoot(ben, "wired-6-co-facilitator-history")
        assert ben.goto(base + console_path).status == 200
        phase(ben, "scored")
        assert ben.locator("[data-testid=co-facilitators]").count() == 0  # only the owner or an administrator
        # Ben's refused console (the 404 on purpose) is the only error
        refused = "[ben] Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
        assert set(errors) <= {refused}, errors
    finally:
        server.stop()
