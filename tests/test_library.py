"""The deck library: built-in decks and stored ones behind one Mapping; every stored deck valid as a file."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from game import db
from game.decks import DeckError, default_scenarios_dir, load_decks, parse_deck
from game.library import MAX_DECK_CHARS, Conflict, DeckLibrary, deck_to_data, dump_deck, slugify
from game.store import DeckRow, Store, make_engine


@pytest.fixture
def lib(tmp_path):
    """A library over the real scenarios and a fresh SQLite database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    db.upgrade(engine)
    ticks = iter(range(1, 1_000_000))
    yield DeckLibrary(default_scenarios_dir(), Store(engine), clock=lambda: float(next(ticks)))
    engine.dispose()


def own_copy(lib: DeckLibrary, deck_id: str = "mine") -> str:
    """The built-in deck's YAML under another id."""
    data = deck_to_data(lib["aandacht-basis"])
    data["id"] = deck_id
    return dump_deck(data)


def test_every_built_in_deck_survives_the_round_trip_through_the_editor_form():
    for deck in load_decks(default_scenarios_dir()).values():
        text = dump_deck(deck_to_data(deck))
        assert parse_deck(text, "round-trip.yaml") == deck
        assert any(c.is_open for c in deck.cards) and any(c.notes for c in deck.cards)  # both are exercised


def test_languages_and_own_stories_survive_export_and_import(lib):
    """A Dutch-only deck with a card on the facilitator's own case: exported as YAML and imported again, it is
    the same deck (its languages, its texts in Dutch only, its story as written)."""
    def dutch(value):
        if isinstance(value, dict):
            return {k: dutch(v) for k, v in value.items() if k != "en"}
        return [dutch(v) for v in value] if isinstance(value, list) else value

    data = dutch(deck_to_data(lib["aandacht-basis"]))
    data["id"], data["languages"] = "eigen", ["nl"]
    text = dump_deck(data).replace("story: 000_ad21fe9a2b2a9b6c", "story: 'Klacht: de lift (hal B) \u2013 2024'", 1)
    first = lib.create(text, "eigen.yaml")
    assert first.languages == ("nl",) and first.cards[0].story == "Klacht: de lift (hal B) \u2013 2024"
    exported = dump_deck(deck_to_data(first))
    assert "languages:\n- nl\n" in exported or "languages:\n  - nl\n" in exported
    assert " en:" not in exported and " nl:" in exported  # a Dutch-only deck is written in Dutch only
    again = parse_deck(exported, "eigen.yaml")
    assert again == first and again.languages == ("nl",)
    both = parse_deck(dump_deck(deck_to_data(lib["aandacht-basis"])), "b.yaml")
    assert both.languages == ("nl", "en")


def test_built_in_and_stored_decks_behind_one_mapping(lib):
    assert list(lib) == ["aandacht-basis"] and len(lib) == 1
    lib.create(own_copy(lib, "zz-last"), "a.yaml")
    lib.create(own_copy(lib, "aa-first").replace("Attention: the core deck", "Aardig"), "b.yaml")
    assert list(lib) == ["aandacht-basis", "aa-first", "zz-last"]  # built-in first, then by English title
    assert lib.get("nope") is None and "zz-last" in lib and lib["zz-last"].cards == lib["aandacht-basis"].cards
    assert lib.info("zz-last").version == 1 and not lib.info("zz-last").builtin
    assert lib.info("Not A Slug") is None


def test_a_stored_deck_is_valid_or_not_stored(lib):
    with pytest.raises(DeckError) as error:
        lib.create(own_copy(lib, "aandacht-basis"), "x.yaml")
    assert error.value.problems[0].field == "id" and "built-in" in error.value.problems[0].message
    with pytest.raises(DeckError):
        lib.create(own_copy(lib).replace("story: 000_ad21fe9a2b2a9b6c", "story: [nope]", 1), "x.yaml")
    with pytest.raises(DeckError) as error:
        lib.create("a: &x [1]\nb: *x\n", "x.yaml")
    assert "anchors or aliases" in str(error.value)
    with pytest.raises(DeckError) as error:
        lib.create("a: " + "[" * 5000 + "]" * 5000, "x.yaml")  # PyYAML's loader would recurse past Python's limit
    assert "deep" in str(error.value)
    with pytest.raises(DeckError) as error:
        lib.create("#" * (MAX_DECK_CHARS + 1), "x.yaml")
    assert "characters long" in str(error.value)
    assert list(lib) == ["aandacht-basis"]


def test_updates_check_the_version_and_keep_the_id(lib):
    lib.create(own_copy(lib), "mine.yaml")
    changed = own_copy(lib).replace("Attention: the core deck", "Changed")
    assert lib.update("mine", changed, 1).title.en == "Changed"
    with pytest.raises(Conflict):
        lib.update("mine", changed, 1)  # saved meanwhile: version 2 now
    with pytest.raises(DeckError):
        lib.update("mine", own_copy(lib, "other"), 2)
    with pytest.raises(KeyError):
        lib.update("aandacht-basis", changed, 0)
    with pytest.raises(KeyError):
        lib.update("gone", own_copy(lib, "gone"), 1)
    assert not lib.delete("aandacht-basis") and lib.delete("mine") and not lib.delete("mine")


def test_a_row_that_fails_validation_is_left_out_not_fatal(lib):
    lib.create(own_copy(lib), "mine.yaml")
    with lib.store.transaction() as s:  # written behind the library's back, e.g. by a newer version's schema
        s.execute(update(DeckRow).where(DeckRow.id == "mine").values(yaml="id: [", version=7))
    assert list(lib) == ["aandacht-basis"]


def test_new_ids_are_slugs_that_are_free(lib):
    assert slugify("The spilled tea!") == "the-spilled-tea" and slugify("?") == "deck"
    assert lib.free_id("Front office") == "front-office"
    lib.create(own_copy(lib, "front-office"), "f.yaml")
    assert lib.free_id("Front office") == "front-office-2"
    assert lib.free_id("Aandacht basis") == "aandacht-basis-2"


def test_a_value_used_twice_is_written_out_twice_not_as_an_alias_a_deck_may_not_have():
    title = {"nl": "Zelfde", "en": "Same"}
    data = deck_to_data(load_decks(default_scenarios_dir())["aandacht-basis"])
    data.update(title=title, description=title)
    text = dump_deck(data)
    assert "&" not in text.split("cards:")[0] and parse_deck(text, "same.yaml").description.en == "Same"
