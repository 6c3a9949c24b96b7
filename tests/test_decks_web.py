"""The deck pages through Flask's test client: create and edit decks and cards with every problem at its field,
upload with every problem listed, duplicate, export and import, the form token, read-only built-in decks, and a
saved deck that a workshop is created from."""

from __future__ import annotations

import html as html_module
import re
import threading

import pytest
import requests

from bench.upload_stall import deck_file
from game.decks import parse_deck
from game.library import DeckLibrary, deck_to_data, dump_deck

from .conftest import (
    LiveServer,
    agent_of,
    create_live_workshop,
    create_workshop,
    live_console_http,
    signed_in_client,
)
from .test_decks import parser  # noqa: F401 (a fixture: with libyaml, then with PyYAML's pure-Python parser)

BUILTIN = "aandacht-basis"
TOKEN = "deck-token"


@pytest.fixture
def client(app):
    """A signed-in test client whose session carries a known form token."""
    client = signed_in_client(app)
    with client.session_transaction() as sess:
        sess["csrf"] = TOKEN
    return client


def library(app) -> DeckLibrary:
    """The app's deck library."""
    return app.extensions["aandacht"].decks


def deck_form(**overrides) -> dict:
    """The new-deck form for a deck with one valid card."""
    form = {
        "csrf_token": TOKEN,
        "deck.id": "front-office",
        "deck.title.nl": "Balie", "deck.title.en": "Front office",
        "deck.description.nl": "Kaarten voor de balie.", "deck.description.en": "Cards for the front office.",
        **card_form(),
    }
    form.update(overrides)
    return form


def card_form(card_id: str = "late-parcel", **overrides) -> dict:
    """A valid choice card: three responses, the second one best."""
    form = {
        "csrf_token": TOKEN, "id": card_id, "story": "000_ad21fe9a2b2a9b6c", "kind": "choice",
        "title.nl": "Het late pakket", "title.en": "The late parcel",
        "situation.nl": "Je pakket is drie dagen te laat.", "situation.en": "Your parcel is three days late.",
        "question.nl": "Wat doet de medewerker?", "question.en": "What does the agent do?",
        "lesson.nl": "Neem het over.", "lesson.en": "Take it on.",
        "debrief.nl": "Waar laten wij klanten wachten?", "debrief.en": "Where do we make customers wait?",
        "best": "1",
    }
    points = {0: (1, 1, 1, 1, 1), 1: (3, 3, 3, 3, 3), 2: (0, 1, 0, 0, 1)}
    for slot, pts in points.items():
        form[f"r{slot}.id"] = "abcd"[slot]
        form[f"r{slot}.text.nl"], form[f"r{slot}.text.en"] = f"Antwoord {slot}", f"Response {slot}"
        form[f"r{slot}.feedback.nl"], form[f"r{slot}.feedback.en"] = f"Uitleg {slot}", f"Feedback {slot}"
        for dim, p in zip(("attention", "ease", "resolution", "ownership", "proportion"), pts, strict=False):
            form[f"r{slot}.key.{dim}"] = str(p)
    form.update({"r3.id": "d", "r3.key.attention": "0"})
    form.update(overrides)
    return form


def field_errors(html: str) -> dict[str, list[str]]:
    """The problems shown at each field: {field name: [messages]}."""
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'<p class="field-error" id="[^"]*" data-field="([^"]*)"[^>]*>([^<]*)</p>', html):
        found.setdefault(name, []).append(html_module.unescape(message))
    return found


def make_deck(client, **overrides) -> str:
    """Create a deck through the form; return its id."""
    response = client.post("/decks/new", data=deck_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].split("/decks/")[1].split("?")[0]


def version(app, deck_id: str) -> str:
    """The stored deck's version, as the edit forms carry it."""
    return str(library(app).info(deck_id).version)


def test_the_deck_list_shows_built_in_decks_with_counts_and_is_linked_from_home(client, app):
    page = client.get("/decks").get_data(as_text=True)
    deck = library(app)[BUILTIN]
    row = re.search(rf'<tr class="deck-row" data-deck-id="{BUILTIN}">(.*?)</tr>', page, re.S).group(1)
    counts = re.findall(r'<td class="num">(\d+)', row)
    assert counts == [str(len(deck.cards)), str(sum(c.sensitive for c in deck.cards))] and counts[1] == "2"
    assert "built-in" in row
    assert 'href="/decks"' in client.get("/").get_data(as_text=True)


