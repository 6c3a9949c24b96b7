"""Who may do what with decks and workshops: the one place these rules live.

The rules take the acting facilitator as an argument and know nothing of how they signed in (``game.web.auth``'s
``current_facilitator()`` returns the same fields as ``Facilitator`` here). They are pure: the store gives them the
owner and the co-facilitators, they answer yes or no; the ``require_*`` forms raise a ``GameError`` in the
facilitator's words instead (the web layer translates it by its code, see ``FORBIDDEN``).

- Decks: every facilitator uses and duplicates every deck; only its owner or an administrator changes or deletes
  a stored deck; nobody changes a built-in deck (``scenarios/``). A deck made before accounts has no owner: only an
  administrator changes it until ``adopt_orphans`` gives it to the first administrator.
- Workshops: the owner, a co-facilitator and an administrator run the console with the same rights; only the owner
  or an administrator adds or removes co-facilitators.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from .engine import GameError


@dataclass(frozen=True)
class Facilitator:
    """A signed-in facilitator as the rules see them (the fields of ``current_facilitator()``)."""

    id: str
    email: str = ""
    name: str = ""
    is_admin: bool = False


class UserDirectory(Protocol):
    """How the rules find a facilitator by e-mail (the accounts' users table fills it in)."""

    def by_email(self, email: str) -> Facilitator | None:
        """The facilitator with this e-mail address (any case), or None."""


def N_(text: str) -> str:
    """Marks a text for the message catalog (pybabel extract) where it is defined; translated where it is shown."""
    return text


# The refusals, by code, in English msgids (the web layer shows them translated, see ``REFUSALS``).
NOT_YOUR_DECK = N_("Only the one who made this deck, or an administrator, can change or delete it. Duplicate it "
                   "to make your own.")
BUILTIN_DECK = N_("A built-in deck cannot be changed. Duplicate it and edit the copy.")
NOT_YOUR_WORKSHOP = N_("You are not a facilitator of this workshop.")
NOT_THE_OWNER = N_("Only the workshop's owner or an administrator can add or remove co-facilitators.")
SIGN_IN = N_("Sign in as a facilitator first.")
REFUSALS = frozenset({NOT_YOUR_DECK, BUILTIN_DECK, NOT_YOUR_WORKSHOP, NOT_THE_OWNER, SIGN_IN})


def can_use_deck(who: Facilitator | None) -> bool:
    """Whether ``who`` may use a deck in a workshop, see it, export or duplicate it: every facilitator."""
    return who is not None


def can_change_deck(who: Facilitator | None, owner_id: str | None, builtin: bool) -> bool:
    """Whether ``who`` may change or delete a deck: its owner or an administrator, never a built-in deck."""
    if who is None or builtin:
        return False
    return who.is_admin or (owner_id is not None and owner_id == who.id)


def require_change_deck(who: Facilitator | None, owner_id: str | None, builtin: bool) -> None:
    """Refuse (``GameError`` ``forbidden``) unless ``who`` may change or delete the deck."""
    if who is None:
        raise GameError("sign_in", SIGN_IN)
    if builtin:
        raise GameError("forbidden", BUILTIN_DECK)
    if not can_change_deck(who, owner_id, builtin):
        raise GameError("forbidden", NOT_YOUR_DECK)


def can_run_workshop(who: Facilitator | None, owner_id: str | None, co_facilitators: Collection[str]) -> bool:
    """Whether ``who`` may open the console of a workshop (run it, see its report and CSV, delete it, renew its
    links): the owner, a co-facilitator or an administrator. A workshop without an owner (made before accounts) is
    run by administrators, and through its secret link as before."""
    if who is None:
        return False
    return who.is_admin or (owner_id is not None and owner_id == who.id) or who.id in co_facilitators


def require_run_workshop(who: Facilitator | None, owner_id: str | None, co_facilitators: Collection[str]) -> None:
    """Refuse (``GameError`` ``forbidden``) unless ``who`` may run the workshop."""
    if who is None:
        raise GameError("sign_in", SIGN_IN)
    if not can_run_workshop(who, owner_id, co_facilitators):
        raise GameError("forbidden", NOT_YOUR_WORKSHOP)


def can_manage_co_facilitators(who: Facilitator | None, owner_id: str | None) -> bool:
    """Whether ``who`` may add or remove a workshop's co-facilitators: the owner or an administrator."""
    if who is None:
        return False
    return who.is_admin or (owner_id is not None and owner_id == who.id)


def require_manage_co_facilitators(who: Facilitator | None, owner_id: str | None) -> None:
    """Refuse (``GameError`` ``forbidden``) unless ``who`` may add or remove co-facilitators."""
    if who is None:
        raise GameError("sign_in", SIGN_IN)
    if not can_manage_co_facilitators(who, owner_id):
        raise GameError("forbidden", NOT_THE_OWNER)
