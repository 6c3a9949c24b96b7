"""Cards and decks as immutable values: what the rules and the views read."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("nl", "en")
DIMENSIONS = ("attention", "ease", "resolution", "ownership", "proportion")
MAX_POINTS = 3
KINDS = ("choice", "open")  # choice: teams pick one of the card's responses; open: teams write their own


@dataclass(frozen=True)
class Text:
    """One piece of text in every supported language."""

    nl: str
    en: str

    def get(self, language: str) -> str:
        """Return the text in ``language``, falling back to English."""
        return self.nl if language == "nl" else self.en

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
    """A named, ordered set of cards."""

    id: str
    title: Text
    description: Text
    cards: tuple[Card, ...]

    def card(self, card_id: str) -> Card | None:
        """Return the card with this id, or None."""
        for c in self.cards:
            if c.id == card_id:
                return c
        return None