def test_create_a_deck_then_edit_it_and_its_cards(client, app):
    deck_id = make_deck(client)
    assert deck_id == "front-office"
    deck = library(app)[deck_id]
    assert deck.title.en == "Front office" and [c.id for c in deck.cards] == ["late-parcel"]
    card = deck.cards[0]
    assert [r.id for r in card.responses] == ["a", "b", "c"] and card.best_response().id == "b"
    assert card.notes is None and card.sensitive is False

    # the deck's title and description
    response = client.post(f"/decks/{deck_id}", data={
        "csrf_token": TOKEN, "version": version(app, deck_id), "deck.title.nl": "Balie 2", "deck.title.en": "Desk 2",
        "deck.description.nl": "Nieuw.", "deck.description.en": "New."})
    assert response.status_code == 303
    assert library(app)[deck_id].title.en == "Desk 2"

    # add a sensitive open card with private notes
    response = client.post(f"/decks/{deck_id}/cards/new", data={
        **card_form("open-one", kind="open", sensitive="on", **{"notes.nl": "Let op stiltes.",
                                                               "notes.en": "Watch the silences."}),
        "version": version(app, deck_id)})
    assert response.status_code == 303, response.get_data(as_text=True)
    opened = library(app)[deck_id].card("open-one")
    assert opened.kind == "open" and opened.responses == () and opened.sensitive
    assert opened.notes.en == "Watch the silences."

    # edit the first card: a fourth response, and another best
    form = card_form(**{"r3.text.nl": "Vier", "r3.text.en": "Four", "r3.feedback.nl": "F4", "r3.feedback.en": "F4",
                        "best": "3", "r3.key.attention": "3", "r3.key.ease": "3", "r3.key.resolution": "3",
                        "r3.key.ownership": "3", "r3.key.proportion": "3", "r1.key.attention": "2"})
    response = client.post(f"/decks/{deck_id}/cards/late-parcel", data={**form, "csrf_token": TOKEN,
                                                                        "version": version(app, deck_id)})
    assert response.status_code == 303, response.get_data(as_text=True)
    card = library(app)[deck_id].card("late-parcel")
    assert len(card.responses) == 4 and card.best_response().id == "d"

    # reorder, then delete a card
    client.post(f"/decks/{deck_id}/cards/open-one/move", data={"csrf_token": TOKEN, "direction": "up",
                                                               "version": version(app, deck_id)})
    assert [c.id for c in library(app)[deck_id].cards] == ["open-one", "late-parcel"]
    client.post(f"/decks/{deck_id}/cards/open-one/delete", data={"csrf_token": TOKEN, "version": version(app, deck_id)})
    assert [c.id for c in library(app)[deck_id].cards] == ["late-parcel"]
    # the last card stays: a deck needs one
    response = client.post(f"/decks/{deck_id}/cards/late-parcel/delete",
                           data={"csrf_token": TOKEN, "version": version(app, deck_id)})
    assert response.status_code == 400 and "A deck needs at least one card." in response.get_data(as_text=True)
    assert len(library(app)[deck_id].cards) == 1


def test_card_problems_are_shown_at_their_fields_and_the_input_is_kept(client, app):
    deck_id = make_deck(client)
    before = library(app)[deck_id]
    form = card_form("second", **{
        "title.en": "", "situation.nl": "x" * 701, "story": "own", "story_own": "my\tstory", "r1.key.ease": "7",
        "best": "",
        "r2.text.en": "", "notes.nl": "Alleen in het Nederlands", "kind": "choice"})
    response = client.post(f"/decks/{deck_id}/cards/new", data={**form, "csrf_token": TOKEN,
                                                                 "version": version(app, deck_id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    errors = field_errors(html)
    assert errors["title.en"] == ["Write the card's title in English."]
    assert errors["situation.nl"] == ["Shorten the situation in Dutch to 700 characters; it has 701 now."]
    assert errors["story"] == ["Write the story's name on one line, without special characters."]
    assert "whole number of points from 0 to 3" in errors["r1.key.ease"][0]
    assert errors["r2.text.en"] == ["Write response C in English."]
    assert errors["notes.en"] == ["Write your notes in English."]
    assert errors["responses"] == ["Mark one response as the best."]
    # the summary names each field in words, not the file's keys
    assert "Title (English)</a>: Write the card&#39;s title in English." in html
    assert "Response B: Ease</a>" in html and "Your private notes (English)</a>" in html
    for file_words in ("best: true", "title.en", "nl and en", "responses[", "must be non-empty"):
        assert file_words not in re.sub(r'(name|id|for|data-field|href|aria-describedby)="[^"]*"', "", html)
    assert 'aria-invalid="true"' in html and 'id="error-summary"' in html
    # everything typed is still there
    assert "Alleen in het Nederlands" in html and "x" * 701 in html and 'value="my\tstory"' in html
    assert library(app)[deck_id] == before  # nothing was stored


def test_a_new_deck_with_problems_keeps_every_field_and_stores_nothing(client, app):
    response = client.post("/decks/new", data=deck_form(**{"deck.id": "Bad Id", "deck.title.nl": "", "id": "x"}))
    errors = field_errors(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "must look like" in errors["deck.id"][0] and errors["deck.title.nl"] == ["Write the deck's title in Dutch."]
    assert "must look like" in errors["id"][0]
    assert list(library(app)) == [BUILTIN]
    # an empty id is made from the English title
    assert make_deck(client, **{"deck.id": ""}) == "front-office"
    assert make_deck(client, **{"deck.id": ""}) == "front-office-2"


def test_the_same_card_id_twice_is_refused_at_the_card_id(client, app):
    deck_id = make_deck(client)
    response = client.post(f"/decks/{deck_id}/cards/new", data={**card_form(), "csrf_token": TOKEN,
                                                                 "version": version(app, deck_id)})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True))["id"] == [
        "Cards 1 and 2 both have the id 'late-parcel'; give each card its own."]


def test_a_stale_editor_does_not_overwrite_silently(client, app):
    deck_id = make_deck(client)
    old = version(app, deck_id)
    client.post(f"/decks/{deck_id}", data={"csrf_token": TOKEN, "version": old, "deck.title.nl": "Een",
                                          "deck.title.en": "One", "deck.description.nl": "D",
                                          "deck.description.en": "D"})
    response = client.post(f"/decks/{deck_id}", data={"csrf_token": TOKEN, "version": old, "deck.title.nl": "Twee",
                                                      "deck.title.en": "Two", "deck.description.nl": "D",
                                                      "deck.description.en": "D"})
    assert response.status_code == 409 and "Someone saved this deck" in response.get_data(as_text=True)
    assert library(app)[deck_id].title.en == "One"


def test_upload_lists_every_problem_by_file_card_and_field_and_imports_nothing(client, app):
    deck = library(app)[BUILTIN]
    data = deck_to_data(deck)
    data["id"] = "uploaded"
    data["title"]["en"] = ""
    data["cards"][0]["responses"][1]["key"]["ease"] = 9
    data["cards"][2]["story"] = "x" * 121
    del data["cards"][3]["lesson"]
    text = dump_deck(data)
    response = client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(text), "mine.yaml")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    rows = re.findall(r'<tr class="problem"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
                      html)
    where = {(card, field) for _file_name, card, field, _message in rows}
    assert {f for f, *_ in rows} == {"mine.yaml"}
    assert ("(deck)", "title.en") in where
    assert (deck.cards[0].id, "responses[1].key.ease") in where
    assert (deck.cards[2].id, "story") in where
    assert (deck.cards[3].id, "lesson") in where
    assert len(rows) == 4
    assert "uploaded" not in library(app)


def test_upload_refuses_other_files_and_yaml_aliases(client, app):
    def upload(text: str, name: str = "deck.yaml"):
        return client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(text), name)},
                           content_type="multipart/form-data")

    assert "must be a .yaml or .yml" in upload("id: x", "deck.txt").get_data(as_text=True)
    assert "YAML syntax error at line 1" in upload("id: [").get_data(as_text=True)
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    response = upload(bomb)
    assert response.status_code == 400 and "anchors or aliases" in response.get_data(as_text=True)
    assert list(library(app)) == [BUILTIN]


