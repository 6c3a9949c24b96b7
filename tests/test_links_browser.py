"""Renewing the console and screen links in the real browser (Chromium, the real server): the console lists the
devices that hold the links, "Renew the links" moves it to its new link, and the big screen on the projector says its
link was replaced instead of reconnecting."""

from __future__ import annotations

import pytest

from game.service import screen_key_from

from .conftest import create_live_workshop, shoot, signed_in_context
from .test_browser import watch

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_renewing_the_links_moves_the_console_and_closes_the_old_screen(live_server, browser):
    base = live_server.url
    key = create_live_workshop(base)
    errors: list[str] = []
    projector = browser.new_context(viewport={"width": 1280, "height": 720})
    laptop = signed_in_context(browser, base, viewport={"width": 1280, "height": 900}, locale="nl-NL")
    try:
        screen = watch(projector.new_page(), errors, "screen")
        screen.goto(f"{base}/s/{screen_key_from(key)}")
        screen.wait_for_selector("body[data-phase='lobby']", state="attached")
        console = watch(laptop.new_page(), errors, "console", confirm="")
        console.goto(f"{base}/f/{key}")
        devices = console.locator("#link-devices li")
        devices.first.wait_for()
        assert devices.count() == 2  # the screen and this console
        assert "nu verbonden" in devices.first.inner_text()  # the projector's screen, connected

        console.click("#revoke-btn")
        console.wait_for_url(lambda url: f"/f/{key}" not in url and "/f/" in url)
        replaced = screen.get_by_test_id("link-replaced")
        replaced.wait_for()
        assert "This link was replaced" in replaced.inner_text()
        console.locator("#link-devices li").first.wait_for()
        assert console.locator("#link-devices li").count() == 1  # only this console holds the new links
        shoot(screen, "links-replaced-screen", full_page=False)
        new_screen = console.locator("#open-screen").get_attribute("href")
        assert new_screen != f"/s/{screen_key_from(key)}"
        screen.goto(base + new_screen)
        screen.wait_for_selector("body[data-phase='lobby']", state="attached")
        assert not errors, errors
    finally:
        projector.close()
        laptop.close()
