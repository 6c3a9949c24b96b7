"""Protections every page and socket shares: security headers, and a limit on guessing room codes."""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import Flask, current_app, request

from ..engine import GameError
from ..wordfilter import WordFilter


def content_security_policy(host: str) -> str:
    """A strict policy: only our own scripts, styles, images and socket; no inline code, no framing."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Never a document: a browser does not render these as a page (nosniff), so the document-only headers (the CSP,
# framing, the opener policy) would do nothing on them but add 0.4 KB to each of the phone's first requests.
SUBRESOURCE_TYPES = frozenset({"text/css", "text/javascript", "application/javascript"})


def add_security_headers(app: Flask) -> None:
    """Send the strict headers with every response (the document-only ones with every possible document)."""

    @app.after_request
    def _headers(response):
        """Security headers; secret links must not leak through the Referer header."""
        if response.mimetype not in SUBRESOURCE_TYPES:
            response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith(("/f/", "/s/")):
            response.headers["Cache-Control"] = "no-store"
        return response


class GuessLimiter:
    """Counts failed room-code look-ups per client address in a sliding window.

    Only failures count, so a whole room behind one venue NAT can join freely while
    a script trying codes is stopped after ``limit`` misses per ``window`` seconds.
    """

    def __init__(self, limit: int = 30, window: float = 60.0, clock=time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        """The misses of an address still inside the window."""
        misses = self._misses.setdefault(address, deque())
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        if not misses:
            self._misses.pop(address, None)
            misses = self._misses.setdefault(address, deque())
        return misses

    def blocked(self, address: str) -> bool:
        """Whether this address has missed too often lately."""
        with self._lock:
            return len(self._recent(address, self.clock())) >= self.limit

    def miss(self, address: str) -> None:
        """Record a failed look-up."""
        with self._lock:
            now = self.clock()
            self._recent(address, now).append(now)
            if len(self._misses) > 100_000:  # never let a flood of addresses grow memory without end
                self._misses.clear()


def client_address() -> str:
    """The address a request or socket came from (the proxy's, unless ProxyFix is configured)."""
    return request.remote_addr or "unknown"


class Guard:
    """The app's word filter and room-code limiter."""

    def __init__(self, words: WordFilter, limiter: GuessLimiter):
        self.words = words
        self.limiter = limiter

    def check_name(self, name, what: str = "name") -> None:
        """Refuse a display or team name with a blocked word (the rules check length and characters)."""
        if isinstance(name, str) and not self.words.allows(name):
            raise GameError("name_refused", f"Please choose another {what}: this one is not allowed here.")

    def check_text(self, text, what: str = "answer") -> None:
        """Refuse a text the whole room may see (an open card's own answer) with a blocked word."""
        if isinstance(text, str) and not self.words.allows(text):
            raise GameError("text_refused", f"Please rephrase your {what}: it contains a word that is not allowed here.")


def guard() -> Guard:
    """The current app's guard."""
    return current_app.extensions["aandacht.guard"]