def test_export_then_import_gives_the_same_deck(client, app):
    deck_id = make_deck(client, **{"notes.nl": "Eigen notitie", "notes.en": "Own note", "sensitive": "on"})
    exported = client.get(f"/decks/{deck_id}/export.yaml")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == f'attachment; filename="{deck_id}.yaml"'
    original = library(app)[deck_id]
    assert parse_deck(exported.get_data(as_text=True), "x.yaml") == original
    # the id is taken: refused at the id, unless the facilitator asks to replace their own deck
    again = client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(exported.data), "x.yaml")},
                        content_type="multipart/form-data")
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    client.post(f"/decks/{deck_id}/delete", data={"csrf_token": TOKEN})
    assert deck_id not in library(app)
    response = client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(exported.data), "x.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert library(app)[deck_id] == original
    response = client.post("/decks/import", data={"csrf_token": TOKEN, "replace": "on",
                                                  "file": (_file(exported.data), "x.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and library(app).info(deck_id).version == 2

    # a built-in deck exports as its file, and imports as the same deck under another id
    builtin = client.get(f"/decks/{BUILTIN}/export.yaml").get_data(as_text=True)
    assert parse_deck(builtin, "b.yaml") == library(app)[BUILTIN]
    refused = client.post("/decks/import", data={"csrf_token": TOKEN, "replace": "on",
                                                 "file": (_file(builtin), "b.yaml")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "built-in deck" in refused.get_data(as_text=True)


def test_duplicate_makes_an_own_copy_with_a_new_id(client, app):
    response = client.post(f"/decks/{BUILTIN}/duplicate", data={"csrf_token": TOKEN})
    assert response.status_code == 303
    copy_id = response.headers["Location"].split("/decks/")[1].split("?")[0]
    assert copy_id == f"{BUILTIN}-copy"
    copy, original = library(app)[copy_id], library(app)[BUILTIN]
    assert copy.cards == original.cards and copy.title.en.endswith("(copy)")
    assert not library(app).info(copy_id).builtin
    second = client.post(f"/decks/{BUILTIN}/duplicate", data={"csrf_token": TOKEN}).headers["Location"]
    assert f"{BUILTIN}-copy-2" in second


def test_every_post_needs_the_form_token(client, app):
    deck_id = make_deck(client)
    v = version(app, deck_id)
    posts = [
        ("/decks/new", deck_form(**{"deck.id": "other"})),
        (f"/decks/{deck_id}", {"version": v, "deck.title.nl": "a", "deck.title.en": "b"}),
        (f"/decks/{deck_id}/cards/new", {**card_form("another"), "version": v}),
        (f"/decks/{deck_id}/cards/late-parcel", {**card_form(), "version": v}),
        (f"/decks/{deck_id}/cards/late-parcel/move", {"direction": "down", "version": v}),
        (f"/decks/{deck_id}/cards/late-parcel/delete", {"version": v}),
        (f"/decks/{deck_id}/duplicate", {}),
        (f"/decks/{deck_id}/delete", {}),
        ("/decks/import", {}),
    ]
    for url, data in posts:
        for token in (None, "wrong"):
            form = {k: v for k, v in data.items() if k != "csrf_token"}
            if token:
                form["csrf_token"] = token
            assert client.post(url, data=form).status_code == 400, url
    assert list(library(app)) == [BUILTIN, deck_id] and library(app).info(deck_id).version == int(v)


def test_built_in_decks_are_read_only(client, app):
    card_id = library(app)[BUILTIN].cards[0].id
    page = client.get(f"/decks/{BUILTIN}").get_data(as_text=True)
    assert 'id="deck-form"' not in page and 'id="add-card"' not in page and "Duplicate" in page
    assert client.get(f"/decks/{BUILTIN}/cards/new").status_code == 403
    assert client.get(f"/decks/{BUILTIN}/cards/{card_id}").status_code == 302  # opens the preview instead
    for url, data in [
        (f"/decks/{BUILTIN}", {"deck.title.nl": "a", "deck.title.en": "b"}),
        (f"/decks/{BUILTIN}/cards/new", card_form("x")),
        (f"/decks/{BUILTIN}/cards/{card_id}", card_form(card_id)),
        (f"/decks/{BUILTIN}/cards/{card_id}/move", {"direction": "down"}),
        (f"/decks/{BUILTIN}/cards/{card_id}/delete", {}),
        (f"/decks/{BUILTIN}/delete", {}),
    ]:
        assert client.post(url, data={**data, "csrf_token": TOKEN, "version": "0"}).status_code == 403, url
    # and a new deck may not take a built-in deck's id
    response = client.post("/decks/new", data=deck_form(**{"deck.id": BUILTIN}))
    assert response.status_code == 400 and "built-in" in field_errors(response.get_data(as_text=True))["deck.id"][0]
    assert client.get("/decks/no-such-deck").status_code == 404


def test_preview_shows_the_card_as_the_phone_and_the_screen_do(client, app):
    deck_id = make_deck(client, **{"notes.nl": "GEHEIM-NL", "notes.en": "SECRET-EN"})
    base = f"/decks/{deck_id}/cards/late-parcel/preview"
    phone = client.get(base + "?view=phone&lang=en").get_data(as_text=True)
    assert 'class="page play preview-page"' in phone and 'class="response-btn"' in phone
    assert "The late parcel" in phone and "Response 1" in phone and "Het late pakket" not in phone
    dutch = client.get(base + "?view=phone&lang=nl").get_data(as_text=True)
    assert "Het late pakket" in dutch and "Antwoord 2" in dutch
    screen = client.get(base + "?view=screen&lang=en").get_data(as_text=True)
    assert 'class="screen preview-page"' in screen and 'class="screen-responses"' in screen
    reveal = client.get(base + "?view=screen&lang=en&stage=reveal").get_data(as_text=True)
    assert "chart-row is-best" in reveal and "Feedback 1" in reveal and "Take it on." in reveal
    for page in (phone, dutch, screen, reveal):
        assert "GEHEIM" not in page and "SECRET" not in page  # private notes never on a phone or the screen
    assert client.get(f"/decks/{deck_id}/cards/nope/preview").status_code == 404


def test_a_saved_deck_is_offered_on_home_and_a_workshop_snapshots_its_cards(client, app):
    deck_id = make_deck(client, **{"notes.nl": "Notitie", "notes.en": "Note"})
    home = client.get("/").get_data(as_text=True)
    assert f'<option value="{deck_id}"' in home and 'data-card-id="late-parcel"' in home
    key = create_workshop(client, deck_id=deck_id, card=["late-parcel"])
    with client.session_transaction() as sess:
        sess["csrf"] = TOKEN  # create_workshop set its own
    svc = app.extensions["aandacht"]
    state = svc.state(svc.store.workshop_id_by_key("facilitator", key))
    assert state.workshop.deck_id == deck_id and state.workshop.cards[0].notes.en == "Note"
    # editing the deck later does not change the workshop
    response = client.post(f"/decks/{deck_id}/cards/late-parcel", data={
        **card_form(**{"title.en": "Renamed"}), "version": version(app, deck_id)})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert library(app)[deck_id].cards[0].title.en == "Renamed"
    svc._cache.clear()
    state = svc.state(svc.store.workshop_id_by_key("facilitator", key))
    assert state.workshop.cards[0].title.en == "The late parcel"
    # deleting it neither: the workshop keeps its cards
    client.post(f"/decks/{deck_id}/delete", data={"csrf_token": TOKEN})
    assert deck_id not in library(app)
    svc._cache.clear()
    assert svc.state(svc.store.workshop_id_by_key("facilitator", key)).workshop.cards[0].id == "late-parcel"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_apps_on_one_database_see_the_same_decks(database, tmp_path, clock, request):
    """Every process reads stored decks fresh from the database (two apps here, as two processes)."""
    from game.web import create_app

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}" if database == "sqlite" else request.getfixturevalue("pg_url")
    config = {"TESTING": True, "DATABASE_URL": url, "ASYNC_MODE": "threading", "SECRET_KEY": "test-secret",
              "CLOCK": clock, "PUBLIC_URL": "http://aandacht.test"}
    app, other = create_app(config), create_app(config)
    try:
        first = signed_in_client(app)
        with first.session_transaction() as sess:
            sess["csrf"] = TOKEN
        deck_id = make_deck(first)
        assert library(other)[deck_id] == library(app)[deck_id]
        # deleted and made again with the same id (and the same version number): the other sees the new one
        first.post(f"/decks/{deck_id}/delete", data={"csrf_token": TOKEN})
        assert make_deck(first, **{"deck.title.en": "Made again"}) == deck_id
        assert library(other)[deck_id].title.en == "Made again"
        # the same id again: the database's key refuses it, and the form says so at the id
        response = first.post("/decks/new", data=deck_form())
        assert response.status_code == 400
        assert "already used" in field_errors(response.get_data(as_text=True))["deck.id"][0]
        first.post(f"/decks/{deck_id}", data={"csrf_token": TOKEN, "version": version(app, deck_id),
                                             "deck.title.nl": "Nieuw", "deck.title.en": "Renamed",
                                             "deck.description.nl": "D", "deck.description.en": "D"})
        assert library(other)[deck_id].title.en == "Renamed"
        first.post(f"/decks/{deck_id}/delete", data={"csrf_token": TOKEN})
        assert deck_id not in library(other)
    finally:
        for each in (app, other):
            each.extensions["aandacht"].store.engine.dispose()


def _file(data):
    """An uploaded file's body."""
    import io

    return io.BytesIO(data.encode() if isinstance(data, str) else data)


def test_a_card_without_an_id_gets_one_from_its_title(client, app):
    deck_id = make_deck(client, id="")
    assert [c.id for c in library(app)[deck_id].cards] == ["the-late-parcel"]
    response = client.post(f"/decks/{deck_id}/cards/new", data={**card_form(""), "version": version(app, deck_id)})
    assert response.status_code == 303
    assert [c.id for c in library(app)[deck_id].cards] == ["the-late-parcel", "the-late-parcel-2"]


def test_rubric_problems_are_shown_at_the_response_they_concern(client, app):
    deck_id = make_deck(client)
    form = card_form("keyed", **{"r2.key.attention": "3", "r2.key.ease": "3", "r2.key.resolution": "3",
                                 "r2.key.ownership": "3", "r2.key.proportion": "3", "r1.key.flag": "on"})
    response = client.post(f"/decks/{deck_id}/cards/new", data={**form, "version": version(app, deck_id)})
    errors = field_errors(response.get_data(as_text=True))
    assert response.status_code == 400
    assert errors["r1.key.flag"] == ["The best response cannot be flagged as serving the organisation."]
    assert errors["r2.key"] == ["Response C scores 15 points, not fewer than the best response B (14); the best must "
                                "score highest."]
    # a gap among the slots: the third response (slot D) is still reported at slot D
    form = card_form("gap", **{"r2.text.nl": "", "r2.text.en": "", "r2.feedback.nl": "", "r2.feedback.en": "",
                               "r3.text.nl": "Vier", "r3.text.en": "", "r3.feedback.nl": "F", "r3.feedback.en": "F",
                               **{f"r3.key.{d}": "1" for d in ("ease", "resolution", "ownership", "proportion")}})
    response = client.post(f"/decks/{deck_id}/cards/new", data={**form, "version": version(app, deck_id)})
    errors = field_errors(response.get_data(as_text=True))
    assert errors == {"r3.text.en": ["Write response D in English."]}


def test_a_workshop_is_not_made_from_a_deck_that_changed_meanwhile(client, app):
    """The create form was filled in before the deck lost a card, or was deleted: refused, not half made."""
    from game.engine import GameError, Settings

    deck_id = make_deck(client)
    svc = app.extensions["aandacht"]
    settings = Settings(language="en", timer_seconds=0, team_size=4, teams_open=True)
    for deck, cards in ((deck_id, ["late-parcel", "no-longer-here"]), ("deleted-deck", ["late-parcel"]),
                        (deck_id, [])):
        with pytest.raises(GameError) as error:
            svc.create_workshop("W", deck, cards, settings, [])
        assert error.value.code == "deck_changed"
    assert svc.create_workshop("W", deck_id, ["late-parcel"], settings, []).workshop.cards[0].id == "late-parcel"


def test_an_unsaved_card_can_be_previewed_and_nothing_is_saved(client, app):
    deck_id = make_deck(client)
    before = library(app)[deck_id]
    form = {**card_form("draft", **{"title.en": "Draft title", "notes.nl": "GEHEIM-NL", "notes.en": "SECRET-EN"}),
            "deck.title.nl": "Mijn deck", "deck.title.en": "My deck", "version": version(app, deck_id)}
    response = client.post("/decks/preview", data={**form, "to": "screen:en:reveal"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="screen preview-page"' in html
    assert "Draft title" in html and "My deck" in html and "chart-row is-best" in html and "Feedback 1" in html
    assert "GEHEIM" not in re.sub(r'<form class="preview-bar".*?</form>', "", html, flags=re.S)  # only posted back
    assert "SECRET" not in re.sub(r'<form class="preview-bar".*?</form>', "", html, flags=re.S)
    # the bar posts every field again, to switch the view
    kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert kept["title.en"] == "Draft title" and kept["r1.key.ease"] == "3" and "to" not in kept
    phone = client.post("/decks/preview", data={**kept, "csrf_token": TOKEN, "to": "phone:nl:question"})
    assert 'class="page play preview-page"' in phone.get_data(as_text=True)
    assert "Antwoord 2" in phone.get_data(as_text=True)
    # a card that cannot be played cannot be previewed either; and the form token is needed
    refused = client.post("/decks/preview", data={**form, "title.en": "", "to": "phone:en:question"})
    assert refused.status_code == 400
    assert "Title (English): Write the card&#39;s title in English." in refused.get_data(as_text=True)
    assert client.post("/decks/preview", data={**form, "csrf_token": "wrong"}).status_code == 400
    assert library(app)[deck_id] == before


def test_deck_problems_come_in_the_facilitators_language(client, app):
    """Every problem (listed after an upload, or at its field in the editor) is in the page's language, with the
    deck's own names (ids, fields) unchanged, and nothing is stored."""
    client.get("/decks?lang=nl")  # the facilitator chooses Dutch (kept in the session)
    data = deck_to_data(library(app)[BUILTIN])
    data["id"] = "uploaded"
    data["cards"][0]["responses"][1]["key"]["ease"] = 9
    data["cards"][1]["bogus"] = 1
    text = dump_deck(data)
    html = client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(text), "mine.yaml")},
                       content_type="multipart/form-data").get_data(as_text=True)
    rows = re.findall(r'<tr class="problem"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
                      html)
    messages = {field: message for _f, _card, field, message in rows}
    assert messages["responses[1].key.ease"] == "Geef een geheel aantal punten van 0 tot en met 3, niet 9"
    assert messages["bogus"].startswith("onbekend veld; hier toegestaan: ")
    assert "uploaded" not in library(app)
    not_yaml = client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file("x"), "deck.txt")},
                           content_type="multipart/form-data").get_data(as_text=True)
    assert "moet een .yaml- of .yml-stapelbestand zijn" in not_yaml
    response = client.post("/decks/new", data=deck_form(**{"r1.key.ease": "7", "title.en": ""}))
    errors = field_errors(response.get_data(as_text=True))
    assert response.status_code == 400
    assert errors["title.en"] == ["Schrijf de titel van de kaart in het Engels."]
    assert any("van 0 tot en met 3" in m for m in errors["r1.key.ease"])
    client.get("/decks?lang=en")
    response = client.post("/decks/new", data=deck_form(**{"title.en": ""}))
    assert field_errors(response.get_data(as_text=True))["title.en"] == ["Write the card's title in English."]


