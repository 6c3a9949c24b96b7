"""The phone's language switch in the real browser (Debian's Chromium through Playwright, the real server): a phone in
an English workshop switches to Nederlands and shows the page and the card in Dutch, while the big screen and a
team-mate's phone stay English; the choice survives a reload, and the reveal comes in Dutch too. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re

import pytest

from game.decks import default_scenarios_dir, load_decks

from .conftest import ARTIFACTS, signed_in_context
from .test_browser import PHONE, join, phase, start_team, watch

pytestmark = [pytest.mark.browser, pytest.mark.server]


def card_by_english_title(title: str):
    """The deck card an English title belongs to."""
    for deck in load_decks(default_scenarios_dir()).values():
        for card in deck.cards:
            if card.title.en == title:
                return card
    raise AssertionError(f"no card titled {title!r}")


def test_phone_switches_to_dutch_while_the_screen_stays_english(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []

    desk = signed_in_context(browser, base, viewport={"width": 1280, "height": 900}, locale="en-GB")
    console = watch(desk.new_page(), errors, "console")
    console.goto(base + "/?lang=en")
    console.fill("#title", "Language switch")
    console.select_option("#language", "en")
    console.fill("#timer_seconds", "0")
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport={"width": 1600, "height": 900}).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")

    # two phones in one team; Eva reads Dutch, Finn stays in the workshop's English
    eva_context = browser.new_context(**PHONE, locale="en-GB")
    eva = watch(eva_context.new_page(), errors, "eva")
    join(eva, base, code, "Eva")
    start_team(eva, "Lobby")
    assert eva.get_attribute("html", "lang") == "en"
    assert eva.get_attribute("#lang-en", "aria-pressed") == "true"
    finn = watch(browser.new_context(**PHONE).new_page(), errors, "finn")
    join(finn, base, code, "Finn")
    finn.click(".team-option")
    finn.wait_for_selector("#team-lobby")

    eva.click("#lang-nl")
    eva.wait_for_selector("html[lang='nl']")
    assert eva.get_attribute("#lang-nl", "aria-pressed") == "true"
    assert eva.get_attribute("#lang-en", "aria-pressed") == "false"
    assert eva.get_attribute("#lang-switch", "aria-label") == "Taal"
    assert "Je zit in team" in eva.inner_text("#team-lobby")

    console.click("#deal-btn")
    for page in (console, screen, eva, finn):
        phase(page, "collecting")
    english_title = screen.inner_text("#card-title").strip()
    card = card_by_english_title(english_title)
    assert card.title.nl != card.title.en
    eva.wait_for_selector("#card-title")
    assert eva.inner_text("#card-title").strip() == card.title.nl
    assert eva.inner_text("#question").strip() == card.question.nl
    responses = {r.id: r for r in card.responses}
    for button in eva.locator(".response-btn").all():
        rid = button.get_attribute("data-response-id")
        assert button.locator(".response-text").inner_text().strip() == responses[rid].text.nl
    assert "Tik op het antwoord" in eva.inner_text("#round")  # the page's own words in Dutch too
    assert finn.inner_text("#card-title").strip() == card.title.en  # a team-mate's choice is their own
    assert "Tap the response" in finn.inner_text("#round")
    assert screen.get_attribute("html", "lang") == "en"
    assert screen.inner_text("#card-title").strip() == card.title.en

    # the choice survives a reload (localStorage), and a pick works as ever
    eva.reload()
    phase(eva, "collecting")
    eva.wait_for_selector("#card-title")
    assert eva.get_attribute("html", "lang") == "nl"
    assert eva.inner_text("#card-title").strip() == card.title.nl
    assert eva.get_attribute("#lang-nl", "aria-pressed") == "true"
    best = next(r for r in card.responses if r.best)
    eva.click(f".response-btn[data-response-id='{best.id}']")
    eva.wait_for_selector("#lock-btn:not([disabled])")
    assert eva.inner_text("#lock-btn").strip() == "Dit is ons antwoord"
    eva.click("#lock-btn")
    eva.wait_for_selector("#locked-in")
    assert eva.inner_text("#locked-in .locked-text").strip() == best.text.nl

    for page in (console, screen, eva, finn):
        phase(page, "locked")
    console.click("#reveal-btn")
    for page in (console, screen, eva, finn):
        phase(page, "revealed")
    eva.wait_for_selector("#result")
    result = eva.inner_text("#result")
    assert "Jullie kozen het beste antwoord!" in result
    assert best.feedback.nl in result and card.lesson.nl in result
    assert card.lesson.en in finn.inner_text("#result")
    assert card.lesson.nl not in screen.inner_text("body")

    # and back to English, on the spot
    eva.click("#lang-en")
    eva.wait_for_selector("html[lang='en']")
    assert card.lesson.en in eva.inner_text("#result")

    # a phone that cannot join (an unknown room code) says why in the language chosen on it
    lost = browser.new_context(**PHONE, locale="nl-NL").new_page()  # not watched: the page itself is a 404
    lost.goto(base + "/j/ZZZZZZ")
    assert lost.inner_text("#code-error").strip() == "Die code kennen we niet. Kijk nog even op het grote scherm."
    lost.click("#lang-en")
    lost.wait_for_selector("html[lang='en']")
    assert lost.inner_text("#code-error").strip() == "Room code not found. Check the code on the big screen."
    assert lost.inner_text("#code-btn").strip() == "Continue"
    lost.context.close()

    # the facilitator switches the console to Dutch: its own words change, the room's pages do not
    console.goto(console.url.split("?")[0] + "?lang=nl")
    phase(console, "revealed")
    assert console.get_attribute("html", "lang") == "nl"
    assert console.inner_text("#phase").strip() == "Onthuld"
    assert console.inner_text("#publish-btn").strip() == "Punten publiceren"
    assert "Voorgesteld uit de sleutel" in console.inner_text("#score-note")
    assert console.get_attribute("#card-panel .card-title > span", "lang") == "en"  # the deck's text is marked English
    assert screen.get_attribute("html", "lang") == "en" and "Join at" not in screen.inner_text("#phase")
    console.screenshot(path=str(ARTIFACTS / "i18n-console-nl.png"), full_page=True)

    eva.click("#lang-nl")
    eva.wait_for_selector("html[lang='nl']")
    eva.screenshot(path=str(ARTIFACTS / "i18n-phone-nl.png"), full_page=True)
    finn.screenshot(path=str(ARTIFACTS / "i18n-phone-en.png"), full_page=True)
    screen.screenshot(path=str(ARTIFACTS / "i18n-screen-en.png"))
    assert not errors, errors
