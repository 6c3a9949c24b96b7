"""A configurable filter for display names and team names, in Dutch and English."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

DEFAULT_LIST = Path(__file__).resolve().parent / "data" / "blocked_words.txt"
LOOK_ALIKES = str.maketrans({"0": "o", "1": "i", "!": "i", "|": "i", "3": "e", "4": "a", "@": "a", "5": "s",
                             "$": "s", "7": "t", "+": "t", "8": "b", "9": "g"})
_WORDS = re.compile(r"[a-z]+")
_STRETCH = re.compile(r"(.)\1{2,}")


def normalise(text: str) -> list[str]:
    """The words of a text as the filter compares them: no case, accents or look-alike characters."""
    visible = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # zero-width, soft hyphen, ...
    decomposed = unicodedata.normalize("NFKD", visible.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(LOOK_ALIKES)
    words = _WORDS.findall(plain)
    letters = [w for w in words if len(w) == 1]
    if len(letters) >= 3 and len(letters) == len(words):  # "f u c k" spelled out
        words.append("".join(letters))
    return [_STRETCH.sub(r"\1", w) for w in words] + [w for w in words if _STRETCH.search(w)]


class WordFilter:
    """Refuses names that contain a blocked word (whole words, or word starts for entries ending in '*')."""

    def __init__(self, entries: list[str]):
        self.words: set[str] = set()
        self.prefixes: list[str] = []
        self.phrases: list[list[str]] = []
        for raw in entries:
            entry = raw.split("#", 1)[0].strip().casefold()
            if not entry:
                continue
            if entry.endswith("*"):
                self.prefixes.append(_STRETCH.sub(r"\1", entry[:-1]))
            elif " " in entry:
                self.phrases.append(entry.split())
            else:
                self.words.add(_STRETCH.sub(r"\1", entry))

    @classmethod
    def from_file(cls, path: str | os.PathLike | None = None) -> WordFilter:
        """Load a list: the given file, AANDACHT_BLOCKED_WORDS, or ours."""
        path = path or os.environ.get("AANDACHT_BLOCKED_WORDS") or DEFAULT_LIST
        return cls(Path(path).read_text(encoding="utf-8").splitlines())

    def allows(self, text: str) -> bool:
        """Whether a name may be shown to the room."""
        words = normalise(text)
        for word in words:
            if word in self.words or any(word.startswith(p) for p in self.prefixes):
                return False
        joined = " ".join(words)
        return not any(" ".join(phrase) in joined for phrase in self.phrases)