@pytest.mark.usefixtures("parser")
def test_a_hostile_upload_is_refused_with_its_clear_problem_on_a_short_page(client, app):
    """1,001 nested [ (libyaml stops at 1,000; the pure-Python loader recursed until the server answered 500) and
    10,000 empty cards (70 KB: once an 11 MB page of 90,000 problems) are each one clear problem; a file with
    hundreds of problems lists the first fifty and counts the rest."""
    def upload(text: str):
        return client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file(text), "deck.yaml")},
                           content_type="multipart/form-data")

    plain = len(client.get("/decks").data)
    nested = upload("[" * 1001)
    assert nested.status_code == 400
    assert "nests lists and mappings more than 12 deep; a deck needs 6" in nested.get_data(as_text=True)
    header = "id: deck-x\ntitle: {nl: a, en: b}\ndescription: {nl: a, en: b}\ncards:\n"
    cards = upload(header + "- {}\n" * 10_000)
    assert cards.status_code == 400
    assert "has more than 100 cards; a deck can have at most 100" in cards.get_data(as_text=True)
    many = upload(header + "- {}\n" * 30)
    html = many.get_data(as_text=True)
    rows = re.findall(r'<tr class="problem">', html)
    assert many.status_code == 400 and len(rows) == 51
    assert "Nothing was imported: 240 problems." in html
    assert "and 190 more problems, not listed here; fix the ones above first" in html
    assert all(len(r.data) < plain + 20_000 for r in (nested, cards, many))
    assert list(library(app)) == [BUILTIN]


