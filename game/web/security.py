"""Protections every page and socket shares: security headers, and a limit on guessing room codes."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from flask import Flask, current_app, request, session

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
    """Limits guessing room codes per client address: it limits misses, never a room its people join.

    Failed look-ups are counted per address in a sliding window; after ``limit`` misses per ``window``
    seconds the address is limited. A limited address may still look up:
    - a code it has shown it knows (``vouch``): one that was found from it before, the room of a console
      or big screen opened from it, or of a phone that came back from it with its valid token. A whole
      room behind one venue NAT keeps joining its own workshop while a prankster there guesses;
    - one other code every ``spare`` seconds, so the right code typed from a limited address still joins
      (unless a script there is using that allowance too). A miss there counts like any other.
    Everything else from a limited address is refused without being looked up: a script learns nothing
    from it, and finds codes at about ``limit`` per ``window`` plus one per ``spare`` seconds at most.
    Phones that come back with their valid token are never limited (the socket checks the token first).
    """

    def __init__(self, limit: int = 30, window: float = 60.0, clock=time.monotonic, spare: float = 10.0,
                 known_for: float = 12 * 3600.0):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.spare = spare
        self.known_for = known_for
        self._misses: dict[str, deque[float]] = {}
        self._known: dict[str, dict[str, float]] = {}  # address -> room code -> until when it counts as known
        self._spared: dict[str, float] = {}  # limited address -> when it may look up an unknown code again
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

    def allows(self, address: str, code: str) -> bool:
        """Whether this address may look up this room code now (see the class); a spare look-up is used up."""
        with self._lock:
            now = self.clock()
            if len(self._recent(address, now)) < self.limit:
                return True
            if self._known.get(address, {}).get(code, 0.0) > now:
                return True
            if self._spared.get(address, 0.0) <= now:
                self._spared[address] = now + self.spare
                if len(self._spared) > 100_000:
                    self._spared = {address: now + self.spare}
                return True
            return False

    def knows(self, address: str, code: str) -> bool:
        """Whether this address showed it knows this room code (``vouch``). A known code that is no longer found (its
        workshop was deleted) is no guess: its phones coming back are told so and never count as misses."""
        with self._lock:
            return self._known.get(address, {}).get(code, 0.0) > self.clock()

    def miss(self, address: str) -> None:
        """Record a failed look-up."""
        with self._lock:
            now = self.clock()
            self._recent(address, now).append(now)
            if len(self._misses) > 100_000:  # never let a flood of addresses grow memory without end
                self._misses.clear()

    def vouch(self, address: str, code: str) -> None:
        """This address showed it knows this room code (it was found from it, or a console, big screen or phone with
        its token came from it): it may look the code up even while limited, for ``known_for`` seconds."""
        with self._lock:
            now = self.clock()
            if len(self._known) > 100_000:  # never let a flood of addresses grow memory without end
                self._known.clear()
            known = self._known.setdefault(address, {})
            known[code] = now + self.known_for
            if len(known) > 32:  # a venue runs a few workshops a day: keep its newest rooms
                for old in sorted(known, key=known.get)[: len(known) - 32]:
                    del known[old]


def csrf_token() -> str:
    """The form token kept in the signed session cookie (signing in replaces it)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _csrf_ok() -> bool:
    """Whether the posted form carries this browser's token."""
    sent = request.form.get("csrf_token", "")
    return bool(session.get("csrf")) and hmac.compare_digest(sent.encode(), str(session["csrf"]).encode())


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
            raise GameError("text_refused",
                            f"Please rephrase your {what}: it contains a word that is not allowed here.")


def guard() -> Guard:
    """The current app's guard."""
    return current_app.extensions["aandacht.guard"]
