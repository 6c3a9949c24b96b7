"""Tests for game.decks: the real scenario files, and every way a deck file can be wrong."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from game import decks as decks_module
from game.decks import (
    DeckError,
    DeckProblem,
    default_scenarios_dir,
    load_deck,
    load_decks,
    parse_deck,
    validate_main,
)
from game.engine.cards import Card, Deck

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SCENARIO_FILES = sorted(p for p in SCENARIOS.iterdir() if p.suffix in (".yaml", ".yml"))
DEFAULT_DECK = "aandacht-basis"
TEA, TRAIN, INSURER = "000_ad21fe9a2b2a9b6c", "003_98501393b23b602e", "004_1c8a6da10b3e1416"
FILE = "scenarios/test.yaml"


# --- the real scenario files -------------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_file_loads_without_problems(path):
    deck = load_deck(path)
    assert isinstance(deck, Deck)
    assert all(isinstance(card, Card) for card in deck.cards)


@pytest.fixture(scope="module")
def decks() -> dict[str, Deck]:
    """Every deck in scenarios/, loaded once."""
    return load_decks(SCENARIOS)


@pytest.fixture(scope="module")
def default_deck(decks) -> Deck:
    """The default deck."""
    return decks[DEFAULT_DECK]


def dutch_texts(card: Card) -> list[str]:
    """Every Dutch text on a card."""
    texts = [card.title, card.situation, card.question, card.lesson, card.debrief]
    for response in card.responses:
        texts += [response.text, response.feedback]
    return [t.nl for t in texts]


def words(text: str) -> list[str]:
    """Lower-case words with the punctuation stripped."""
    return re.findall(r"\w+", text.lower())


def test_default_deck_has_at_least_14_cards(default_deck):
    assert len(default_deck.cards) >= 14


def test_default_deck_covers_the_named_stories_and_has_sensitive_cards(default_deck):
    stories = {card.story for card in default_deck.cards}
    assert {TEA, TRAIN, INSURER} <= stories
    assert any(card.sensitive for card in default_deck.cards)
    assert any(not card.sensitive for card in default_deck.cards)


def test_default_deck_varies_which_response_is_best(default_deck):
    assert len({card.best_response().id for card in default_deck.cards if not card.is_open}) >= 3


def test_default_deck_has_an_open_card_with_notes(default_deck):
    open_cards = [card for card in default_deck.cards if card.is_open]
    assert open_cards and all(card.responses == () and card.best_response() is None for card in open_cards)
    assert all(card.notes and card.notes.nl and card.notes.en for card in open_cards)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not next to the repository")
def test_every_seed_story_gives_a_card(default_deck):
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    assert seeds, "no seed stories found"
    assert seeds <= {card.story for card in default_deck.cards}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not next to the repository")
def test_no_card_copies_eight_words_from_a_seed(decks):
    n = 8
    copied = {}
    for seed in SEEDS.glob("*.txt"):
        w = words(seed.read_text(encoding="utf-8"))
        for i in range(len(w) - n + 1):
            copied[tuple(w[i : i + n])] = seed.name
    found = []
    for deck in decks.values():
        for card in deck.cards:
            for text in dutch_texts(card):
                w = words(text)
                for i in range(len(w) - n + 1):
                    gram = tuple(w[i : i + n])
                    if gram in copied:
                        found.append(f"{deck.id}/{card.id}: '{' '.join(gram)}' from {copied[gram]}")
    assert not found, "\n".join(found)


# --- a small valid deck to break in every way ----------------------------------------------------


def t(nl: str = "Tekst", en: str = "Text") -> dict:
    """A text in both languages."""
    return {"nl": nl, "en": en}


def response(rid: str, points: int, best: bool = False, flag: bool = False) -> dict:
    """A response whose key gives ``points`` on every dimension."""
    data = {
        "id": rid,
        "text": t(f"Antwoord {rid}", f"Response {rid}"),
        "key": {"attention": points, "ease": points, "resolution": points, "ownership": points, "proportion": points},
        "feedback": t("Omdat.", "Because."),
    }
    if best:
        data["best"] = True
    if flag:
        data["key"]["flag"] = True
    return data


def card(cid: str = "spilled-tea") -> dict:
    """A valid card whose second response is best."""
    return {
        "id": cid,
        "story": TEA,
        "sensitive": False,
        "title": t("De thee", "The tea"),
        "situation": t("Je morst thee.", "You spill tea."),
        "question": t("Wat doet hij?", "What does he do?"),
        "responses": [response("a", 1), response("b", 3, best=True), response("c", 0, flag=True)],
        "lesson": t("Kleine gebaren.", "Small gestures."),
        "debrief": t("En bij jullie?", "And where you work?"),
    }


def deck() -> dict:
    """A valid deck with one card."""
    return {"id": "test-deck", "title": t("Test", "Test"), "description": t("Een test.", "A test."), "cards": [card()]}


def dump(data) -> str:
    """The YAML text of ``data``."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(data, filename: str = FILE) -> list[DeckProblem]:
    """The problems parse_deck reports for ``data``; fails when it reports none."""
    with pytest.raises(DeckError) as info:
        parse_deck(dump(data), filename)
    assert info.value.problems
    return info.value.problems