WAIT = 60.0  # seconds to wait for an answer: a bound, not a speed check


AGENT = "deck-upload-test"  # the signed-in session is bound to its browser (Flask-Login's "strong" protection)


def post_upload(port: int, cookie: str, token: str, text: str, log: list) -> tuple[int, str]:
    """Upload a deck file over a connection of its own, the whole request written at once; log "sent" when the
    server has all of it and "answered" when the first bytes of its answer arrive. Return the status and the page."""
    import socket

    boundary = "deck-upload-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"deck.yaml\"\r\n"
            f"Content-Type: application/yaml\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    head = (f"POST /decks/import HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nUser-Agent: {AGENT}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
        conn.sendall(head + body)
        log.append("sent")
        answer = conn.recv(65536)
        log.append("answered")
        while chunk := conn.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1].decode(errors="replace")


@pytest.mark.server
def test_phones_keep_getting_answers_while_bad_decks_are_uploaded(tmp_path):
    """On the real server (eventlet): a phone asks again and again while a facilitator uploads bad decks one after
    the other. Its question (a ``sync`` with a field the server does not know) is refused at once without the
    database, so its answers count the turns of the event loop. Each upload is checked in a worker thread, so the
    answers keep coming between the moment the server has the whole upload and the moment its answer arrives;
    when the check ran on the event loop, none came then but for one racing the check's start and one its answer.
    Counted, not timed: the heaviest deck within the limits takes many of the loop's turns to check, on any
    machine."""
    import socketio

    server = LiveServer(tmp_path)
    console = phone = None
    try:
        key = create_live_workshop(server.url, timeout=WAIT)
        http = live_console_http(server.url, timeout=WAIT)
        console = socketio.SimpleClient(http_session=http)
        console.connect(server.url, auth={"role": "facilitator", "key": key}, transports=["websocket"],
                        wait_timeout=WAIT, headers=agent_of(http))
        event, view = console.receive(timeout=WAIT)
        while event != "game_state":
            event, view = console.receive(timeout=WAIT)
        phone = socketio.SimpleClient()
        phone.connect(server.url, auth={"role": "player", "code": view["workshop"]["code"], "token": None},
                      transports=["websocket"], wait_timeout=WAIT)
        with requests.Session() as http:
            http.headers["User-Agent"] = AGENT
            server.sign_in(http)
            token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(server.url + "/decks").text).group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        heavy, uploads, answered, log = deck_file("heavy"), 6, [], []  # 100 cards, each with a problem
        done = threading.Event()

        def ask() -> None:
            while not done.is_set():
                answer = phone.call("sync", {"probe": 1}, timeout=WAIT)
                assert answer["error"]["code"] == "invalid", answer
                log.append("phone")

        asking = threading.Thread(target=ask)
        asking.start()
        try:
            for _ in range(uploads):
                answered.append(post_upload(server.port, cookie, token, heavy, log))
            for text in ("[" * 1001, "cards:\n" + "- {}\n" * 10_000):  # the other two kinds, for their answers
                answered.append(post_upload(server.port, cookie, token, text, []))
        finally:
            done.set()
            asking.join(WAIT)
        in_flight, during = False, []
        for entry in log:
            if entry == "sent":
                in_flight, during = True, [*during, 0]
            elif entry == "answered":
                in_flight = False
            elif in_flight:
                during[-1] += 1
        assert sum(during) > 2 * uploads, during  # holding the loop, at most 2: one racing its start, one its answer
        assert [status for status, _page in answered] == [400] * (uploads + 2)
        assert all("and 50 more problems" in page for _status, page in answered[:uploads])
        assert "more than 12 deep" in answered[-2][1] and "more than 100 cards" in answered[-1][1]
        assert phone.call("sync", {}, timeout=WAIT)["ok"]
    finally:
        for client in (phone, console):
            if client is not None:
                client.disconnect()
        server.stop()


