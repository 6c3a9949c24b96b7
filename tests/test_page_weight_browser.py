"""The phone page is light: measured in the real browser (Debian's Chromium through Playwright) against the real
server (eventlet, SQLite) in a subprocess.

* The first load of the phone page, from the join link (or /play and a typed code) to a joined, connected player
  in a team, transfers at most 60 KB on the wire (and coming back, no script or style sheet again): every HTML, CSS,
  JavaScript (the Socket.IO client included), image and font response, headers included, as Chromium counts it
  (``Network.loadingFinished``'s ``encodedDataLength``). Socket.IO's own traffic (the handshake and the game's
  state) is measured and printed, but it is data, not page weight, and is not part of the budget.
* On DevTools' "Slow 3G" profile a phone joins, picks a response and locks it in. Every wait is generous: this is
  a check that it works, never of how fast.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from .conftest import ARTIFACTS, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
BUDGET = 60_000  # bytes on the wire for the first load of the phone page
TIMEOUT = 30_000  # waiting for the page to show something, not a speed check
SLOW_TIMEOUT = 180_000  # the same on Slow 3G: a minute of latency alone is possible, still not a speed check

# Chrome DevTools' "Slow 3G" preset (named "3G" since 2024), as devtools-frontend's NetworkManager.ts defines it:
# 500 kbit/s x 0.8 each way and 400 ms x 5 of latency per request (the factors adjust request-level emulation to
# what a packet-level 3G link does).
SLOW_3G = {
    "offline": False,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,  # 50,000 bytes/s = 400 kbit/s
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
    "latency": 400 * 5,  # ms
}


def watch(page, errors: list[str], name: str, timeout: int = TIMEOUT):
    """Collect JavaScript errors and set the page's waits."""
    page.on("pageerror", lambda e: errors.append(f"[{name}] {e}"))
    page.set_default_timeout(timeout)
    page.set_default_navigation_timeout(timeout)
    return page


def open_workshop(browser, base: str, errors: list[str], language: str):
    """The facilitator creates a workshop in ``language``; return the console page and the room code."""
    console_context = signed_in_context(browser, base, viewport={"width": 1280, "height": 900})
    console = watch(console_context.new_page(), errors, "console")
    console.goto(base + "/")
    console.fill("#title", "Light phones")
    console.select_option("#language", language)
    console.fill("#timer_seconds", "0")  # no countdown: the slow phone has all the time it needs
    console.click("#create-btn")
    console.wait_for_url(re.compile(r"/f/"))
    console.wait_for_selector("body[data-phase='lobby']", state="attached")
    return console, console.inner_text("#room-code").strip()


