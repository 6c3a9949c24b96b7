"""Captains in the real browser: the phone shows the rule that decides a team's answer when time runs out (in
English and in Dutch) and who the captain is; the console makes another member captain, whose phone says so
and can then lock in. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, signed_in_context
from .test_browser import PHONE, join, phase, pick_team, start_team, watch
from .test_resilience import create_workshop

pytestmark = [pytest.mark.browser, pytest.mark.server]

RULE_EN = "When time runs out, the team's answer is the captain's pick, else the pick most of you chose."
RULE_NL = ("Als de tijd om is, wordt het antwoord van het team de keuze van de aanvoerder, en anders de keuze die de "
           "meesten van jullie maakten.")


def test_the_phone_shows_the_rule_and_the_console_makes_another_member_captain(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    key = create_workshop(base, timer=60, cards=["spilled-tea"], title="Captains")
    console = watch(signed_in_context(browser, base, viewport={"width": 1280, "height": 900}).new_page(), errors,
                    "console")
    console.goto(f"{base}/f/{key}?lang=en")
    phase(console, "lobby")
    code = console.inner_text("#room-code").strip()

    # Red: Anna (the first, so captain) and Bas; Blue: Cor alone
    anna = watch(browser.new_context(**PHONE).new_page(), errors, "anna")
    join(anna, base, code, "Anna")
    start_team(anna, "Red")
    bas = watch(browser.new_context(**PHONE).new_page(), errors, "bas")
    join(bas, base, code, "Bas")
    pick_team(bas, "Red")
    cor = watch(browser.new_context(**PHONE).new_page(), errors, "cor")
    join(cor, base, code, "Cor")
    start_team(cor, "Blue")
    assert bas.inner_text("#members .member:has-text('Anna') .tag-captain") == "captain"

    console.click("#deal-btn")
    for page in (anna, bas, cor):
        phase(page, "collecting")
        assert page.inner_text("#team-rule") == RULE_EN
    assert anna.inner_text("#captain-note") == "You're the captain: you lock in the team's answer."
    assert bas.inner_text("#captain-note") == "Captain Anna locks in the team's answer."
    assert bas.locator("#lock-btn").count() == 0
    bas.click("#lang-nl")
    bas.wait_for_selector("html[lang='nl']")
    assert bas.inner_text("#team-rule") == RULE_NL
    anna.screenshot(path=str(ARTIFACTS / "captain-phone-rule.png"), full_page=True)

    # the console: a "make captain" control by every member but the captain
    console.wait_for_selector("button[aria-label='Make captain: Bas']")
    assert console.locator("button[aria-label='Make captain: Anna']").count() == 0
    console.click("button[aria-label='Make captain: Bas']")
    bas.wait_for_selector(".alert-info >> text=Jij bent nu de aanvoerder: jij legt het antwoord van het team vast.")
    bas.wait_for_selector("#lock-btn")
    anna.wait_for_selector("#captain-note >> text=Captain Bas locks in the team's answer.")
    assert anna.locator("#lock-btn").count() == 0
    assert anna.locator(".alert-info").count() == 0  # only the new captain is told
    console.wait_for_selector("button[aria-label='Make captain: Anna']")
    bas.screenshot(path=str(ARTIFACTS / "captain-phone-new-captain.png"), full_page=True)
    console.screenshot(path=str(ARTIFACTS / "captain-console.png"), full_page=True)

    bas.click(".response-btn >> nth=0")
    bas.wait_for_selector("#lock-btn:not([disabled])")
    bas.click("#lock-btn")
    bas.wait_for_selector("#locked-in")
    assert not errors, errors