def test_every_deck_text_is_read_and_written_through_the_librarys_offload(client, app, monkeypatch):
    """The eventlet server gives the library an ``offload`` that runs in a worker thread (game.server); so the YAML
    work of every page that reads or writes a deck must go through it, never on the request's own thread. Here
    ``offload`` runs each job in a thread of its own, and the YAML loading and writing note where they ran."""
    import game.decks
    import game.library

    lib, request_thread, ran = library(app), threading.current_thread(), []

    def offload(function, *args):
        box = []

        def job():
            try:
                box.append((True, function(*args)))
            except BaseException as exc:  # handed back to the caller, as eventlet's tpool does
                box.append((False, exc))

        worker = threading.Thread(target=job)
        worker.start()
        worker.join()
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def noting(name, original):
        def wrapper(*args, **kwargs):
            ran.append((name, threading.current_thread() is request_thread))
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(lib, "offload", offload)
    monkeypatch.setattr(game.decks, "_load", noting("read", game.decks._load))
    monkeypatch.setattr(game.library, "dump_deck", noting("write", game.library.dump_deck))
    deck_id = make_deck(client)
    client.post(f"/decks/{deck_id}", data={"csrf_token": TOKEN, "version": version(app, deck_id),
                                            "deck.title.nl": "Nieuw", "deck.title.en": "New",
                                            "deck.description.nl": "D", "deck.description.en": "D"})
    client.post(f"/decks/{deck_id}/cards/new", data={**card_form("second-card"), "version": version(app, deck_id)})
    client.post(f"/decks/{deck_id}/cards/second-card/move", data={"csrf_token": TOKEN, "direction": "up",
                                                                  "version": version(app, deck_id)})
    client.post(f"/decks/{deck_id}/duplicate", data={"csrf_token": TOKEN})
    client.post("/decks/preview", data={**card_form("draft"), "to": "phone:en:question"})
    client.post("/decks/import", data={"csrf_token": TOKEN, "file": (_file("[" * 1001), "deep.yaml")},
                content_type="multipart/form-data")
    assert [c.id for c in library(app)[deck_id].cards] == ["second-card", "late-parcel"]
    assert library(app)[deck_id].title.en == "New" and len(library(app)) == 3
    assert {name for name, _here in ran} == {"read", "write"} and len(ran) >= 12
    assert not [name for name, here in ran if here], ran


