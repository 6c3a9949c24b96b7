"""The deck library: the built-in decks (``scenarios/*.yaml``, read-only) and the decks
facilitators make, import or duplicate (stored in the database as YAML text).

It is the one place that answers "which decks are there": the create form, the deck
pages and the service all ask it. Stored decks are read fresh from the database on each
question (only the id and version of each; a deck is parsed again only when its version
moved), so every process sees the same decks. Every stored deck passes exactly the
validation of a deck file (``game.decks.parse_deck``) before it is written.

Reading and writing a deck's YAML is CPU work that takes from a few to a few hundred
milliseconds (a large deck, PyYAML without libyaml). It runs through ``offload``: directly by
default, in a worker thread on the eventlet server (``game.server``), so the green threads of
every phone keep running meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .decks import N_, SLUG, DeckError, DeckProblem, deck_files, load_deck, parse_deck
from .engine.cards import LANGUAGES, Card, Deck, Response, Text
from .rights import Facilitator, can_change_deck, require_change_deck
from .store import Store

MAX_DECK_CHARS = 200_000  # a deck's YAML text; the default deck of 15 cards is about 75,000
MAX_DECKS = 500  # stored decks; enough for a training company, not a way to fill the disk


@dataclass(frozen=True)
class DeckInfo:
    """A deck and where it lives."""

    deck: Deck
    builtin: bool
    version: int  # 0 for a built-in deck
    filename: str  # the file name a download gets, and problems are reported with


class Conflict(Exception):
    """The deck changed since the editor loaded it (another tab or facilitator saved first)."""


class _Dumper(yaml.SafeDumper):
    """Block style, with lists indented under their key as in the deck files, and no anchors or aliases (a deck
    file may not have them): a value used twice is written out twice."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        """Indent list items under their key."""
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data) -> bool:
        """Never write an anchor or an alias."""
        return True


def _text(value: Text) -> dict:
    """A text in the file's form: the languages it is written in (a one-language deck's are in one)."""
    return {lang: getattr(value, lang) for lang in LANGUAGES if value.has(lang)}


def card_to_data(card: Card) -> dict:
    """A card in the deck file's form (what ``parse_deck`` reads back to the same card); a card without a story
    has no ``story``."""
    data: dict = {"id": card.id}
    if card.story:
        data["story"] = card.story
    data["sensitive"] = card.sensitive
    if card.kind != "choice":
        data["kind"] = card.kind
    for name in ("title", "situation", "question"):
        data[name] = _text(getattr(card, name))
    if card.kind == "choice":
        data["responses"] = [_response_to_data(r) for r in card.responses]
    data["lesson"] = _text(card.lesson)
    data["debrief"] = _text(card.debrief)
    if card.notes is not None:
        data["notes"] = _text(card.notes)
    return data


def _response_to_data(response: Response) -> dict:
    """A response in the file's form."""
    data: dict = {"id": response.id}
    if response.best:
        data["best"] = True
    key = response.key.points()
    if response.key.flag:
        key["flag"] = True
    data.update(text=_text(response.text), key=key, feedback=_text(response.feedback))
    return data


def deck_to_data(deck: Deck, cards: list[dict] | None = None) -> dict:
    """A deck in the file's form, with its languages; ``cards`` replaces its cards (already in the file's
    form)."""
    return {
        "id": deck.id,
        "languages": list(deck.languages),
        "title": _text(deck.title),
        "description": _text(deck.description),
        "cards": cards if cards is not None else [card_to_data(c) for c in deck.cards],
    }


def dump_deck(data: dict) -> str:
    """YAML text of a deck in the file's form."""
    header = "# An Aandacht deck. Check it with: python -m game validate-deck FILE\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000,
                              default_flow_style=False)