def the_problem(problems: list[DeckProblem], field: str | None) -> DeckProblem:
    """The one problem reported at ``field``."""
    matching = [p for p in problems if p.field == field]
    assert len(matching) == 1, f"expected one problem at {field!r}, got: {[str(p) for p in problems]}"
    return matching[0]


def test_the_valid_deck_parses():
    result = parse_deck(dump(deck()), FILE)
    assert result.id == "test-deck"
    assert result.cards[0].best_response().id == "b"
    assert result.cards[0].responses[2].key.flag is True
    assert result.cards[0].responses[0].best is False
    assert result.title.nl == "Test"


def one_language(data, keep: str) -> dict:
    """``data`` (a deck, a card, a response, a text...) with every text in ``keep`` only."""
    if isinstance(data, dict) and set(data) == {"nl", "en"}:
        return {keep: data[keep]}
    if isinstance(data, dict):
        return {k: one_language(v, keep) for k, v in data.items()}
    if isinstance(data, list):
        return [one_language(v, keep) for v in data]
    return data


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_one_language_deck_is_valid(language):
    data = one_language(deck(), language)
    data["languages"] = [language]
    result = parse_deck(dump(data), FILE)
    assert result.languages == (language,)
    card_ = result.cards[0]
    other = "en" if language == "nl" else "nl"
    assert card_.title.has(language) and not card_.title.has(other)
    # nothing shows an empty text: the other language gives the deck's own
    assert card_.title.get(other) == card_.title.get(language) == ("De thee" if language == "nl" else "The tea")


def test_a_deck_without_languages_is_in_both_and_the_order_does_not_matter():
    assert parse_deck(dump(deck()), FILE).languages == ("nl", "en")
    data = deck()
    data["languages"] = ["en", "nl"]
    assert parse_deck(dump(data), FILE).languages == ("nl", "en")


def test_a_dutch_only_deck_missing_a_dutch_text_says_so_in_words():
    data = one_language(deck(), "nl")
    data["languages"] = ["nl"]
    del data["cards"][0]["title"]["nl"]
    data["cards"][0]["responses"][0]["feedback"] = {"en": "Because."}  # English only: Dutch is what is missing
    problems = problems_of(data)
    assert the_problem(problems, "title.nl").message == "Write the card's title in Dutch."
    assert the_problem(problems, "responses[0].feedback.nl").message == "Write the feedback on response A in Dutch."
    assert not [p for p in problems if p.field and p.field.endswith(".en")]  # English is never asked for


def test_a_one_language_deck_keeps_the_other_language_as_it_is():
    data = deck()
    data["languages"] = ["nl"]
    data["cards"][0]["title"]["en"] = "x" * 500  # not played, so not held to the limit
    result = parse_deck(dump(data), FILE)
    assert result.cards[0].title.en == "x" * 500
    assert result.cards[0].only(result.languages).title == type(result.cards[0].title)("De thee", "")


