"""The open round in the real browser: teams write their own answer on their phones, team-mates see each
other's drafts live, the captain locks in, the facilitator scores it by hand and puts one answer in the
spotlight on the big screen. Screenshots of every role go to test-artifacts/."""

from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, signed_in_context
from .test_browser import PHONE, join, phase, pick_team, start_team, watch
from .test_resilience import create_workshop

pytestmark = [pytest.mark.browser, pytest.mark.server]

XSS_ANSWER = "<img src=x onerror=alert(3)> Clear the cups away, then ask for tickets"


def test_teams_write_their_own_answer_and_one_goes_in_the_spotlight(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    key = create_workshop(base, timer=0, cards=["own-words-train"], title="Conductors' day")
    console = watch(signed_in_context(browser, base, viewport={"width": 1280, "height": 900}).new_page(), errors,
                    "console")
    console.goto(f"{base}/f/{key}")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()
    screen = watch(browser.new_context(viewport={"width": 1920, "height": 1080}).new_page(), errors, "screen")
    screen.goto(base + console.get_attribute("#open-screen", "href"))
    phase(screen, "lobby")

    # Red: Anna (captain) and Bas; Blue: Cor alone
    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, code, "Anna")
    start_team(anna, "Red")
    bas = watch(browser.new_context(**PHONE).new_page(), errors, "bas")
    join(bas, base, code, "Bas")
    pick_team(bas, "Red")
    cor = watch(browser.new_context(**PHONE).new_page(), errors, "cor")
    join(cor, base, code, "Cor")
    start_team(cor, "Blue")

    console.click("#deal-btn")
    for page in (console, screen, anna, bas, cor):
        phase(page, "collecting")
    assert screen.locator("#open-note").is_visible() and screen.locator(".screen-responses").count() == 0
    assert console.locator("#open-card-note").is_visible()
    assert anna.locator(".response-btn").count() == 0

    # Bas drafts; Anna sees it live, takes it over and locks in; Blue sees nothing of Red's words
    bas.fill("#open-input", "Say sorry for the crowd and pick up the cups")
    anna.wait_for_selector("#drafts .draft >> text=Say sorry for the crowd and pick up the cups")
    bas.wait_for_selector("#draft-saved:not([hidden])")
    console.wait_for_selector(".pick-draft >> text=Say sorry for the crowd")
    assert "Say sorry" not in cor.inner_text("body") and "Say sorry" not in screen.inner_text("body")
    assert bas.locator("#lock-btn").count() == 0  # only the captain locks in
    anna.click("#drafts .use-draft")
    assert anna.input_value("#open-input") == "Say sorry for the crowd and pick up the cups"
    anna.fill("#open-input", "Say sorry for the crowd, pick up the cups, then tickets")
    anna.fill("#why-input", "act first")
    anna.click("#lock-btn")
    anna.wait_for_selector("#locked-in >> text=then tickets")
    bas.wait_for_selector("#locked-in >> text=then tickets")

    # a blocked word is refused with a clear message and the text stays to be fixed
    cor.fill("#open-input", "What a load of shit")
    cor.click("#lock-btn")
    cor.wait_for_selector(".alert >> text=rephrase")
    assert cor.input_value("#open-input") == "What a load of shit"
    cor.fill("#open-input", XSS_ANSWER)
    cor.click("#lock-btn")
    for page in (console, screen, anna, bas, cor):
        phase(page, "locked")

    # reveal: no chart, the count of answers; the facilitator scores by hand and spotlights Blue
    console.click("#reveal-btn")
    for page in (console, screen, anna, bas, cor):
        phase(page, "revealed")
    screen.wait_for_selector("#spotlight-wait")
    assert "2 teams answered" in screen.inner_text("body")
    blue = console.locator(".score-form", has_text="Blue")
    blue.locator("fieldset[data-dim=attention] label.seg-label >> text=3").click()
    blue.locator("fieldset[data-dim=ownership] label.seg-label >> text=2").click()
    blue.locator(".score-save").click()
    console.wait_for_selector(".score-form.is-saved .score-status >> text=Saved")
    blue.locator(".spotlight-btn").click()
    screen.wait_for_selector("#spotlight >> text=Clear the cups away")
    assert "Blue" in screen.inner_text("#spotlight")
    anna.wait_for_selector("#spotlight >> text=Clear the cups away")
    console.wait_for_selector(".spotlight-btn[aria-pressed=true]")
    console.click("#publish-btn")
    for page in (console, screen, anna, bas, cor):
        phase(page, "scored")
    cor.wait_for_selector("#score")
    assert "5" in cor.inner_text("#score .total-row")

    console.screenshot(path=str(ARTIFACTS / "open-round-console.png"), full_page=True)
    screen.screenshot(path=str(ARTIFACTS / "open-round-screen.png"))
    anna.screenshot(path=str(ARTIFACTS / "open-round-phone-anna.png"), full_page=True)
    cor.screenshot(path=str(ARTIFACTS / "open-round-phone-cor.png"), full_page=True)

    for page in (console, screen, anna, bas, cor):  # the answer's markup is text everywhere, never run
        assert page.locator("img[src='x']").count() == 0
    assert XSS_ANSWER in screen.inner_text("#spotlight")
    assert errors == []
