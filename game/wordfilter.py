"""A configurable filter for display names and team names, in Dutch and English."""

from __future__ import annotations

import os
import re
import unicodedata
from operator import methodcaller
from pathlib import Path

DEFAULT_LIST = Path(__file__).resolve().parent / "data" / "blocked_words.txt"
LOOK_ALIKES = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "5": "s",
                             "$": "s", "7": "t", "+": "t", "8": "b", "9": "g"})
_WORDS = re.compile(r"[a-z]+")
_STRETCH = re.compile(r"(.)\1{2,}")


# ASCII text (most names and answers) in one C call: its only characters of category C are the controls, it has
# no accents to strip, and NFKD leaves it as it is. An open card's answers are all checked: a per-character loop in
# Python cost 43 us an answer, 130 ms of a keynote round of 3,000 answers.
_ASCII_PLAIN = str.maketrans({**{chr(c): None for c in (*range(32), 127)}, **LOOK_ALIKES})


def normalise(text: str) -> list[str]:
    """The words of a text as the filter compares them: no case, accents or look-alike characters."""
    if text.isascii():
        plain = text.lower().translate(_ASCII_PLAIN)  # lower() is casefold() for ASCII
    else:
        visible = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # zero-width, soft hyphen, ...
        decomposed = unicodedata.normalize("NFKD", visible.casefold())
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(LOOK_ALIKES)
    words = _WORDS.findall(plain)
    if len(words) >= 3 and max(map(len, words)) == 1:  # "f u c k" spelled out
        words.append("".join(words))
    if _STRETCH.search(" ".join(words)) is None:  # no stretched letters ("fuuuck"): the words as they are
        return words
    return [_STRETCH.sub(r"\1", w) for w in words] + [w for w in words if _STRETCH.search(w)]


class WordFilter:
    """Refuses names that contain a blocked word (whole words, or word starts for entries ending in '*')."""

    def __init__(self, entries: list[str]):
        self.words: set[str] = set()
        prefixes: list[str] = []
        self.phrases: list[list[str]] = []
        for raw in entries:
            entry = raw.split("#", 1)[0].strip().casefold()
            if not entry:
                continue
            if entry.endswith("*"):
                prefixes.append(_STRETCH.sub(r"\1", entry[:-1]))
            elif " " in entry:
                self.phrases.append(entry.split())
            else:
                self.words.add(_STRETCH.sub(r"\1", entry))
        self.prefixes: tuple[str, ...] = tuple(prefixes)  # str.startswith takes them all at once

    @classmethod
    def from_file(cls, path: str | os.PathLike | None = None) -> WordFilter:
        """Load a list: the given file, AANDACHT_BLOCKED_WORDS, or ours."""
        path = path or os.environ.get("AANDACHT_BLOCKED_WORDS") or DEFAULT_LIST
        return cls(Path(path).read_text(encoding="utf-8").splitlines())

    def allows(self, text: str) -> bool:
        """Whether a name may be shown to the room."""
        words = normalise(text)
        if not self.words.isdisjoint(words) or any(map(methodcaller("startswith", self.prefixes), words)):
            return False
        joined = " ".join(words)
        return not any(" ".join(phrase) in joined for phrase in self.phrases)