# --- one-language decks and the facilitator's own stories (issue 11, point 5) ---------------------------------------

OWN_CASE = "Klacht over de lift in hal B"


def dutch_deck_form(**overrides) -> dict:
    """The new-deck form for a Dutch-only deck: only the Dutch fields filled in, the English ones posted empty (as
    the hidden fields are), and a card on the facilitator's own case."""
    form = {key: ("" if key.endswith(".en") else value) for key, value in deck_form().items()}
    form.update({"deck.id": "balie-nl", "deck.languages": "nl", "story": "own", "story_own": OWN_CASE})
    form.update(overrides)
    return form


def test_a_dutch_only_deck_with_an_own_case_is_made_in_the_editor_and_shown_as_such(client, app):
    response = client.post("/decks/new", data=dutch_deck_form())
    assert response.status_code == 303, field_errors(response.get_data(as_text=True))
    deck = library(app)["balie-nl"]
    assert deck.languages == ("nl",) and deck.cards[0].story == OWN_CASE
    assert deck.cards[0].title.nl == "Het late pakket" and not deck.cards[0].title.has("en")
    # the deck page: its languages, and the card's story as the facilitator wrote it
    page = client.get("/decks/balie-nl?lang=en").get_data(as_text=True)
    assert "Dutch only" in page and f"story: {OWN_CASE}" in page
    assert 'value="nl" checked' in page  # the languages chooser shows the saved choice
    assert re.search(r'<div class="lang-field" data-lang="en" hidden>', page)  # no English title to fill in
    # the deck list says which languages each deck has
    listing = client.get("/decks?lang=en").get_data(as_text=True)
    row = re.search(r'<tr class="deck-row" data-deck-id="balie-nl">.*?</tr>', listing, re.S).group(0)
    assert "Dutch only" in row
    builtin = re.search(rf'<tr class="deck-row" data-deck-id="{BUILTIN}">.*?</tr>', listing, re.S).group(0)
    assert "Dutch and English" in builtin
    # the card editor: the Dutch fields only (the English ones kept, hidden), the own case in its own field
    editor = client.get(f"/decks/balie-nl/cards/{deck.cards[0].id}?lang=en").get_data(as_text=True)
    assert editor.count('data-lang="en" hidden>') == editor.count('data-lang="en"') > 10
    assert 'data-lang="nl">' in editor and "This deck is in Dutch only." in editor
    assert f'value="{OWN_CASE}"' in editor and '<option value="own" selected>' in editor
    # the preview is in Dutch, whatever is asked
    preview = client.get(f"/decks/balie-nl/cards/{deck.cards[0].id}/preview?lang=en").get_data(as_text=True)
    assert '<main id="main" class="wrap play-main" lang="nl">' in preview and "Het late pakket" in preview


def test_the_deck_page_names_a_built_in_story_not_its_number(client):
    """The deck page showed "verhaal 000" for every card of story 000_…: the seed file's number, cut from its id,
    instead of the story's name."""
    page = client.get(f"/decks/{BUILTIN}?lang=nl").get_data(as_text=True)
    assert "verhaal 000" not in page and "story 000" not in page
    assert "verhaal: Thee aan tafel" in page
    assert "story: Tea at the table" in client.get(f"/decks/{BUILTIN}?lang=en").get_data(as_text=True)


