"""The web side of the secret links and of who is acting: the signed-in facilitator (a hook the accounts fill in),
the devices that opened a console or screen link (a signed cookie), and a browser's summary for the device list.

A device that opened a console or screen link keeps a long-lived signed cookie (``aandacht_links``) naming the
workshop, the role, the link generation and a random device id; the server keeps the device (its browser summary,
when it opened the link, when it was last seen) with the workshop, so the console can show which devices hold the
links. Renewing the links (``Service.revoke_links``) moves the generation on: the old keys and the devices that held
them are done with, and every device must open the new link again.
"""

from __future__ import annotations

import re

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..rights import Facilitator
from ..service import Service, new_id

COOKIE = "aandacht_links"
MAX_ENTRIES = 30  # links a device remembers (a cookie stays well under 4 KB); the oldest is dropped


def acting_facilitator() -> Facilitator | None:
    """The signed-in facilitator of this request, or None.

    ``FACILITATOR_LOOKUP`` in the app's config is a function of no arguments that returns them (the accounts point
    it at ``game.web.auth.current_facilitator``); without one nobody is signed in and only the secret links open a
    workshop, as before accounts."""
    lookup = current_app.config.get("FACILITATOR_LOOKUP")
    return lookup() if lookup is not None else None


def _serializer() -> URLSafeSerializer:
    """Signs the device cookie with the app's SECRET_KEY (every process of a cluster shares it)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="aandacht-links")


def _entries() -> list[list]:
    """The links this device opened: ``[workshop id, role, generation, device id]``, newest first."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 4 and isinstance(e[2], int)]


def device_of(workshop_id: str, role: str, generation: int) -> str:
    """This device's id for a workshop's link of ``role`` and ``generation``, or "" when it never opened it."""
    for wid, r, gen, device in _entries():
        if wid == workshop_id and r == role and gen == generation:
            return str(device)
    return ""


def remember_device(svc: Service, response, workshop_id: str, role: str, generation: int):
    """A console or screen link was opened on this device: record it with the workshop and in the device's cookie
    (HttpOnly, SameSite=Lax, Secure under AANDACHT_HTTPS, kept as long as a workshop's data). Return ``response``."""
    device = device_of(workshop_id, role, generation) or new_id()
    if not svc.store.record_link_device(device, workshop_id, role, generation, browser_summary(), svc.clock()):
        return response  # the link was replaced meanwhile: nothing to hold
    entries = [[workshop_id, role, generation, device]]
    entries += [e for e in _entries() if not (e[0] == workshop_id and e[1] == role)]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(entries[:MAX_ENTRIES]),
        max_age=int(current_app.config["RETENTION_DAYS"] * 86400),
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


# A hand-written summary rather than a user-agent library (ua-parser and the like carry a large, often-updated
# regex database): it names a device for the facilitator in the device list and decides nothing. Order matters:
# Edge and Opera say "Chrome" too, Chrome says "Safari" too.
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"))


def browser_summary(agent: str | None = None) -> str:
    """"Firefox on Linux", "Safari on iPhone", or the first words of an unknown User-Agent header."""
    agent = request.headers.get("User-Agent", "") if agent is None else agent
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return re.sub(r"\s+", " ", agent).strip()[:60] or "unknown browser"
