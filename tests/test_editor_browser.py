"""The deck editor in the real browser: Debian's Chromium through Playwright, against the real server (eventlet,
SQLite) in a subprocess. A facilitator creates a deck, gets a problem shown at its field, fixes it, adds a card,
previews it as the phone and the big screen show it, exports and re-imports the deck, and plays it: the private
notes show on the console and nowhere else. Screenshots go to test-artifacts/editor-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from game.decks import parse_deck

from .conftest import ARTIFACTS, signed_in_context
from .test_browser import watch

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
NOTES_EN = "Ask who has waited for a parcel this week."


def fill(page, values: dict[str, str]) -> None:
    """Fill form fields by their name."""
    for name, value in values.items():
        page.fill(f"[name='{name}']", value)


def error_at(page, name: str) -> str:
    """The problem shown right under the field ``name`` (inside the same .field), which must be marked invalid."""
    field = page.locator(f".field:has([name='{name}'])")
    message = field.locator(".field-error")
    message.wait_for()
    assert page.get_attribute(f"[name='{name}']", "aria-invalid") == "true"
    return message.inner_text()


CARD = {
    "id": "late-parcel",
    "title.nl": "Het late pakket", "title.en": "The late parcel",
    "situation.nl": "Je pakket is drie dagen te laat en niemand weet waar het is.",
    "situation.en": "Your parcel is three days late and nobody knows where it is.",
    "question.nl": "Wat doet de medewerker aan de telefoon?", "question.en": "What does the agent on the phone do?",
    "r0.text.nl": "Ze leest de standaardtekst voor.", "r0.text.en": "She reads out the standard text.",
    "r0.feedback.nl": "Veilig voor haar, leeg voor jou.", "r0.feedback.en": "Safe for her, empty for you.",
    "r1.text.nl": "Ze zoekt het uit en belt je vandaag terug.",
    "r1.text.en": "She looks into it and calls you back today.",
    "r1.feedback.nl": "Iemand neemt het over.", "r1.feedback.en": "Someone takes it on.",
    "r2.text.nl": "Ze verwijst je naar de vervoerder.", "r2.text.en": "She refers you to the carrier.",
    "r2.feedback.nl": "Doorschuiven.", "r2.feedback.en": "Passing it on.",
    "lesson.nl": "Wie de klacht hoort, is eigenaar.", "lesson.en": "Whoever hears the complaint owns it.",
    "debrief.nl": "Waar schuiven wij klanten door?", "debrief.en": "Where do we pass customers on?",
    "notes.nl": "Vraag wie deze week op een pakket heeft gewacht.", "notes.en": NOTES_EN,
}


def test_create_a_deck_fix_a_problem_preview_export_and_play_it(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    desk_context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk = watch(desk_context.new_page(),
                 errors, "editor", confirm="")

    # from the home page to a new deck
    desk.goto(base + "/")
    desk.click("#decks-link")
    desk.wait_for_selector("#deck-table")
    desk.click("#new-deck")
    fill(desk, {"deck.id": "parcels", "deck.title.nl": "Pakketten", "deck.title.en": "Parcels",
                "deck.description.nl": "Alles over wachten.", "deck.description.en": "All about waiting."})
    fill(desk, {**CARD, "title.en": ""})
    desk.select_option("[name='story']", "own")  # the facilitator's own case, in too many words
    fill(desk, {"story_own": "x" * 121})
    desk.check("[name='best'][value='1']")
    for dim in ("attention", "ease", "resolution", "ownership", "proportion"):
        desk.select_option(f"[name='r1.key.{dim}']", "3")
    desk.select_option("[name='r0.key.attention']", "1")
    desk.click("#save-btn")

    # every problem at its field, the rest of the input kept, nothing saved
    assert error_at(desk, "title.en") == "Write the card's title in English."
    assert error_at(desk, "story") == "Shorten the story's name to 120 characters; it has 121 now."
    assert desk.input_value("[name='title.nl']") == "Het late pakket"
    assert desk.input_value("[name='notes.en']") == NOTES_EN
    assert desk.evaluate("document.activeElement.name") == "story"  # the cursor is at the first problem
    desk.screenshot(path=str(ARTIFACTS / "editor-1-field-error.png"), full_page=True)

    # fix it, preview it before saving (a new tab), then save
    fill(desk, {"title.en": "The late parcel"})
    desk.select_option("[name='story']", "000_ad21fe9a2b2a9b6c")
    assert desk.locator("[name='story_own']").is_hidden()  # a built-in story needs no words of one's own
    with desk.context.expect_page() as popup:
        desk.click("#preview-phone")
    draft = watch(popup.value, errors, "draft-preview", confirm="")
    draft.wait_for_selector(".response-btn")
    assert draft.inner_text("#card-title") == "Het late pakket" and draft.locator(".response-btn").count() == 3
    draft.click("#to-reveal")
    draft.wait_for_selector(".answer-box.is-best")
    assert "Ze zoekt het uit en belt je vandaag terug." in draft.inner_text(".answer-box.is-best")
    with draft.expect_navigation():
        draft.click("button:text-is('EN')")  # the bar posts the unsaved card again
    assert "She looks into it and calls you back today." in draft.inner_text(".answer-box.is-best")
    assert NOTES_EN not in draft.inner_text("body")
    draft.close()
    assert "/decks/new" in desk.url  # nothing was saved by previewing
    desk.click("#save-btn")
    desk.wait_for_selector("#notice")
    assert desk.url.endswith("/decks/parcels?done=created")
    assert desk.locator(".deck-card").count() == 1

    # add an open card: its responses are hidden; one note in one language is refused at the other
    desk.click("#add-card")
    desk.check("[name='kind'][value='open']")
    assert desk.locator("#f-responses").is_hidden()
    fill(desk, {k: v for k, v in CARD.items() if not k.startswith("r")})
    fill(desk, {"id": "own-words", "title.nl": "In je eigen woorden", "title.en": "In your own words", "notes.en": ""})
    desk.select_option("[name='story']", "000_ad21fe9a2b2a9b6c")
    desk.click("#save-btn")
    assert error_at(desk, "notes.en") == "Write your notes in English."
    assert desk.locator("#f-responses").is_hidden()  # the open card stays open after the refusal
    fill(desk, {"notes.en": NOTES_EN})
    desk.click("#save-btn")
    desk.wait_for_selector("#card-own-words")

    # move it up: the order is stored
    desk.click("#card-own-words button[value='up']")
    desk.wait_for_selector("#notice")
    assert [li.get_attribute("data-card-id") for li in desk.locator(".deck-card").all()] == ["own-words", "late-parcel"]
    desk.screenshot(path=str(ARTIFACTS / "editor-2-deck.png"), full_page=True)

    # preview the card as a phone and as the big screen show it (a facilitator's preview: signed in on both)
    phone = watch(signed_in_context(browser, base, **PHONE).new_page(), errors, "phone-preview", confirm="")
    phone.goto(base + desk.get_attribute("#card-late-parcel a:has-text('Phone')", "href") + "&lang=en")
    assert phone.inner_text("#card-title") == "The late parcel"
    assert phone.locator(".response-btn").count() == 3
    assert NOTES_EN not in phone.inner_text("body")
    assert phone.evaluate("getComputedStyle(document.querySelector('.response-btn')).borderRadius") != "0px"
    phone.screenshot(path=str(ARTIFACTS / "editor-3-preview-phone.png"), full_page=True)
    big = signed_in_context(browser, base, viewport={"width": 1920, "height": 1080}).new_page()
    screen = watch(big, errors, "screen-preview", confirm="")
    screen.goto(base + desk.get_attribute("#card-late-parcel a:has-text('Screen')", "href"))
    assert screen.inner_text("#card-title") == "Het late pakket"
    assert screen.locator(".screen-responses li").count() == 3
    screen.screenshot(path=str(ARTIFACTS / "editor-4-preview-screen.png"))
    screen.click("#to-reveal")
    screen.wait_for_selector(".chart-row.is-best")
    assert "Iemand neemt het over." in screen.inner_text(".best-box")
    assert NOTES_EN not in screen.inner_text("body") and "Vraag wie" not in screen.inner_text("body")
    screen.screenshot(path=str(ARTIFACTS / "editor-5-preview-screen-reveal.png"))

    # export the deck; the file is the same deck
    with desk.expect_download() as download:
        desk.click("#export-btn")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "parcels.yaml"
    deck = parse_deck(exported, "parcels.yaml")
    assert [c.id for c in deck.cards] == ["own-words", "late-parcel"] and deck.cards[0].kind == "open"
    assert deck.card("late-parcel").notes.en == NOTES_EN

    # a broken copy of it is refused with every problem listed; the same file imports as a new deck
    desk.goto(base + "/decks")
    broken = exported.replace("id: parcels", "id: parcels-two").replace("story: 000_ad21fe9a2b2a9b6c",
                                                                        "story: " + "x" * 121)
    desk.set_input_files(
        "#deck-file", files=[{"name": "broken.yaml", "mimeType": "application/yaml", "buffer": broken.encode()}]
    )
    desk.click("#import-btn")
    desk.wait_for_selector("#upload-problems")
    rows = desk.locator("#upload-problems tr.problem").all()
    assert [r.inner_text().split("\t")[:3] for r in rows] == [
        ["broken.yaml", "own-words", "story"],
        ["broken.yaml", "late-parcel", "story"],
    ]
    desk.screenshot(path=str(ARTIFACTS / "editor-6-upload-problems.png"), full_page=True)
    desk.set_input_files(
        "#deck-file",
        files=[
            {
                "name": "parcels-two.yaml",
                "mimeType": "application/yaml",
                "buffer": exported.replace("id: parcels", "id: parcels-two").encode(),
            }
        ],
    )
    desk.click("#import-btn")
    desk.wait_for_url(re.compile(r"/decks/parcels-two"))

    # play it: the private notes are on the console, not on the phone
    desk.goto(base + "/")
    desk.select_option("#deck_id", "parcels")
    desk.fill("#title", "Parcel desk training")
    desk.select_option("#language", "en")
    assert desk.locator("#deck-parcels input[name='card']:checked").count() == 2  # both cards, in the deck's order
    desk.click("#create-btn")
    desk.wait_for_url(re.compile(r"/f/"))
    desk.wait_for_selector("body[data-phase='lobby']", state="attached")
    code = desk.inner_text("#room-code").strip()
    player = watch(browser.new_context(**PHONE).new_page(), errors, "player", confirm="")
    player.goto(f"{base}/play")
    player.fill("#code-input", code)
    player.click("#code-btn")
    player.fill("#name-input", "Anna")
    player.click("#join-btn")
    player.fill("#new-team-name", "Parcels")
    player.click("#create-team-btn")
    player.wait_for_selector("#team-lobby")
    desk.click("#deal-btn")
    desk.wait_for_selector("#card-notes")
    assert NOTES_EN in desk.inner_text("#card-notes")
    assert desk.inner_text("#card-title") == "In your own words"  # the open card, moved up to be the first
    assert desk.inner_text("#card-story") == "Story: Tea at the table"  # the built-in story by its name
    player.wait_for_selector("body[data-phase='collecting']", state="attached")
    player.wait_for_selector("#card-title")
    assert NOTES_EN not in player.inner_text("body")
    desk.screenshot(path=str(ARTIFACTS / "editor-7-console-notes.png"), full_page=True)

    # a refused form comes back as 400, which Chromium logs as a failed resource: exactly the three refusals above
    refused = [e for e in errors if "status of 400" in e]
    assert len(refused) == 3 and all(e.startswith("[editor]") for e in refused)
    assert [e for e in errors if e not in refused] == []


def test_a_dutch_only_deck_with_an_own_case_is_offered_in_dutch_only(live_server, browser):
    """A facilitator makes a deck in Dutch only, on a case of their own: the editor shows the Dutch fields only,
    the deck page the case as written, and the create form offers the deck in Dutch only."""
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    desk = watch(signed_in_context(browser, base, viewport={"width": 1280, "height": 900}).new_page(), errors, "dutch",
                 confirm="")
    desk.goto(base + "/decks/new?lang=en")
    assert desk.locator("[name='title.en']").is_visible()
    desk.check("[name='deck.languages'][value='nl']")
    assert desk.locator("[name='title.en']").is_hidden() and desk.locator("[name='deck.title.en']").is_hidden()
    assert desk.locator("[name='title.nl']").is_visible()
    assert desk.locator("[name='story_own']").is_hidden()
    desk.select_option("[name='story']", "own")
    assert desk.evaluate("document.activeElement.name") == "story_own"
    own_case = "Klacht over de lift in hal B"
    fill(desk, {"deck.id": "lift", "deck.title.nl": "De lift", "deck.description.nl": "Wachten op de lift.",
                "story_own": own_case, **{k: v for k, v in CARD.items() if not k.endswith(".en")}})
    desk.check("[name='best'][value='1']")
    for dim in ("attention", "ease", "resolution", "ownership", "proportion"):
        desk.select_option(f"[name='r1.key.{dim}']", "3")
    desk.screenshot(path=str(ARTIFACTS / "editor-8-dutch-only.png"), full_page=True)
    desk.click("#save-btn")
    desk.wait_for_selector("#notice")
    assert desk.url.endswith("/decks/lift?done=created")
    assert "Dutch only" in desk.inner_text("#deck-languages")
    assert f"story: {own_case}" in desk.inner_text("#card-late-parcel")

    # the create form: the deck says its language, and only Dutch can be chosen for it
    desk.goto(base + "/?lang=en")
    assert "Dutch only" in desk.inner_text("#deck_id option[value='lift']")
    desk.select_option("#language", "en")
    desk.select_option("#deck_id", "lift")
    assert desk.input_value("#language") == "nl"
    assert desk.get_attribute("#language option[value='en']", "disabled") is not None
    desk.select_option("#deck_id", "aandacht-basis")  # a deck in both languages offers both again
    assert desk.get_attribute("#language option[value='en']", "disabled") is None
    desk.select_option("#deck_id", "lift")
    desk.fill("#title", "Liftcasus")
    desk.click("#create-btn")
    desk.wait_for_url(re.compile(r"/f/"))
    assert errors == []