def test_a_story_is_a_built_in_id_or_own_text_or_none():
    data = deck()
    data["cards"][0]["story"] = "  Onze eigen klacht over de wachttijd  "
    data["cards"].append(card("no-story"))
    del data["cards"][1]["story"]
    result = parse_deck(dump(data), FILE)
    assert result.cards[0].story == "Onze eigen klacht over de wachttijd"
    assert result.cards[1].story == ""


def test_texts_are_stripped_and_limits_count_characters():
    data = deck()
    data["cards"][0]["situation"] = t("  " + "é" * 700 + "\n", "x" * 700)
    result = parse_deck(dump(data), FILE)
    assert result.cards[0].situation.nl == "é" * 700


def test_yaml_syntax_error_names_the_line():
    text = "id: test-deck\ntitle: {nl: 'x', en: 'y'\ncards: []\n"
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    [problem] = info.value.problems
    assert problem.file == FILE
    assert problem.card is None and problem.field is None
    assert "YAML syntax error" in problem.message
    assert re.search(r"line \d+", problem.message)


def test_yaml_syntax_error_line_is_the_right_one():
    text = "id: test-deck\ncards:\n  - id: x\n    story: [unclosed\n    sensitive: false\n"
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    message = info.value.problems[0].message
    assert "line 5" in message and "starts at line 4" in message


def test_empty_file_is_a_problem():
    with pytest.raises(DeckError) as info:
        parse_deck("", FILE)
    [problem] = info.value.problems
    assert problem.file == FILE and problem.field is None
    assert "empty" in problem.message


def test_a_list_at_the_top_is_a_problem():
    with pytest.raises(DeckError) as info:
        parse_deck("- a\n- b\n", FILE)
    assert "a list" in info.value.problems[0].message


def break_field(path: str, value):
    """A mutation that sets ``path`` (inside the first card, or the deck when it starts with '/') to ``value``."""

    def mutate(data):
        target = data if path.startswith("/") else data["cards"][0]
        parts = path.lstrip("/").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return mutate


DELETE = object()