def test_a_workshop_in_a_language_the_deck_lacks_is_refused_and_nothing_is_made(client, app):
    assert client.post("/decks/new", data=dutch_deck_form()).status_code == 303
    svc = app.extensions["aandacht"]
    card_id = library(app)["balie-nl"].cards[0].id
    form = {"csrf_token": TOKEN, "title": "Balie", "deck_id": "balie-nl", "language": "en", "card": [card_id],
            "timer_seconds": "60", "team_size": "4", "teams_open": "on", "teams": ""}
    client.get("/?lang=en")
    refused = client.post("/workshops", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "This deck is in Dutch only; choose Dutch as the workshop&#39;s language, or another deck." in html
    client.get("/?lang=nl")
    dutch = client.post("/workshops", data=form).get_data(as_text=True)
    assert "Deze stapel is alleen in het Nederlands; kies Nederlands als taal van de workshop" in dutch
    assert svc.store.expired_workshops(float("inf")) == []  # nothing was created
    # the form offers the deck with its language, and the Dutch workshop is made
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<option value="balie-nl" data-languages="nl"[^>]*>[^<]*alleen Nederlands', home)
    made = client.post("/workshops", data={**form, "language": "nl"})
    assert made.status_code == 303 and len(svc.store.expired_workshops(float("inf"))) == 1


def test_a_one_language_workshop_shows_its_texts_in_its_language_only(client, app):
    """The service refuses the other language with its own code; a Dutch workshop from a Dutch-only deck gives the
    phones no English to switch to (their switch keeps the Dutch card), the console the own case, the report too."""
    from game.engine import GameError, Settings, build_views, commands as c
    from game.engine.state import FACILITATOR, GUEST, Actor, Role

    deck = deck_to_data(library(app)[BUILTIN])  # a deck in both languages, made Dutch-only: its English is kept
    deck.update(id="alleen-nl", languages=["nl"])
    deck["cards"][0]["story"] = OWN_CASE
    library(app).create(dump_deck(deck), "alleen-nl.yaml")
    assert library(app)["alleen-nl"].cards[0].title.en  # kept in the deck...
    svc = app.extensions["aandacht"]
    first = library(app)["alleen-nl"].cards[0]
    with pytest.raises(GameError) as error:
        svc.create_workshop("W", "alleen-nl", [first.id], Settings(language="en"), [])
    assert error.value.code == "deck_dutch_only" and "Dutch only" in error.value.message
    assert svc.store.expired_workshops(float("inf")) == []
    created = svc.create_workshop("W", "alleen-nl", [first.id], Settings(language="nl"), ["Rood"])
    assert not created.workshop.cards[0].title.en  # ...but a workshop keeps the deck's languages only
    wid = created.workshop.id
    svc.execute(wid, GUEST, c.JoinWorkshop("ann", "Ann"), {"ann": "token-ann"})
    svc.execute(wid, Actor(Role.PLAYER, "ann"), c.JoinTeam(next(iter(svc.state(wid).teams))))
    svc.execute(wid, FACILITATOR, c.DealCard(0))
    views = build_views(svc.state(wid), 0.0)
    team = next(iter(views.teams.values()))
    assert team["translations"] == {} and team["card"]["title"] == first.title.nl
    assert views.facilitator["card"]["story"] == OWN_CASE
    console = client.get(f"/f/{created.facilitator_key}").get_data(as_text=True)
    assert '<script type="application/json" id="story-names">' in console and "Tea at the table" in console
    report = client.get(f"/f/{created.facilitator_key}/report").get_data(as_text=True)
    assert f"Verhaal: {OWN_CASE}" in report


def test_a_deck_turned_to_one_language_keeps_the_other_and_gets_it_back(client, app):
    deck_id = make_deck(client)
    values = {"csrf_token": TOKEN, "deck.title.nl": "Balie", "deck.title.en": "Front office",
              "deck.description.nl": "Kaarten.", "deck.description.en": "Cards."}
    response = client.post(f"/decks/{deck_id}", data={**values, "deck.languages": "nl",
                                                      "version": version(app, deck_id)})
    assert response.status_code == 303
    deck = library(app)[deck_id]
    assert deck.languages == ("nl",) and deck.cards[0].title.en == "The late parcel"  # kept, not played
    response = client.post(f"/decks/{deck_id}", data={**values, "deck.languages": "nl en",
                                                      "version": version(app, deck_id)})
    assert response.status_code == 303 and library(app)[deck_id].languages == ("nl", "en")


def test_a_language_is_added_only_when_every_card_has_its_texts(client, app):
    assert client.post("/decks/new", data=dutch_deck_form()).status_code == 303
    values = {"csrf_token": TOKEN, "deck.title.nl": "Balie", "deck.title.en": "Front office",
              "deck.description.nl": "Kaarten.", "deck.description.en": "Cards.", "deck.languages": "nl en"}
    refused = client.post("/decks/balie-nl?lang=en", data={**values, "version": version(app, "balie-nl")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and library(app)["balie-nl"].languages == ("nl",)
    assert "To add a language, every card needs its texts in it first." in html
    assert "Card “Het late pakket”: Write the card&#39;s title in English." in html
    # the card editor shows the other language on request, so its texts can be written first
    card_id = library(app)["balie-nl"].cards[0].id
    editor = client.get(f"/decks/balie-nl/cards/{card_id}?all=1").get_data(as_text=True)
    assert 'data-lang="en" hidden' not in editor
