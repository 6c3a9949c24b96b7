"""Checks a socket payload's shape before it becomes a command.

Each event declares its fields; anything missing, extra, of the wrong type or too
long is refused with a ``GameError`` that names the field. The rules then check
what only they can know (phases, teams, limits that depend on the state).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import GameError

MAX_STRING = 500  # nothing a client sends is longer; the rules apply tighter limits


@dataclass(frozen=True)
class Field:
    """One payload field: its type, whether it may be null or left out, and a length limit for text."""

    kind: type
    required: bool = True
    nullable: bool = False
    max_length: int = MAX_STRING
    high: int = 2**31  # whole numbers must lie in [-high, high)


def check(payload, fields: dict[str, Field]) -> dict:
    """Return the payload's fields as a dict, or raise GameError('invalid', ...) naming the field."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise GameError("invalid", "The message must be an object with named fields.")
    extra = sorted(set(payload) - set(fields), key=str)
    if extra:
        raise GameError("invalid", f"Unknown field “{str(extra[0])[:40]}”.")
    out = {}
    for name, spec in fields.items():
        if name not in payload:
            if spec.required:
                raise GameError("invalid", f"The field “{name}” is missing.")
            continue
        value = payload[name]
        if value is None:
            if not spec.nullable:
                raise GameError("invalid", f"The field “{name}” cannot be empty.")
            out[name] = None
            continue
        if spec.kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and -spec.high <= value < spec.high
        else:
            ok = isinstance(value, spec.kind)
        if not ok:
            raise GameError("invalid", f"The field “{name}” must be {_kind_name(spec.kind)}.")
        if isinstance(value, str):
            if len(value) > spec.max_length:
                raise GameError("too_long", f"The field “{name}” can be at most {spec.max_length} characters.")
            if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
                raise GameError("invalid", f"The field “{name}” holds characters that are not text.")
        out[name] = value
    return out


def _kind_name(kind: type) -> str:
    """A type in words."""
    return {int: "a whole number", str: "text", bool: "true or false"}.get(kind, kind.__name__)