class Wire:
    """Every response of a page as Chromium's network layer counts it (CDP Network domain)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.requests: dict[str, dict] = {}
        self.frames = 0  # Socket.IO over the websocket: payload bytes, both ways
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._failed)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.cdp.on("Network.webSocketFrameSent", self._frame)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _sent(self, event):
        self.requests.setdefault(event["requestId"], {})["url"] = event["request"]["url"]

    def _received(self, event):
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        self.requests.setdefault(event["requestId"], {}).update(
            mime=event["response"]["mimeType"],
            status=event["response"]["status"],
            encoding=headers.get("content-encoding"),
        )

    def _finished(self, event):
        self.requests.setdefault(event["requestId"], {})["bytes"] = event["encodedDataLength"]

    def _failed(self, event):
        self.requests.setdefault(event["requestId"], {})["bytes"] = 0

    def _frame(self, event):
        self.frames += len(event["response"].get("payloadData", ""))

    def settle(self, page, timeout: float = 30) -> None:
        """Wait until every request so far has finished (the favicon comes late)."""
        deadline = time.monotonic() + timeout
        while any("bytes" not in r and "/socket.io/" not in r.get("url", "") for r in self.requests.values()):
            assert time.monotonic() < deadline, "requests still loading: " + str(self.requests)
            page.wait_for_timeout(100)

    def breakdown(self) -> tuple[Counter, list[str]]:
        """Bytes on the wire by kind, and one line per response."""
        kinds: Counter = Counter()
        lines = []
        for r in self.requests.values():
            if "bytes" not in r:
                continue
            url, mime = r.get("url", ""), r.get("mime", "")
            if "/socket.io/" in url:
                kind = "socket.io"
            elif "javascript" in mime:
                kind = "js"
            elif "css" in mime:
                kind = "css"
            elif "html" in mime:
                kind = "html"
            elif "font" in mime or re.search(r"\.(woff2?|ttf|otf)(\?|$)", url):
                kind = "font"
            else:
                kind = "other"
            kinds[kind] += r["bytes"]
            lines.append(f"{r['bytes']:>7} B  {kind:<9} {r.get('status')} {r.get('encoding') or '-':<5} {url}")
        return kinds, lines


@pytest.mark.parametrize("entry", ["join link", "typed code"])
def test_phone_first_load_is_at_most_60_kb(live_server, browser, entry):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    console, code = open_workshop(browser, base, errors, "nl")  # the default language: the phone loads its texts

    context = browser.new_context(**PHONE)  # a fresh context: an empty cache, a first visit
    phone = watch(context.new_page(), errors, "phone")
    wire = Wire(context, phone)
    if entry == "join link":
        phone.goto(f"{base}/j/{code}")  # what the QR code opens
    else:
        phone.goto(f"{base}/play")
        phone.fill("#code-input", code.lower())
        phone.click("#code-btn")
    phone.fill("#name-input", "Anna")
    phone.click("#join-btn")
    phone.fill("#new-team-name", "Front desk")
    phone.click("#create-team-btn")
    phone.wait_for_selector("#team-lobby")
    phone.wait_for_selector("body[data-connection='online'][data-phase='lobby']", state="attached")
    wire.settle(phone)

    kinds, lines = wire.breakdown()
    page_weight = sum(n for kind, n in kinds.items() if kind != "socket.io")
    report = [f"phone page, first load by {entry}: {page_weight:,} bytes on the wire (budget {BUDGET:,})"]
    report += [f"  {kind:<6} {kinds[kind]:>7,} B" for kind in ("html", "css", "js", "font", "other")]
    report.append(f"  (socket.io: {kinds['socket.io']:,} B of HTTP long-polling, {wire.frames:,} B over the websocket)")
    report += ["  " + line for line in lines]
    print("\n" + "\n".join(report))  # shown with -s; kept in test-artifacts/ too
    name = f"page-weight-phone-{entry.replace(' ', '-')}"
    (ARTIFACTS / f"{name}.txt").write_text("\n".join(report) + "\n")
    phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    text = [r for r in wire.requests.values() if r.get("mime") in ("text/html", "text/css", "text/javascript")]
    assert text and all(r.get("encoding") == "gzip" for r in text), lines  # every text response compressed
    assert kinds["js"] > 10_000 and kinds["css"] > 1_000, lines  # the measurement saw the real files
    assert page_weight <= BUDGET, "\n".join(lines)

    # coming back (the QR code scanned again, the tab reopened): scripts and styles come from the cache
    wire.requests.clear()
    phone.goto(f"{base}/j/{code}")
    phone.wait_for_selector("#team-lobby")
    phone.wait_for_selector("body[data-connection='online'][data-phase='lobby']", state="attached")
    wire.settle(phone)
    again, lines = wire.breakdown()
    print(f"  coming back: {sum(n for kind, n in again.items() if kind != 'socket.io'):,} bytes (the page itself)")
    assert again["js"] == again["css"] == 0, lines
    assert errors == []
    context.close()
    console.context.close()


def test_phone_plays_on_slow_3g(live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    base, errors = live_server.url, []
    console, code = open_workshop(browser, base, errors, "en")

    context = browser.new_context(**PHONE)
    phone = watch(context.new_page(), errors, "phone", SLOW_TIMEOUT)
    cdp = context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)

    phone.goto(f"{base}/j/{code}")
    phone.fill("#name-input", "Anna")
    phone.click("#join-btn")
    phone.fill("#new-team-name", "Slow lane")
    phone.click("#create-team-btn")
    phone.wait_for_selector("#team-lobby")
    console.wait_for_selector("text=Slow lane")

    console.click("#deal-btn")
    phone.wait_for_selector("body[data-phase='collecting']", state="attached")
    first = phone.locator(".response-btn").first
    response_id = first.get_attribute("data-response-id")
    first.click()
    phone.wait_for_selector(f".response-btn[data-response-id='{response_id}'][aria-pressed='true']")
    phone.wait_for_selector("#lock-btn:not([disabled])")
    phone.click("#lock-btn")
    phone.wait_for_selector("#locked-in")
    console.wait_for_selector("body[data-phase='locked']", state="attached", timeout=SLOW_TIMEOUT)  # one team: done
    phone.screenshot(path=str(ARTIFACTS / "page-weight-phone-slow-3g.png"), full_page=True)
    assert errors == []
    context.close()
    console.context.close()
