"""Cards and decks as immutable values: what the rules and the views read."""

from __future__ import annotations

from dataclasses import dataclass, replace

LANGUAGES = ("nl", "en")
DIMENSIONS = ("attention", "ease", "resolution", "ownership", "proportion")
MAX_POINTS = 3
KINDS = ("choice", "open")  # choice: teams pick one of the card's responses; open: teams write their own


@dataclass(frozen=True)
class Text:
    """One piece of text in every supported language; "" in a language the deck is not in (a one-language deck)."""

    nl: str
    en: str

    def get(self, language: str) -> str:
        """Return the text in ``language``; in the other language when it has none in this one (a one-language
        deck), so that no page ever shows an empty text where the card has one."""
        own = self.nl if language == "nl" else self.en
        return own or (self.en if language == "nl" else self.nl)

    def has(self, language: str) -> bool:
        """Whether the text is written in ``language`` (a one-language deck's texts are in one only)."""
        return bool(self.nl if language == "nl" else self.en)

    def only(self, languages: tuple[str, ...]) -> Text:
        """The text in ``languages`` only; the others blank."""
        return Text(nl=self.nl if "nl" in languages else "", en=self.en if "en" in languages else "")

    def to_dict(self) -> dict:
        """Return a JSON-able form."""
        return {"nl": self.nl, "en": self.en}

    @classmethod
    def from_dict(cls, data: dict) -> Text:
        """Build from the JSON-able form."""
        return cls(nl=data["nl"], en=data["en"])


@dataclass(frozen=True)
class RubricKey:
    """Points 0-3 on each rubric dimension, and the flag for serving the organisation."""

    attention: int
    ease: int
    resolution: int
    ownership: int
    proportion: int
    flag: bool = False

    def points(self) -> dict[str, int]:
        """Return the five dimensions as a dict."""
        return {d: getattr(self, d) for d in DIMENSIONS}

    def total(self) -> int:
        """Sum of the dimensions, minus one when flagged."""
        return sum(self.points().values()) - (1 if self.flag else 0)

    def to_dict(self) -> dict:
        """Return a JSON-able form."""
        return {**self.points(), "flag": self.flag}

    @classmethod
    def from_dict(cls, data: dict) -> RubricKey:
        """Build from the JSON-able form."""
        return cls(**{d: int(data[d]) for d in DIMENSIONS}, flag=bool(data.get("flag", False)))


@dataclass(frozen=True)
class Response:
    """One answer a team can choose, with its rubric key and the facilitator's feedback."""

    id: str
    text: Text
    key: RubricKey
    feedback: Text
    best: bool = False

    def to_dict(self) -> dict:
        """Return a JSON-able form."""
        return {
            "id": self.id,
            "text": self.text.to_dict(),
            "key": self.key.to_dict(),
            "feedback": self.feedback.to_dict(),
            "best": self.best,
        }

    def only(self, languages: tuple[str, ...]) -> Response:
        """The response with its texts in ``languages`` only."""
        return replace(self, text=self.text.only(languages), feedback=self.feedback.only(languages))

    @classmethod
    def from_dict(cls, data: dict) -> Response:
        """Build from the JSON-able form."""
        return cls(
            id=data["id"],
            text=Text.from_dict(data["text"]),
            key=RubricKey.from_dict(data["key"]),
            feedback=Text.from_dict(data["feedback"]),
            best=bool(data.get("best", False)),
        )


@dataclass(frozen=True)
class Card:
    """A scenario card: a story from the customer's side, a question and 3-4 responses.

    An open card (``kind == "open"``) has no responses: each team writes its own answer,
    which the facilitator scores on the rubric. ``notes`` are the facilitator's private
    notes; only the console ever shows them.
    """

    id: str
    story: str
    sensitive: bool
    title: Text
    situation: Text
    question: Text
    responses: tuple[Response, ...]
    lesson: Text
    debrief: Text
    kind: str = "choice"
    notes: Text | None = None

    @property
    def is_open(self) -> bool:
        """True for a card where teams write their own response."""
        return self.kind == "open"

    def response(self, response_id: str) -> Response | None:
        """Return the response with this id, or None."""
        for r in self.responses:
            if r.id == response_id:
                return r
        return None

    def best_response(self) -> Response | None:
        """Return the response marked best (None on an open card)."""
        return next((r for r in self.responses if r.best), None)

    def only(self, languages: tuple[str, ...]) -> Card:
        """The card with its texts in ``languages`` only: a workshop's snapshot holds the deck's languages, so a
        phone switched to another language is never shown texts the deck does not declare."""
        texts = {name: getattr(self, name).only(languages) for name in ("title", "situation", "question", "lesson",
                                                                           "debrief")}
        return replace(self, responses=tuple(r.only(languages) for r in self.responses),
                       notes=self.notes.only(languages) if self.notes else None, **texts)

    def to_dict(self) -> dict:
        """Return a JSON-able form (stored with a workshop as its snapshot of the deck)."""
        return {
            "id": self.id,
            "story": self.story,
            "sensitive": self.sensitive,
            "title": self.title.to_dict(),
            "situation": self.situation.to_dict(),
            "question": self.question.to_dict(),
            "responses": [r.to_dict() for r in self.responses],
            "lesson": self.lesson.to_dict(),
            "debrief": self.debrief.to_dict(),
            "kind": self.kind,
            "notes": self.notes.to_dict() if self.notes else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Card:
        """Build from the JSON-able form."""
        return cls(
            id=data["id"],
            story=data["story"],
            sensitive=bool(data["sensitive"]),
            title=Text.from_dict(data["title"]),
            situation=Text.from_dict(data["situation"]),
            question=Text.from_dict(data["question"]),
            responses=tuple(Response.from_dict(r) for r in data["responses"]),
            lesson=Text.from_dict(data["lesson"]),
            debrief=Text.from_dict(data["debrief"]),
            kind=data.get("kind", "choice"),
            notes=Text.from_dict(data["notes"]) if data.get("notes") else None,
        )


@dataclass(frozen=True)
class Deck:
    """A named, ordered set of cards, in one language or both (``languages``, in LANGUAGES' order)."""

    id: str
    title: Text
    description: Text
    cards: tuple[Card, ...]
    languages: tuple[str, ...] = LANGUAGES

    def language_for(self, language: str) -> str:
        """``language`` when the deck is in it, else the deck's first language (what to show a page in that
        language: a one-language deck's texts exist in its own language only)."""
        return language if language in self.languages else self.languages[0]

    def card(self, card_id: str) -> Card | None:
        """Return the card with this id, or None."""
        for c in self.cards:
            if c.id == card_id:
                return c
        return None
