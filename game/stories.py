"""Short names of our own for the stories the default deck's cards are drawn from.

A card names its story by the seed file's id (``000_ad21fe9a2b2a9b6c``: a Dutch blog post in shared/seeds); the
create form shows the story's name, in the facilitator's language, instead of that number. The names are ours,
written for the form: no sentence of a story is copied here.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(text: str) -> str:
    """Marks a text for the message catalog (pybabel extract) where it is defined; translated where it is shown."""
    return text


STORY_NAMES = {  # in English, the catalog's source language
    "000_ad21fe9a2b2a9b6c": N_("Tea at the table"),
    "001_fe295b2f6faf4ee3": N_("Ada on the line"),
    "002_9899e722a4c82a8a": N_("Explaining it at a party"),
    "003_98501393b23b602e": N_("The bank and the train"),
    "004_1c8a6da10b3e1416": N_("Car damage and the insurer"),
}


def story_name(story: str | None, gettext: Callable[[str], str]) -> str:
    """The name of the story a card is drawn from: a built-in story's name through ``gettext`` (the page's
    language), the facilitator's own words about their case as written, "" for a card that names no story."""
    name = STORY_NAMES.get(story or "")
    return gettext(name) if name else (story or "")


def story_names(gettext: Callable[[str], str]) -> dict[str, str]:
    """Every built-in story's name by its id, through ``gettext``: the choices the card editor offers, and what
    the console shows for a card's story."""
    return {story: gettext(name) for story, name in STORY_NAMES.items()}