# (name, mutation, card, field, words the message must contain)
CASES = [
    ("missing card field", break_field("lesson", DELETE), "spilled-tea", "lesson", "missing"),
    ("missing response field", break_field("responses.1.feedback", DELETE), "spilled-tea",
     "responses[1].feedback", "missing"),
    ("missing key dimension", break_field("responses.0.key.ease", DELETE), "spilled-tea",
     "responses[0].key.ease", "missing"),
    ("missing deck field", break_field("/description", DELETE), None, "description", "missing"),
    ("unknown card field", break_field("lesons", t()), "spilled-tea", "lesons", "did you mean 'lesson'"),
    ("unknown response field", break_field("responses.2.feedbak", t()), "spilled-tea",
     "responses[2].feedbak", "unknown field"),
    ("unknown key field", break_field("responses.0.key.atention", 1), "spilled-tea",
     "responses[0].key.atention", "unknown field"),
    ("unknown deck field", break_field("/titel", t()), None, "titel", "unknown field"),
    ("unknown language", break_field("title.de", "Der Tee"), "spilled-tea", "title.de", "unknown language"),
    ("missing language", break_field("situation.en", DELETE), "spilled-tea", "situation.en",
     "Write the situation in English."),
    ("text is a plain string", break_field("question", "Wat doet hij?"), "spilled-tea", "question",
     "nl and en"),
    ("text is a number", break_field("lesson.nl", 5), "spilled-tea", "lesson.nl",
     "Write the lesson in Dutch as text, not a whole number (5) (put it in quotes)"),
    ("text is blank", break_field("debrief.en", "   "), "spilled-tea", "debrief.en",
     "Write the debrief question in English."),
    ("response text is blank", break_field("responses.1.text.nl", ""), "spilled-tea", "responses[1].text.nl",
     "Write response B in Dutch."),
    ("feedback is blank", break_field("responses.2.feedback.en", ""), "spilled-tea", "responses[2].feedback.en",
     "Write the feedback on response C in English."),
    ("deck title is blank", break_field("/title.nl", ""), None, "title.nl", "Write the deck's title in Dutch."),
    ("sensitive is text", break_field("sensitive", "no"), "spilled-tea", "sensitive", "yes or no"),
    ("best is text", break_field("responses.1.best", "yes"), "spilled-tea", "responses[1].best", "yes or no"),
    ("flag is a number", break_field("responses.2.key.flag", 1), "spilled-tea", "responses[2].key.flag",
     "yes or no"),
    ("responses is a mapping", break_field("responses", {"a": 1}), "spilled-tea", "responses", "a list"),
    ("cards is a mapping", break_field("/cards", {"a": 1}), None, "cards", "a list"),
    ("key value 4", break_field("responses.2.key.ease", 4), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("key value -1", break_field("responses.2.key.ease", -1), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("key value 1.5", break_field("responses.2.key.ease", 1.5), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("key value 2.0", break_field("responses.2.key.ease", 2.0), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("key value true", break_field("responses.2.key.ease", True), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("key value text", break_field("responses.2.key.ease", "2"), "spilled-tea", "responses[2].key.ease",
     "whole number of points from 0 to 3"),
    ("bad deck id", break_field("/id", "Test Deck"), None, "id", "must look like"),
    ("bad card id", break_field("id", "spilled_tea"), "spilled_tea", "id", "must look like"),
    ("card id is a number", break_field("id", 7), "cards[0]", "id", "quote it"),
    ("story over 120", break_field("story", "x" * 121), "spilled-tea", "story",
     "Shorten the story's name to 120 characters; it has 121 now."),
    ("story on two lines", break_field("story", "Our case\nline two"), "spilled-tea", "story", "one line"),
    ("story is a number", break_field("story", 7), "spilled-tea", "story", "put it in quotes"),
    ("bad response id", break_field("responses.0.id", "A"), "spilled-tea", "responses[0].id", "must look like"),
    ("title over 80", break_field("title.nl", "x" * 81), "spilled-tea", "title.nl",
     "Shorten the card's title in Dutch to 80 characters; it has 81 now."),
    ("situation over 700", break_field("situation.en", "x" * 701), "spilled-tea", "situation.en", "to 700"),
    ("question over 200", break_field("question.nl", "x" * 201), "spilled-tea", "question.nl", "to 200"),
    ("response text over 220", break_field("responses.1.text.en", "x" * 221), "spilled-tea",
     "responses[1].text.en", "to 220"),
    ("feedback over 320", break_field("responses.1.feedback.nl", "x" * 321), "spilled-tea",
     "responses[1].feedback.nl", "to 320"),
    ("lesson over 360", break_field("lesson.en", "x" * 361), "spilled-tea", "lesson.en", "to 360"),
    ("debrief over 220", break_field("debrief.nl", "x" * 221), "spilled-tea", "debrief.nl", "to 220"),
    ("deck title over 80", break_field("/title.en", "x" * 81), None, "title.en", "to 80"),
    ("deck description over 400", break_field("/description.nl", "x" * 401), None, "description.nl",
     "to 400"),
    ("empty cards", break_field("/cards", []), None, "cards", "A deck needs at least one card."),
    ("two best", break_field("responses.0.best", True), "spilled-tea", "responses",
     "2 responses are marked as the best (A, B); mark only one."),
    ("no best", break_field("responses.1.best", False), "spilled-tea", "responses", "Mark one response as the best."),
    ("best not strictly highest", break_field("responses.0", response("a", 3)), "spilled-tea",
     "responses[0].key", "Response A scores 15 points, not fewer than the best response B (15)"),
    ("flagged best", break_field("responses.1.key.flag", True), "spilled-tea", "responses[1].key.flag",
     "The best response cannot be flagged"),
    ("two responses", break_field("responses", [response("a", 1), response("b", 3, best=True)]), "spilled-tea",
     "responses", "Give the card 3 to 4 responses; it has 2."),
    ("five responses", break_field("responses", [response("a", 1), response("b", 3, best=True), response("c", 0),
                                                 response("d", 0), response("e", 0)]),
     "spilled-tea", "responses", "it has 5"),
    ("duplicate response id", break_field("responses.2.id", "a"), "spilled-tea", "responses[2].id",
     "Two responses have the id 'a' (responses 1 and 3)"),
    ("response is a string", break_field("responses.2", "c"), "spilled-tea", "responses[2]", "a mapping"),
    ("card is a string", break_field("/cards.0", "spilled-tea"), "cards[0]", None, "a mapping"),
    ("unknown kind", break_field("kind", "quiz"), "spilled-tea", "kind", "'choice'"),
    ("choice card without responses", break_field("responses", DELETE), "spilled-tea", "responses",
     "Give the card 3 to 4 responses (a choice card), or make it an open card."),
    ("notes over 600", break_field("notes", {"nl": "Let op.", "en": "x" * 601}), "spilled-tea", "notes.en",
     "to 600"),
    ("notes in one language", break_field("notes", {"nl": "Let op de toon."}), "spilled-tea", "notes.en",
     "Write your notes in English."),
    ("unknown deck language", break_field("/languages", ["nl", "de"]), None, "languages",
     "Aandacht has no language 'de': a deck is in Dutch (nl), English (en) or both"),
    ("deck languages empty", break_field("/languages", []), None, "languages", "[nl] for Dutch only"),
    ("Dutch-only deck without a Dutch text", lambda d: (d.update(languages=["nl"]),
                                                       break_field("question.nl", DELETE)(d)),
     "spilled-tea", "question.nl", "Write the question in Dutch."),
]


def test_an_open_card_has_no_responses():
    data = deck()
    data["cards"][0]["kind"] = "open"
    problem = the_problem(problems_of(data), "responses")
    assert problem.card == "spilled-tea" and "An open card has no responses" in problem.message
    del data["cards"][0]["responses"]
    data["cards"][0]["notes"] = {"nl": "Geen sleutel.", "en": "No key."}
    parsed = parse_deck(dump(data), FILE).cards[0]
    assert parsed.is_open and parsed.responses == () and parsed.notes.en == "No key."
    assert type(parsed).from_dict(parsed.to_dict()) == parsed


@pytest.mark.parametrize("name, mutate, card_label, field, words_", CASES, ids=[c[0] for c in CASES])
def test_malformed_deck_names_file_card_and_field(name, mutate, card_label, field, words_):
    data = deck()
    mutate(data)
    problem = the_problem(problems_of(data), field)
    assert problem.file == FILE
    assert problem.card == card_label
    assert words_ in problem.message
    text = str(problem)
    assert text.startswith(f"{FILE}: ")
    if field:
        assert f": {field}: " in text


def test_a_key_with_the_right_total_but_a_bad_value_is_still_refused():
    data = deck()
    data["cards"][0]["responses"][0]["key"]["ease"] = 1.0
    assert the_problem(problems_of(data), "responses[0].key.ease")


def test_the_flag_counts_in_the_total():
    data = deck()
    data["cards"][0]["responses"][2] = response("c", 3, flag=True)  # 15 - 1 = 14, below the best's 15
    assert parse_deck(dump(data), FILE).cards[0].responses[2].key.total() == 14


def test_duplicate_card_id_names_both_positions():
    data = deck()
    data["cards"].append(card("spilled-tea"))
    problem = the_problem(problems_of(data), "id")
    assert problem.card == "spilled-tea"
    assert problem.message == "Cards 1 and 2 both have the id 'spilled-tea'; give each card its own."


def test_duplicate_yaml_key_is_reported_with_its_line():
    text = dump(deck()).replace("  lesson:\n", "  debrief:\n    nl: x\n    en: y\n  lesson:\n", 1)
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    problem = the_problem(info.value.problems, "debrief")
    assert problem.card == "spilled-tea"
    assert "appears twice" in problem.message and "line" in problem.message


def test_several_problems_in_one_file_are_all_reported():
    data = deck()
    data["cards"].append(card("second-card"))
    data["titel"] = t()
    first, second = data["cards"]
    first["responses"][2]["key"]["ease"] = 4
    del first["lesson"]
    second["title"]["nl"] = "x" * 81
    second["responses"][1]["best"] = False
    with pytest.raises(DeckError) as info:
        parse_deck(dump(data), FILE)
    found = {(p.card, p.field) for p in info.value.problems}
    assert {
        (None, "titel"),
        ("spilled-tea", "responses[2].key.ease"),
        ("spilled-tea", "lesson"),
        ("second-card", "title.nl"),
        ("second-card", "responses"),
    } <= found
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.problems) >= 5


def test_problem_str_format():
    problem = DeckProblem("scenarios/x.yaml", "spilled-tea", "responses[2].key.ease",
                          "must be a whole number from 0 to 3")
    assert str(problem) == ("scenarios/x.yaml: card 'spilled-tea': responses[2].key.ease: "
                            "must be a whole number from 0 to 3")
    assert str(DeckProblem("x.yaml", "cards[3]", None, "must be a mapping")) == "x.yaml: cards[3]: must be a mapping"
    assert str(DeckProblem("x.yaml", None, None, "is empty")) == "x.yaml: is empty"


def test_deck_error_is_a_value_error():
    error = DeckError([DeckProblem("a.yaml", None, "id", "one"), DeckProblem("a.yaml", None, "cards", "two")])
    assert isinstance(error, ValueError)
    assert str(error) == "a.yaml: id: one\na.yaml: cards: two"


# --- files and folders -----------------------------------------------------------------------


def write(folder: Path, name: str, data) -> Path:
    """Write ``data`` as YAML to ``folder/name``."""
    path = folder / name
    path.write_text(data if isinstance(data, str) else dump(data), encoding="utf-8")
    return path


def test_load_deck_names_the_file_as_given(tmp_path):
    data = deck()
    data["cards"][0]["responses"][0]["key"]["ease"] = 9
    path = write(tmp_path, "bad.yaml", data)
    with pytest.raises(DeckError) as info:
        load_deck(path)
    assert info.value.problems[0].file == str(path)
    assert str(info.value).startswith(f"{path}: card 'spilled-tea': responses[0].key.ease: ")


def test_load_deck_of_a_missing_file(tmp_path):
    with pytest.raises(DeckError) as info:
        load_deck(tmp_path / "nope.yaml")
    assert "cannot read" in info.value.problems[0].message


def test_load_decks_reads_yaml_and_yml_files(tmp_path):
    other = deck()
    other["id"] = "other-deck"
    write(tmp_path, "b.yml", other)
    write(tmp_path, "a.yaml", deck())
    write(tmp_path, "notes.txt", "not a deck")
    decks = load_decks(tmp_path)
    assert list(decks) == ["test-deck", "other-deck"]


def test_duplicate_deck_id_across_two_files_names_both(tmp_path):
    first = write(tmp_path, "a.yaml", deck())
    second = write(tmp_path, "b.yaml", deck())
    with pytest.raises(DeckError) as info:
        load_decks(tmp_path)
    [problem] = info.value.problems
    assert problem.file == str(second)
    assert problem.field == "id"
    assert problem.card is None
    assert str(first) in problem.message and "test-deck" in problem.message


def test_load_decks_collects_problems_from_every_file(tmp_path):
    bad_a, bad_b = deck(), deck()
    bad_a["cards"] = []
    bad_b["id"] = "other-deck"
    del bad_b["title"]
    write(tmp_path, "a.yaml", bad_a)
    write(tmp_path, "b.yaml", bad_b)
    write(tmp_path, "c.yaml", "id: [\n")
    with pytest.raises(DeckError) as info:
        load_decks(tmp_path)
    assert [Path(p.file).name for p in info.value.problems] == ["a.yaml", "b.yaml", "c.yaml"]


def test_load_decks_of_a_missing_folder(tmp_path):
    with pytest.raises(DeckError) as info:
        load_decks(tmp_path / "nope")
    assert "no such directory" in info.value.problems[0].message


def test_default_scenarios_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("AANDACHT_SCENARIOS", raising=False)
    assert default_scenarios_dir() == SCENARIOS
    monkeypatch.setenv("AANDACHT_SCENARIOS", str(tmp_path))
    assert default_scenarios_dir() == tmp_path


# --- the command-line helper ---------------------------------------------------------------------


def test_validate_main_accepts_the_real_scenarios(capsys):
    assert validate_main([str(SCENARIOS)]) == 0
    out, err = capsys.readouterr()
    assert f"ok: {SCENARIOS / 'aandacht-basis.yaml'}: aandacht-basis, " in out
    assert err == ""


def test_validate_main_without_paths_uses_the_default_folder(capsys, monkeypatch):
    monkeypatch.delenv("AANDACHT_SCENARIOS", raising=False)
    assert validate_main([]) == 0
    assert "ok: " in capsys.readouterr().out


def test_validate_main_reports_a_bad_file(capsys, tmp_path):
    data = deck()
    data["cards"][0]["responses"][1]["key"]["flag"] = True
    good = write(tmp_path, "good.yaml", {**deck(), "id": "good-deck"})
    bad = write(tmp_path, "bad.yaml", data)
    assert validate_main([str(good), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert f"ok: {good}: good-deck, 1 cards" in out
    assert f"{bad}: card 'spilled-tea': responses[1].key.flag: The best response cannot be flagged" in err


def test_validate_main_reports_duplicate_ids_and_missing_paths(capsys, tmp_path):
    write(tmp_path, "a.yaml", deck())
    write(tmp_path, "b.yaml", deck())
    assert validate_main([str(tmp_path), str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert "deck id 'test-deck' is already used by" in err
    assert "no such file or directory" in err


def test_validate_main_fails_on_an_empty_folder(capsys, tmp_path):
    assert validate_main([str(tmp_path)]) == 1
    assert "no *.yaml or *.yml deck files" in capsys.readouterr().err


def test_problems_do_not_leak_between_parses():
    broken = copy.deepcopy(deck())
    broken["cards"] = []
    with pytest.raises(DeckError):
        parse_deck(dump(broken), FILE)
    assert parse_deck(dump(deck()), FILE).id == "test-deck"


def test_a_problem_is_english_by_default_and_translated_where_it_is_shown():
    """Problems carry a template and its values, so the web pages can show them in the facilitator's language."""
    with pytest.raises(DeckError) as info:
        parse_deck("id: x\ntitle: 3\n", "d.yaml")
    problem = next(p for p in info.value.problems if p.field == "title")
    assert problem.message == "must be a text with nl and en (a mapping), not a whole number (3)"
    dutch = {"must be a text with nl and en (a mapping), not {got}": "moet een tekst zijn, niet {got}",
             "a whole number ({value})": "een geheel getal ({value})"}
    assert problem.text(lambda s: dutch.get(s, s)) == "moet een tekst zijn, niet een geheel getal (3)"
    assert str(problem) == "d.yaml: title: " + problem.message


# --- files no deck looks like: bounded work and one clear problem, whichever YAML parser is installed ---------


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request, monkeypatch):
    """Run a test with PyYAML's C parser (libyaml, in PyPI's wheels), and again without it, as on a PyYAML built
    without libyaml: the pure-Python parser then reads every file."""
    if request.param == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("this PyYAML was built without libyaml")
    else:
        monkeypatch.delattr(yaml, "CSafeLoader")
    return request.param


DEEP = {
    "1,001 nested [": "[" * 1001,
    "5,000 nested lists": "a: " + "[" * 5000 + "]" * 5000,
    "2,000 nested mappings": "{a: " * 2000 + "}" * 2000,
    "1,500 nested block lists": "- " * 1500 + "x\n",
    "13 levels, indented": "".join("  " * i + "a:\n" for i in range(13)) + "  " * 13 + "x\n",
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_the_decks_clear_problem_whichever_parser_reads_it(parser, text):
    """libyaml stops at 1,000 levels with an error of its own, the pure-Python loader recurses until RecursionError:
    either way the file's problem is that it nests too deep."""
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    [problem] = info.value.problems
    assert (problem.file, problem.card, problem.field) == (FILE, None, None)
    assert problem.message == "nests lists and mappings more than 12 deep; a deck needs 6"


def test_a_recursion_error_is_still_the_files_problem(monkeypatch):
    """The last line of defence: were the depth check ever to let a file through, the loader's RecursionError is
    the file's problem, not the server's."""
    monkeypatch.delattr(yaml, "CSafeLoader")
    monkeypatch.setattr(decks_module, "MAX_DEPTH", 100_000)
    with pytest.raises(DeckError) as info:
        parse_deck("a: " + "[" * 5000 + "]" * 5000, FILE)
    assert "more than 100000 deep" in info.value.problems[0].message


def test_syntax_errors_and_valid_decks_read_the_same_whichever_parser(parser):
    assert parse_deck(dump(deck()), FILE) == parse_deck(dump(deck()), FILE.replace("test", "again"))
    assert parse_deck(dump(deck()), FILE).cards[0].best_response().id == "b"
    with pytest.raises(DeckError) as info:
        parse_deck("id: test-deck\ncards:\n  - id: x\n    story: [unclosed\n    sensitive: false\n", FILE)
    [problem] = info.value.problems
    assert problem.message.startswith("YAML syntax error at line 5")
    assert "that starts at line 4" in problem.message
    with pytest.raises(DeckError) as info:
        parse_deck("a: 1\n---\nb: 2\n", FILE)
    assert "YAML syntax error at line 2" in info.value.problems[0].message


def test_anchors_and_aliases_are_refused(parser):
    with pytest.raises(DeckError) as info:
        parse_deck("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", FILE)
    [problem] = info.value.problems
    assert "anchors or aliases" in problem.message


def empty_cards(count: int) -> str:
    """A deck file with ``count`` empty cards (``- {}``), as an upload of 70 KB can hold 10,000."""
    return dump({**deck(), "cards": []}).replace("cards: []\n", "cards:\n" + "- {}\n" * count)


def test_a_deck_of_more_cards_than_any_deck_has_is_one_problem_found_before_a_card_is_checked(parser):
    with pytest.raises(DeckError) as info:
        parse_deck(empty_cards(10_000), FILE)
    [problem] = info.value.problems
    assert (problem.card, problem.field) == (None, "cards")
    assert problem.message == "has more than 100 cards; a deck can have at most 100"
    data = deck()
    data["cards"] = [card(f"card-{i}") for i in range(100)]
    assert len(parse_deck(dump(data), FILE).cards) == 100
    data["cards"].append(card("one-too-many"))
    with pytest.raises(DeckError) as info:
        parse_deck(dump(data), FILE)
    assert [p.message for p in info.value.problems] == ["has more than 100 cards; a deck can have at most 100"]


def test_a_file_larger_than_any_deck_is_refused_before_it_is_built(parser):
    """30,000 empty responses on one card (90 KB): one problem, not 120,000."""
    text = dump(deck()).replace("responses:\n", "responses: [" + "{}, " * 30_000 + "]\nx:\n", 1)
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    [problem] = info.value.problems
    assert problem.message.startswith("is too large: it holds more than 20000 values, lists and mappings")


def test_the_first_fifty_problems_are_listed_and_the_rest_counted(monkeypatch):
    text = empty_cards(30)  # every empty card has 8 problems (a story is optional)
    with pytest.raises(DeckError) as capped:
        parse_deck(text, FILE)
    monkeypatch.setattr(decks_module, "MAX_PROBLEMS", 10_000)
    with pytest.raises(DeckError) as every:
        parse_deck(text, FILE)
    listed, all_of_them = capped.value.problems, every.value.problems
    assert len(all_of_them) == 30 * 8
    assert len(listed) == 51 and listed[:50] == all_of_them[:50]
    assert (listed[50].card, listed[50].field) == (None, None)
    assert listed[50].message == "and 190 more problems, not listed here; fix the ones above first"


def test_thousands_of_unknown_fields_are_counted_without_a_hint_each():
    text = dump(deck()).replace("  lesson:", "".join(f"  field{i}: 0\n" for i in range(5000)) + "  lesson:", 1)
    with pytest.raises(DeckError) as info:
        parse_deck(text, FILE)
    problems = info.value.problems
    assert len(problems) == 51 and problems[0].message.startswith("unknown field")
    assert problems[-1].message.startswith("and 4950 more problems")
