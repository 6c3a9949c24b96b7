"""Load and validate the scenario decks in ``scenarios/*.yaml``.

One deck per YAML file. A deck file is checked completely before it is used: every
problem is collected (not only the first) and reported with the file, the card and
the dotted path of the field, so an author can fix them all in one pass. The sentence
itself is a facilitator's ("Write the card's title in Dutch.", "Mark one response as the
best."): the deck editor shows it at the field, without the path. A deck is in Dutch,
English or both (``languages``); its texts are required in its languages only. Pure Python
and PyYAML only: the engine, the store and the command line all read decks through here.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .engine.cards import DIMENSIONS, KINDS, LANGUAGES, MAX_POINTS, Card, Deck, Response, RubricKey, Text

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")
STORY = re.compile(r"[0-9]{3}_[0-9a-f]{16}")
RESPONSE_ID = re.compile(r"[a-z]")

MIN_RESPONSES, MAX_RESPONSES = 3, 4
STORY_LIMIT = 120  # characters of a facilitator's own story: a name or a line about their case, not the case itself
DECK_SUFFIXES = (".yaml", ".yml")

# Length limits in characters, per language: a phone must show a card without endless scrolling.
DECK_LIMITS = {"title": 80, "description": 400}
CARD_LIMITS = {"title": 80, "situation": 700, "question": 200, "lesson": 360, "debrief": 220}
NOTES_LIMIT = 600
RESPONSE_LIMITS = {"text": 220, "feedback": 320}

# What a file may hold at most. One pass over its YAML events checks these before anything is built from it, so
# that no file, hostile or mistaken, makes reading it recursive or slow: the server's green threads do not yield
# during this work, and while a deck is read no phone is answered.
# - MAX_DEPTH: lists and mappings inside each other. A deck nests 6 deep (deck, cards, card, responses, response,
#   key); PyYAML's loader recurses once per level (libyaml stops at 1,000, the pure-Python one at RecursionError).
# - MAX_CARDS: a workshop plays 5-15 cards, a whole day about 40, which is also about what 200 KB of real cards
#   holds; 100 leaves room for short cards, and a file of 10,000 empty ones (70 KB) is refused at card 101.
# - MAX_NODES: values, lists and mappings; a card has about 150, so 100 full cards fit.
# - MAX_PROBLEMS: problems listed; the rest are counted in one last line, so a refusal stays a short page.
MAX_DEPTH = 12
MAX_CARDS = 100
MAX_NODES = 20_000
MAX_PROBLEMS = 50

DECK_FIELDS = ("id", "title", "description", "cards")
DECK_OPTIONAL = ("languages",)  # absent: both languages (every deck written before decks declared them)
CARD_FIELDS = ("id", "sensitive", "title", "situation", "question", "lesson", "debrief")
# responses: required on a choice card, absent on an open one; story: a built-in story's id or the facilitator's
# own words about their case, or none
CARD_OPTIONAL = ("story", "kind", "responses", "notes")
RESPONSE_REQUIRED = ("id", "text", "key", "feedback")
RESPONSE_OPTIONAL = ("best",)
KEY_OPTIONAL = ("flag",)

Location = list  # a place inside the YAML document, e.g. ["cards", 2, "responses", 0, "key"]


def _same(text: str) -> str:
    return text


class Msg:
    """A message in English with ``{name}`` placeholders, translated where it is shown.

    The template is the msgid in the message catalog (marked with ``N_`` so that ``pybabel extract`` finds
    it); a parameter may be a Msg itself (a value's description, a rule, a hint), translated the same way.
    The engine and the command line use the English; the web pages pass Flask-Babel's ``gettext``."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, params: dict[str, Any]):
        self.template = template
        self.params = params

    def render(self, translate: Callable[[str], str] = _same) -> str:
        """The message in the language ``translate`` gives (English by default)."""
        values = {k: v.render(translate) if isinstance(v, Msg) else v for k, v in self.params.items()}
        return translate(self.template).format(**values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.template, self.params) == (other.template, other.params)

    def __hash__(self) -> int:
        return hash(self.template)


def N_(template: str, **params: Any) -> Msg:
    """Mark ``template`` for the message catalog and fill it with ``params`` when it is rendered."""
    return Msg(template, params)


LANGUAGE_NAMES = {"nl": N_("Dutch"), "en": N_("English")}
# What a text field is, in words: "Write {what} in {language}."
DECK_TEXT_WORDS = {"title": N_("the deck's title"), "description": N_("the deck's description")}
CARD_TEXT_WORDS = {"title": N_("the card's title"), "situation": N_("the situation"), "question": N_("the question"),
                   "lesson": N_("the lesson"), "debrief": N_("the debrief question"), "notes": N_("your notes")}


def response_letter(data: Any, index: int) -> str:
    """How the editor names a response: its id's letter in capitals ("B"), else its place in the list."""
    rid = data.get("id") if isinstance(data, dict) else None
    return rid.upper() if isinstance(rid, str) and RESPONSE_ID.fullmatch(rid) else chr(ord("A") + index % 26)


def text_words(card: str | None, path: Location, responses: Any = None) -> Msg:
    """A text field in a facilitator's words: "the card's title", "the feedback on response B"."""
    if card is None:
        return DECK_TEXT_WORDS.get(str(path[0]), N_("this text"))
    if len(path) >= 3 and path[0] == "responses" and isinstance(path[1], int):
        item = responses[path[1]] if isinstance(responses, list) and path[1] < len(responses) else None
        letter = response_letter(item, path[1])
        if path[2] == "feedback":
            return N_("the feedback on response {letter}", letter=letter)
        return N_("response {letter}", letter=letter)
    return CARD_TEXT_WORDS.get(str(path[0]), N_("this text"))


SLUG_RULE = N_("2-41 lower-case letters, digits and dashes, not starting with a dash")
RESPONSE_ID_RULE = N_("one lower-case letter")


@dataclass(frozen=True)
class DeckProblem:
    """One thing wrong with a deck file: where it is and what is wrong."""

    file: str
    card: str | None  # the card's id, or a label such as "cards[2]" when it has no usable id
    field: str | None  # a dotted path inside the card (or the deck), e.g. "responses[2].key.ease"
    what: Msg | str  # what is wrong (a Msg is translated where it is shown)

    @property
    def message(self) -> str:
        """What is wrong, in English."""
        return self.text()

    def text(self, translate: Callable[[str], str] = _same) -> str:
        """What is wrong, in the language ``translate`` gives."""
        return self.what.render(translate) if isinstance(self.what, Msg) else self.what

    def line(self, translate: Callable[[str], str] = _same) -> str:
        """E.g. ``scenarios/x.yaml: card 'spilled-tea': responses[2].key.ease: must be ...``."""
        parts = [self.file]
        if self.card is not None:
            own = self.card.startswith("cards[")
            parts.append(self.card if own else N_("card '{id}'", id=self.card).render(translate))
        if self.field:
            parts.append(self.field)
        parts.append(self.text(translate))
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.line()


class DeckError(ValueError):
    """One or more deck files are invalid; ``problems`` lists the problems found (a long list ends with a line
    that counts the rest), ``total`` is how many there are."""

    def __init__(self, problems: Iterable[DeckProblem], total: int | None = None):
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        super().__init__("\n".join(str(p) for p in self.problems))


def _dotted(path: Iterable[str | int]) -> str:
    """Turn ["responses", 2, "key"] into "responses[2].key"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _kind(value: Any) -> Msg | str:
    """Describe a YAML value's type in words an author understands."""
    if value is None:
        return N_("empty")
    if isinstance(value, bool):
        return N_("true/false ({value})", value=str(value).lower())
    if isinstance(value, int):
        return N_("a whole number ({value})", value=value)
    if isinstance(value, float):
        return N_("a number with decimals ({value})", value=value)
    if isinstance(value, str):
        return N_("text")
    if isinstance(value, dict):
        return N_("a mapping")
    if isinstance(value, list):
        return N_("a list")
    return type(value).__name__  # dates and the like


def _card_label(card: Any, index: int) -> str:
    """The card's id when it has a usable one, else its position "cards[i]"."""
    if isinstance(card, dict):
        card_id = card.get("id")
        if isinstance(card_id, str) and card_id.strip():
            return card_id.strip()
    return f"cards[{index}]"


class _Checker:
    """Collects the problems of one deck file while it builds the deck."""

    def __init__(self, filename: str):
        """Start with no problems for ``filename``."""
        self.file = filename
        self.languages: tuple[str, ...] = LANGUAGES  # the deck's, once its ``languages`` field is read
        self.responses_data: Any = None  # the card's responses being checked, to name a response by its letter
        self.problems: list[DeckProblem] = []  # the first MAX_PROBLEMS
        self.found = 0  # every problem, listed or not

    @property
    def full(self) -> bool:
        """Whether the next problem is only counted, not listed."""
        return self.found >= MAX_PROBLEMS

    def add(self, card: str | None, path: Location, message: Msg) -> None:
        """Record one problem at ``path`` inside ``card`` (or the deck when card is None); past MAX_PROBLEMS it
        is only counted."""
        if not self.full:
            self.problems.append(DeckProblem(self.file, card, _dotted(path) or None, message))
        self.found += 1

    def report(self) -> list[DeckProblem]:
        """The problems listed, and a last line that counts the ones left out."""
        left_out = self.found - len(self.problems)
        if not left_out:
            return self.problems
        return [*self.problems, DeckProblem(self.file, None, None, N_(
            "and {count} more problems, not listed here; fix the ones above first", count=left_out))]

    def mapping(self, data: Any, card: str | None, path: Location, required: tuple, optional: tuple = (),
                unknown: str | None = None) -> bool:
        """Check that ``data`` is a mapping with every required field and no unknown one."""
        if not isinstance(data, dict):
            self.add(card, path, N_("must be a mapping with {fields}, not {got}", fields=", ".join(required),
                                    got=_kind(data)))
            return False
        allowed = (*required, *optional)
        for name in data:
            if name not in allowed:
                if self.full:  # only counted: spare the hint's work (a file can have thousands of unknown keys)
                    self.found += 1
                    continue
                close = difflib.get_close_matches(str(name), allowed, n=1)
                hint = (N_("did you mean '{name}'?", name=close[0]) if close
                        else N_("allowed here: {fields}", fields=", ".join(allowed)))
                self.add(card, [*path, str(name)], unknown or N_("unknown field; {hint}", hint=hint))
        for name in required:
            if name not in data:
                self.add(card, [*path, name], N_("is missing"))
        return True

    def text(self, data: Any, card: str | None, path: Location, limit: int) -> Text | None:
        """Check a text: non-empty in each of the deck's languages, within ``limit`` characters each.

        A one-language deck's text may still hold the other language (written before the deck became one
        language): it is kept as it is, only checked to be text, and never shown or played."""
        what = text_words(card, path, self.responses_data)
        if not isinstance(data, dict):
            self.add(card, path, N_("must be a text with nl and en (a mapping), not {got}", got=_kind(data)))
            return None
        before = self.found
        self.mapping(data, card, path, (), LANGUAGES,
                     unknown=N_("unknown language; a text has nl (Dutch) and en (English)"))
        values = {}
        for language in LANGUAGES:
            value = data.get(language)
            needed = language in self.languages
            if isinstance(value, (bool, int, float)):
                self.add(card, [*path, language], N_("Write {what} in {language} as text, not {got} (put it in "
                                                     "quotes)", what=what, language=LANGUAGE_NAMES[language],
                                                     got=_kind(value)))
                continue
            if value is not None and not isinstance(value, str):
                self.add(card, [*path, language], N_("Write {what} in {language} as text, not {got}", what=what,
                                                     language=LANGUAGE_NAMES[language], got=_kind(value)))
                continue
            value = (value or "").strip()
            if not value:
                if needed:
                    self.add(card, [*path, language], N_("Write {what} in {language}.", what=what,
                                                         language=LANGUAGE_NAMES[language]))
                continue
            if needed and len(value) > limit:
                self.add(card, [*path, language], N_("Shorten {what} in {language} to {limit} characters; it has "
                                                     "{length} now.", what=what, language=LANGUAGE_NAMES[language],
                                                     length=len(value), limit=limit))
            values[language] = value
        if self.found > before or any(lang not in values for lang in self.languages):
            return None
        return Text(nl=values.get("nl", ""), en=values.get("en", ""))

    def languages_of(self, data: Any) -> tuple[str, ...]:
        """Check a deck's ``languages``: a list of nl, en or both (in any order); the deck's languages, in
        LANGUAGES' order (both when the field is absent or wrong, so that its texts are still checked)."""
        if "languages" not in data:
            return LANGUAGES
        raw = data["languages"]
        if isinstance(raw, str):
            raw = [raw]  # "languages: nl" means what "languages: [nl]" does
        if not isinstance(raw, list) or not raw:
            self.add(None, ["languages"], N_("List the deck's languages: [nl] for Dutch only, [en] for English "
                                             "only or [nl, en] for both, not {got}", got=_kind(raw)))
            return LANGUAGES
        unknown = [str(v) for v in raw if v not in LANGUAGES]
        if unknown:
            self.add(None, ["languages"], N_("Aandacht has no language '{value}': a deck is in Dutch (nl), "
                                             "English (en) or both", value=unknown[0]))
            return LANGUAGES
        return tuple(lang for lang in LANGUAGES if lang in raw)

    def story(self, value: Any, card: str) -> str | None:
        """Check a card's story: a built-in story's id (the seed file's name) or the facilitator's own short,
        plain text about their case; "" for none."""
        if value is None:
            return ""
        if not isinstance(value, str):
            self.add(card, ["story"], N_("Write the story as text, not {got} (put it in quotes)", got=_kind(value)))
            return None
        value = value.strip()
        if STORY.fullmatch(value):
            return value
        if len(value) > STORY_LIMIT:
            self.add(card, ["story"], N_("Shorten the story's name to {limit} characters; it has {length} now.",
                                         limit=STORY_LIMIT, length=len(value)))
            return None
        if not value.isprintable():  # a line break, a tab or a control character
            self.add(card, ["story"], N_("Write the story's name on one line, without special characters."))
            return None
        return value

    def identifier(self, value: Any, card: str | None, path: Location, pattern: re.Pattern, example: str,
                   rule: Msg) -> str | None:
        """Check an id against ``pattern`` (``rule`` says it in words); return it when valid."""
        if not isinstance(value, str):
            got = _kind(value)
            if isinstance(value, (bool, int, float)):
                got = N_("{got} (quote it)", got=got)
            self.add(card, path, N_("must be text like '{example}', not {got}", example=example, got=got))
            return None
        if not pattern.fullmatch(value):
            self.add(card, path, N_("'{value}' must look like '{example}': {rule}", value=value, example=example,
                                    rule=rule))
            return None
        return value

    def flag(self, value: Any, card: str | None, path: Location) -> bool | None:
        """Check a true/false field."""
        if not isinstance(value, bool):
            self.add(card, path, N_("must be yes or no (true or false), not {got}", got=_kind(value)))
            return None
        return value

    def key(self, data: Any, card: str | None, path: Location) -> RubricKey | None:
        """Check a rubric key: the five dimensions as whole numbers 0-3, and an optional flag."""
        if not self.mapping(data, card, path, DIMENSIONS, KEY_OPTIONAL):
            return None
        before = self.found
        points = {}
        for dimension in DIMENSIONS:
            if dimension not in data:
                continue
            value = data[dimension]
            if type(value) is not int or not 0 <= value <= MAX_POINTS:
                got = value if type(value) is int else _kind(value)
                self.add(card, [*path, dimension], N_("Give it a whole number of points from 0 to {max}, not "
                                                      "{got}", max=MAX_POINTS, got=got))
                continue
            points[dimension] = value
        flag = self.flag(data["flag"], card, [*path, "flag"]) if "flag" in data else False
        if self.found > before or len(points) < len(DIMENSIONS):
            return None
        return RubricKey(**points, flag=bool(flag))

    def response(self, data: Any, card: str, path: Location) -> Response | None:
        """Check one response; return it when valid."""
        if not self.mapping(data, card, path, RESPONSE_REQUIRED, RESPONSE_OPTIONAL):
            return None
        before = self.found
        response_id = (self.identifier(data["id"], card, [*path, "id"], RESPONSE_ID, "a", RESPONSE_ID_RULE)
                       if "id" in data else None)
        best = self.flag(data["best"], card, [*path, "best"]) if "best" in data else False
        text = self.text(data["text"], card, [*path, "text"], RESPONSE_LIMITS["text"]) if "text" in data else None
        key = self.key(data["key"], card, [*path, "key"]) if "key" in data else None
        feedback = (self.text(data["feedback"], card, [*path, "feedback"], RESPONSE_LIMITS["feedback"])
                    if "feedback" in data else None)
        if self.found > before or None in (response_id, text, key, feedback, best):
            return None
        return Response(id=response_id, text=text, key=key, feedback=feedback, best=best)

    def responses(self, data: Any, card: str) -> tuple[Response, ...] | None:
        """Check a card's responses: 3-4, unique ids, exactly one best that scores strictly highest."""
        if not isinstance(data, list):
            self.add(card, ["responses"], N_("must be a list of {min}-{max} responses, not {got}",
                                             min=MIN_RESPONSES, max=MAX_RESPONSES, got=_kind(data)))
            return None
        before = self.found
        if not MIN_RESPONSES <= len(data) <= MAX_RESPONSES:
            self.add(card, ["responses"], N_("Give the card {min} to {max} responses; it has {count}.",
                                             count=len(data), min=MIN_RESPONSES, max=MAX_RESPONSES))
        seen: dict[str, int] = {}
        for i, item in enumerate(data):
            rid = item.get("id") if isinstance(item, dict) else None
            if isinstance(rid, str):
                if rid in seen:
                    self.add(card, ["responses", i, "id"],
                             N_("Two responses have the id '{id}' (responses {other} and {this}); give each its "
                                "own letter", id=rid, other=seen[rid] + 1, this=i + 1))
                else:
                    seen[rid] = i
        self.responses_data = data
        parsed = [self.response(item, card, ["responses", i]) for i, item in enumerate(data)]
        marked = [i for i, item in enumerate(data) if isinstance(item, dict) and item.get("best") is True]
        best_fields_valid = all(isinstance(item.get("best", False), bool) for item in data if isinstance(item, dict))
        if best_fields_valid and len(marked) == 0:
            self.add(card, ["responses"], N_("Mark one response as the best."))
        elif len(marked) > 1:
            labels = ", ".join(response_letter(data[i], i) for i in marked)
            self.add(card, ["responses"], N_("{count} responses are marked as the best ({labels}); mark only one.",
                                             count=len(marked), labels=labels))
        if len(marked) == 1:
            self._best_scores_highest(parsed, marked[0], card, data)
        self.responses_data = None
        if self.found > before or None in parsed:
            return None
        return tuple(parsed)

    def _best_scores_highest(self, parsed: list[Response | None], best_index: int, card: str, data: list) -> None:
        """The best response is not flagged and its key total beats every other response's."""
        best = parsed[best_index]
        if best is None:
            return
        if best.key.flag:
            self.add(card, ["responses", best_index, "key", "flag"],
                     N_("The best response cannot be flagged as serving the organisation."))
        for i, other in enumerate(parsed):
            if other is None or i == best_index:
                continue
            if other.key.total() >= best.key.total():
                self.add(card, ["responses", i, "key"],
                         N_("Response {letter} scores {total} points, not fewer than the best response {best_letter} "
                            "({best}); the best must score highest.", letter=response_letter(data[i], i),
                            total=other.key.total(), best_letter=response_letter(data[best_index], best_index),
                            best=best.key.total()))

    def card(self, data: Any, index: int) -> Card | None:
        """Check one card; return it when valid."""
        label = _card_label(data, index)
        if not self.mapping(data, label, [], CARD_FIELDS, CARD_OPTIONAL):
            return None
        before = self.found
        kind = data.get("kind", "choice")
        if kind not in KINDS:
            self.add(label, ["kind"], N_("A card is a choice card ('choice': teams pick a response) or an open card "
                                         "('open': teams write their own), not {got}", got=repr(kind)))
            kind = None
        card_id = self.identifier(data["id"], label, ["id"], SLUG, "spilled-tea", SLUG_RULE) if "id" in data else None
        story = self.story(data.get("story"), label)
        sensitive = self.flag(data["sensitive"], label, ["sensitive"]) if "sensitive" in data else None
        texts = {
            name: self.text(data[name], label, [name], limit) if name in data else None
            for name, limit in CARD_LIMITS.items()
        }
        responses: tuple[Response, ...] | None = ()
        if kind == "open" and "responses" in data:
            self.add(label, ["responses"], N_("An open card has no responses: teams write their own. Remove the "
                                              "responses, or make it a choice card."))
        elif kind == "choice":
            if "responses" in data:
                responses = self.responses(data["responses"], label)
            else:
                self.add(label, ["responses"], N_("Give the card {min} to {max} responses (a choice card), or make "
                                                  "it an open card.", min=MIN_RESPONSES, max=MAX_RESPONSES))
        notes = self.text(data["notes"], label, ["notes"], NOTES_LIMIT) if "notes" in data else None
        if self.found > before or None in (card_id, story, sensitive, responses, kind, *texts.values()):
            return None
        return Card(id=card_id, story=story, sensitive=sensitive, responses=responses, kind=kind, notes=notes,
                    **texts)

    def deck(self, data: Any) -> Deck | None:
        """Check a whole deck; return it when the file has no problems at all."""
        if not isinstance(data, dict):
            self.add(None, [], N_("must hold one deck (a mapping with id, title, description and cards), not {got}",
                                  got=_kind(data)))
            return None
        self.mapping(data, None, [], DECK_FIELDS, DECK_OPTIONAL)
        self.languages = self.languages_of(data)
        deck_id = (self.identifier(data["id"], None, ["id"], SLUG, "aandacht-basis", SLUG_RULE)
                   if "id" in data else None)
        texts = {
            name: self.text(data[name], None, [name], limit) if name in data else None
            for name, limit in DECK_LIMITS.items()
        }
        cards: list[Card | None] = []
        if "cards" in data:
            raw = data["cards"]
            if not isinstance(raw, list):
                self.add(None, ["cards"], N_("must be a list of cards, not {got}", got=_kind(raw)))
            elif not raw:
                self.add(None, ["cards"], N_("A deck needs at least one card."))
            else:
                seen: dict[str, int] = {}
                for i, item in enumerate(raw):
                    cid = item.get("id") if isinstance(item, dict) else None
                    if isinstance(cid, str) and cid.strip():
                        cid = cid.strip()
                        if cid in seen:
                            self.add(cid, ["id"], N_("Cards {first} and {second} both have the id '{id}'; give "
                                                     "each card its own.", id=cid, first=seen[cid] + 1,
                                                     second=i + 1))
                        else:
                            seen[cid] = i
                cards = [self.card(item, i) for i, item in enumerate(raw)]
        if self.found:
            return None
        return Deck(id=deck_id, cards=tuple(cards), languages=self.languages, **texts)


def _safe_loader() -> type:
    """PyYAML's safe loader: the C one (libyaml) when PyYAML was built with it (about ten times faster), else the
    pure-Python one. Both build the same values; looked up on each use, so a test can take the C one away."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _too_deep(filename: str) -> DeckError:
    """The problem of a file that nests deeper than a deck can."""
    return DeckError([DeckProblem(filename, None, None, N_("nests lists and mappings more than {max} deep; a deck "
                                                           "needs 6", max=MAX_DEPTH))])


def _check_events(events: Iterable[yaml.Event], filename: str) -> None:
    """Refuse what no deck needs and a hostile file could use, reading YAML events as they come (nothing is built,
    nothing recurses): anchors and aliases (a few lines of them expand into millions of nodes), nesting deeper than
    MAX_DEPTH, more than MAX_CARDS cards or more than MAX_NODES nodes. Raise DeckError at the first one found."""
    stack: list[list] = []  # per open list or mapping: [nodes in it so far, is a mapping, last key, is the cards]
    nodes = 0
    for event in events:
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            continue
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise DeckError([DeckProblem(filename, None, None, N_("uses YAML anchors or aliases (& or *); write "
                                                                  "every card out in full"))])
        if not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            continue  # the stream's and the document's start and end
        nodes += 1
        if nodes > MAX_NODES:
            raise DeckError([DeckProblem(filename, None, None, N_(
                "is too large: it holds more than {max} values, lists and mappings (a card has about 150)",
                max=MAX_NODES))])
        key = None  # the key this node is the value of, in the deck's own mapping
        if stack:
            parent = stack[-1]
            parent[0] += 1
            if parent[3] and parent[0] > MAX_CARDS:
                raise DeckError([DeckProblem(filename, None, "cards", N_(
                    "has more than {max} cards; a deck can have at most {max}", max=MAX_CARDS))])
            if parent[1] and parent[0] % 2:  # a mapping's nodes alternate: key, value, key, value...
                parent[2] = event.value if isinstance(event, yaml.ScalarEvent) else None
            elif parent[1]:
                key = parent[2]
        if isinstance(event, yaml.CollectionStartEvent):
            cards = len(stack) == 1 and key == "cards" and isinstance(event, yaml.SequenceStartEvent)
            stack.append([0, isinstance(event, yaml.MappingStartEvent), None, cards])
            if len(stack) > MAX_DEPTH:
                raise _too_deep(filename)


def _check_plain(text: str, filename: str) -> None:
    """Check the file's shape (``_check_events``) before it is loaded, whichever parser PyYAML has.

    libyaml reads a line ahead and stops at 1,000 levels of nesting with an error of its own, before the event
    that would have shown the depth; PyYAML's pure-Python parser has no such limit and does not recurse. So when
    the C parser fails (other than with its depth error), the pure-Python one reads the file again: it finds the
    depth problem, or the syntax error (in the words the problem reports), and stops there. Raise DeckError, or
    yaml.YAMLError for a syntax error."""
    loader = _safe_loader()
    try:
        _check_events(yaml.parse(text, Loader=loader), filename)
    except yaml.YAMLError as exc:
        if loader is yaml.SafeLoader:
            raise
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own limit, in its words (0.2.5)
            raise _too_deep(filename) from None  # what the slower reading below would find
        _check_events(yaml.parse(text, Loader=yaml.SafeLoader), filename)
        raise  # both parsers read the file but the C one refused it: report its error


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """The file's node tree (its keys keep their lines) and the values built from it, in one parse."""
    loader = _safe_loader()(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _duplicate_keys(root: yaml.Node | None) -> list[tuple[Location, str, int]]:
    """Find keys that appear twice in one YAML mapping (loading would silently keep the last)."""
    found: list[tuple[Location, str, int]] = []

    def walk(node: yaml.Node, path: Location) -> None:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if name is not None and name in seen:
                    found.append(([*path, name], name, key_node.start_mark.line + 1))
                seen.add(name)
                walk(value_node, [*path, name])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, [*path, i])

    if root is not None:
        walk(root, [])
    return found


def _locate(path: Location, data: Any) -> tuple[str | None, Location]:
    """Split a document path into the card it falls in (if any) and the path inside it."""
    if len(path) >= 2 and path[0] == "cards" and isinstance(path[1], int):
        cards = data.get("cards") if isinstance(data, dict) else None
        card = cards[path[1]] if isinstance(cards, list) and path[1] < len(cards) else None
        return _card_label(card, path[1]), path[2:]
    return None, path


def _syntax_problem(exc: yaml.YAMLError, filename: str) -> DeckProblem:
    """A YAML syntax error as a problem with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = (N_("line {line}, column {column}", line=mark.line + 1, column=mark.column + 1)
             if mark is not None else N_("an unknown line"))
    detail = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context = N_("{context} that starts at line {line}", context=context, line=context_mark.line + 1)
    detail = N_("{detail} ({context})", detail=detail, context=context) if context else detail
    return DeckProblem(filename, None, None, N_("YAML syntax error at {where}: {detail}", where=where, detail=detail))


def parse_deck(text: str, filename: str) -> Deck:
    """Parse and validate one deck from YAML ``text``; raise DeckError listing its problems (the first
    MAX_PROBLEMS, and how many more there are).

    The file's shape is checked first (no anchors, depth, cards, size: ``_check_plain``), so the work that
    follows is bounded by MAX_NODES whatever the file holds; a RecursionError, should one still happen, is the
    file's problem too."""
    checker = _Checker(filename)
    try:
        _check_plain(text, filename)
        root, data = _load(text)
        for path, name, line in _duplicate_keys(root):
            card, inner = _locate(path, data)
            checker.add(card, inner, N_("'{name}' appears twice in the same place (line {line}); YAML would "
                                        "silently keep only the last one", name=name, line=line))
        deck = checker.deck(data)
    except yaml.YAMLError as exc:
        raise DeckError([_syntax_problem(exc, filename)]) from None
    except RecursionError:
        raise _too_deep(filename) from None
    if checker.found or deck is None:
        raise DeckError(checker.report(), checker.found)
    return deck


def load_deck(path: str | os.PathLike) -> Deck:
    """Read one deck file and validate it; the file is named in problems as it was given."""
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeckError([DeckProblem(filename, None, None, N_("cannot read the file: {error}", error=exc))]) from None
    return parse_deck(text, filename)


def deck_files(directory: str | os.PathLike) -> list[Path]:
    """Every ``*.yaml`` and ``*.yml`` file in ``directory``, sorted by name."""
    folder = Path(directory)
    return sorted((p for p in folder.iterdir() if p.suffix in DECK_SUFFIXES and p.is_file()), key=lambda p: p.name)


def _duplicate_id(deck: Deck, filename: str, owners: dict[str, str]) -> DeckProblem | None:
    """Record ``deck``'s id in ``owners``; return a problem when another file already uses it."""
    if deck.id in owners:
        return DeckProblem(filename, None, "id", N_("deck id '{id}' is already used by {file}", id=deck.id,
                                                    file=owners[deck.id]))
    owners[deck.id] = filename
    return None


def load_decks(directory: str | os.PathLike) -> dict[str, Deck]:
    """Load every deck file in ``directory``; raise one DeckError with the problems of all files."""
    if not Path(directory).is_dir():
        raise DeckError([DeckProblem(str(directory), None, None, N_("no such directory"))])
    decks: dict[str, Deck] = {}
    owners: dict[str, str] = {}
    problems: list[DeckProblem] = []
    for path in deck_files(directory):
        try:
            deck = load_deck(path)
        except DeckError as exc:
            problems.extend(exc.problems)
            continue
        duplicate = _duplicate_id(deck, str(path), owners)
        if duplicate:
            problems.append(duplicate)
        else:
            decks[deck.id] = deck
    if problems:
        raise DeckError(problems)
    return decks


def default_scenarios_dir() -> Path:
    """The repository's ``scenarios/`` folder, unless ``AANDACHT_SCENARIOS`` names another."""
    override = os.environ.get("AANDACHT_SCENARIOS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "scenarios"


def validate_main(paths: list[str]) -> int:
    """Validate deck files or folders (none: the default folder); print the outcome; 0 when all are valid."""
    targets = [Path(p) for p in paths] or [default_scenarios_dir()]
    files: list[Path] = []
    failed = False
    for target in targets:
        if target.is_dir():
            found = deck_files(target)
            if not found:
                print(f"{target}: no *.yaml or *.yml deck files here", file=sys.stderr)
                failed = True
            files.extend(found)
        elif target.exists():
            files.append(target)
        else:
            print(f"{target}: no such file or directory", file=sys.stderr)
            failed = True
    owners: dict[str, str] = {}
    for path in files:
        try:
            deck = load_deck(path)
        except DeckError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            failed = True
            continue
        duplicate = _duplicate_id(deck, str(path), owners)
        if duplicate:
            print(duplicate, file=sys.stderr)
            failed = True
            continue
        print(f"ok: {path}: {deck.id}, {len(deck.cards)} cards")
    return 1 if failed else 0