def _run_here(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` in the calling thread (the default ``offload``)."""
    return function(*args)


def slugify(title: str) -> str:
    """A deck or card id made from a title: "The spilled tea!" -> "the-spilled-tea"."""
    out, dash = [], False
    for ch in title.lower():
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    slug = "".join(out)[:36].strip("-")
    return slug if len(slug) >= 2 else "deck"


class DeckLibrary(Mapping):
    """Every deck by id: the built-in ones first, then the stored ones by title. A read-only Mapping
    (what the service needs) plus the methods that change stored decks."""

    def __init__(self, scenarios: str | Path, store: Store, clock: Callable[[], float] = time.time):
        """Load the built-in decks from ``scenarios`` (raise DeckError when one is invalid)."""
        self.scenarios = Path(scenarios)
        self.store = store
        self.clock = clock
        # runs the CPU work on a deck's text: offload(function, *args) returns its result or raises its exception
        self.offload: Callable[..., Any] = _run_here
        self.builtin: dict[str, Deck] = {}
        self._files: dict[str, Path] = {}
        problems: list[DeckProblem] = []
        if not self.scenarios.is_dir():
            raise DeckError([DeckProblem(str(self.scenarios), None, None, N_("no such directory"))])
        for path in deck_files(self.scenarios):
            try:
                deck = load_deck(path)
            except DeckError as exc:
                problems.extend(exc.problems)
                continue
            if deck.id in self.builtin:
                problems.append(DeckProblem(str(path), None, "id", N_("deck id '{id}' is already used by {file}",
                                                                     id=deck.id, file=self._files[deck.id])))
                continue
            self.builtin[deck.id] = deck
            self._files[deck.id] = path
        if problems:
            raise DeckError(problems)
        # stored decks by id: ((version, saved at), deck). The time tells a deck deleted and made again apart.
        self._parsed: dict[str, tuple[tuple[int, float], Deck]] = {}
        self._lock = threading.Lock()

    # --- reading ----------------------------------------------------------------------

    def _stored(self, only: list[str] | None = None) -> dict[str, tuple[int, Deck]]:
        """The stored decks as (version, deck), fresh from the database (parsed again only when they changed)."""
        stamps = self.store.deck_versions()
        if only is not None:
            stamps = {k: v for k, v in stamps.items() if k in only}
        else:
            with self._lock:  # forget decks deleted by any process
                for gone in [k for k in self._parsed if k not in stamps]:
                    del self._parsed[gone]
        stale = [k for k, v in stamps.items() if self._parsed.get(k, (None,))[0] != v]
        for row in self.store.deck_rows(stale) if stale else []:
            try:
                deck = self.parse(row.yaml, f"{row.id}.yaml")
            except DeckError:  # cannot happen for text this library stored; never let one bad row hide the rest
                with self._lock:
                    self._parsed.pop(row.id, None)
                continue
            with self._lock:
                self._parsed[row.id] = ((row.version, row.updated_at), deck)
        out = {}
        for deck_id in stamps:
            cached = self._parsed.get(deck_id)  # as read just now, or newer if it was saved in between
            if cached is not None:
                out[deck_id] = (cached[0][0], cached[1])
        return out

    def all(self) -> dict[str, Deck]:
        """Every deck by id: built-in first (in file order), then the stored ones by English title (a Dutch-only
        deck: its Dutch one)."""
        stored = sorted(self._stored().values(), key=lambda vd: (vd[1].title.get("en").casefold(), vd[1].id))
        return {**self.builtin, **{d.id: d for _v, d in stored if d.id not in self.builtin}}

    def info(self, deck_id: str) -> DeckInfo | None:
        """A deck and where it lives, or None."""
        if deck_id in self.builtin:
            return DeckInfo(self.builtin[deck_id], True, 0, self._files[deck_id].name)
        if not isinstance(deck_id, str) or not SLUG.fullmatch(deck_id):
            return None
        found = self._stored([deck_id]).get(deck_id)
        return DeckInfo(found[1], False, found[0], f"{deck_id}.yaml") if found else None

    def owner(self, deck_id: str) -> str | None:
        """Who owns a stored deck (None: a built-in deck, one made before accounts, or none)."""
        if deck_id in self.builtin or not isinstance(deck_id, str):
            return None
        return self.store.deck_owner(deck_id)

    def may_change(self, deck_id: str, who: Facilitator | None) -> bool:
        """Whether ``who`` may change or delete this deck (``game.rights.can_change_deck``)."""
        return can_change_deck(who, self.owner(deck_id), deck_id in self.builtin)

    def require_change(self, deck_id: str, who: Facilitator | None) -> None:
        """Refuse (``GameError`` ``forbidden`` or ``sign_in``) unless ``who`` may change or delete this deck."""
        require_change_deck(who, self.owner(deck_id), deck_id in self.builtin)

    def source(self, deck_id: str) -> str | None:
        """A deck's YAML text as a file (built-in: the file itself, with its comments), or None."""
        if deck_id in self.builtin:
            return self._files[deck_id].read_text(encoding="utf-8")
        rows = self.store.deck_rows([deck_id]) if isinstance(deck_id, str) else []
        return rows[0].yaml if rows else None

    def __getitem__(self, deck_id: str) -> Deck:
        """The deck with this id; KeyError when there is none."""
        found = self.info(deck_id)
        if found is None:
            raise KeyError(deck_id)
        return found.deck

    def __iter__(self) -> Iterator[str]:
        """The ids of every deck."""
        return iter(self.all())

    def __len__(self) -> int:
        """How many decks there are."""
        return len(self.all())

    def keys(self):
        """Every deck id (one database read)."""
        return self.all().keys()

    def values(self):
        """Every deck (one database read)."""
        return self.all().values()

    def items(self):
        """Every (id, deck) (one database read)."""
        return self.all().items()

    # --- changing stored decks ------------------------------------------------------------

    def parse(self, text: str, filename: str) -> Deck:
        """``parse_deck`` through ``offload``."""
        return self.offload(parse_deck, text, filename)

    def dump(self, data: dict) -> str:
        """``dump_deck`` through ``offload``."""
        return self.offload(dump_deck, data)

    def check(self, text: str, filename: str) -> Deck:
        """Validate a deck's YAML text as a file and as a stored deck; raise DeckError with its problems."""
        if len(text) > MAX_DECK_CHARS:
            raise DeckError([DeckProblem(filename, None, None, N_("is {length} characters long; a deck can be at "
                                                                  "most {max}", length=len(text),
                                                                  max=MAX_DECK_CHARS))])
        return self.parse(text, filename)

    def create(self, text: str, filename: str, replace: bool = False, owner_id: str | None = None) -> Deck:
        """Store a new deck from valid YAML text, owned by ``owner_id`` (the facilitator who made, imported or
        duplicated it; None: nobody yet); with ``replace`` an own deck with the same id is overwritten (its owner
        stays: the caller checked that it may change it, ``game.rights.require_change_deck``).

        Raise DeckError (with the problem at the deck's ``id`` when the id is taken)."""
        deck = self.check(text, filename)
        if deck.id in self.builtin:
            raise DeckError([DeckProblem(filename, None, "id", N_("deck id '{id}' is a built-in deck's; choose "
                                                                  "another id", id=deck.id))])
        if replace:
            current = self.info(deck.id)
            now = self.clock()
            title = deck.title.get("en")
            if current is not None and self.store.update_deck(deck.id, title, text, current.version, now):
                return self._remember(deck, current.version + 1, now)
        if len(self.store.deck_versions()) >= MAX_DECKS:
            raise DeckError([DeckProblem(filename, None, None, N_("there are {max} decks already; delete one you "
                                                                  "no longer need first", max=MAX_DECKS))])
        now = self.clock()
        if not self.store.insert_deck(deck.id, deck.title.get("en"), text, now, owner_id):
            raise DeckError([DeckProblem(filename, None, "id", N_("deck id '{id}' is already used by another deck; "
                                                                  "choose another id", id=deck.id))])
        return self._remember(deck, 1, now)

    def update(self, deck_id: str, text: str, version: int) -> Deck:
        """Replace a stored deck with valid YAML text, if nobody saved it since ``version``.

        Raise DeckError for invalid text, KeyError for a built-in or missing deck, Conflict when it moved on."""
        filename = f"{deck_id}.yaml"
        if deck_id in self.builtin:
            raise KeyError(deck_id)
        deck = self.check(text, filename)
        if deck.id != deck_id:
            raise DeckError([DeckProblem(filename, None, "id", N_("must stay '{id}'", id=deck_id))])
        now = self.clock()
        if not self.store.update_deck(deck_id, deck.title.get("en"), text, version, now):
            if self.info(deck_id) is None:
                raise KeyError(deck_id)
            raise Conflict(deck_id)
        return self._remember(deck, version + 1, now)

    def _remember(self, deck: Deck, version: int, saved_at: float) -> Deck:
        """Keep a deck just saved as parsed, so the next read need not parse it again."""
        with self._lock:
            self._parsed[deck.id] = ((version, saved_at), deck)
        return deck

    def delete(self, deck_id: str) -> bool:
        """Delete a stored deck (never a built-in one); False when there was none."""
        if deck_id in self.builtin:
            return False
        with self._lock:
            self._parsed.pop(deck_id, None)
        return self.store.delete_deck(deck_id)

    def free_id(self, base: str) -> str:
        """An unused deck id like ``base``, ``base-2``, ``base-3``..."""
        base = slugify(base)
        taken = set(self.builtin) | set(self.store.deck_versions())
        if base not in taken and SLUG.fullmatch(base):
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"
