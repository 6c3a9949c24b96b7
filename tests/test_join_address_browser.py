"""The join address in the real browser, on a machine whose network the test makes: the real server and Debian's
Chromium both run inside a network namespace of the test's own (root; CI runs as root), so the machine's addresses
are exactly the ones given here, whatever this computer's own are. The browser only talks to 127.0.0.1 in the
namespace; no traffic goes to the join addresses, nor leaves the namespace.

The console of a laptop off every network warns, in the facilitator's language, that phones cannot open its
loopback join link; once the laptop has addresses the console offers them, and the address the facilitator picks
becomes the link and QR code on the console and, live, on the big screen.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    REPO,
    add_live_user,
)
from .test_a11y_browser import LAPTOP, Audit
from .test_browser import watch
from .test_net import _ip, namespace  # noqa: F401 - the namespace fixture

pytestmark = [pytest.mark.browser, pytest.mark.server]

PORT = 5000


def _python_in(name: str, code: str) -> str:
    """Run a few lines of Python inside the namespace; return what they print."""
    return subprocess.run(["ip", "netns", "exec", name, sys.executable, "-c", code], cwd=REPO, check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout


class NamespacedServer:
    """``python -m game serve`` inside the namespace, on its port 5000, without AANDACHT_PUBLIC_URL."""

    def __init__(self, name: str, directory):
        self.log_path = directory / "server.log"
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{directory / 'ns.sqlite3'}",
               "AANDACHT_ASYNC_MODE": "eventlet", "AANDACHT_PUBLIC_URL": "", "SECRET_KEY": "netns-browser"}
        add_live_user(env)  # the facilitator create_live_workshop signs in as (the command line, outside the namespace)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", name, sys.executable, "-m", "game", "serve", "--port", str(PORT)],
                cwd=REPO, env=env, stdout=log, stderr=log)
        # a start-up wait inside the namespace (60 s: not a speed check)
        _python_in(name, (
            "import time, urllib.request\n"
            "deadline = time.monotonic() + 60\n"
            "while True:\n"
            "    try:\n"
            f"        urllib.request.urlopen('http://127.0.0.1:{PORT}/healthz', timeout=2); break\n"
            "    except OSError:\n"
            "        if time.monotonic() > deadline: raise\n"
            "        time.sleep(0.1)\n"
        ))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)


def _create_workshop(name: str) -> str:
    """Create a workshop through the server's own form, from inside the namespace (conftest.create_live_workshop);
    return the facilitator key."""
    helper = f"from tests.conftest import create_live_workshop as c; print(c('http://127.0.0.1:{PORT}'))"
    return _python_in(name, helper).strip()


def reload_after_network_change(page, errors: list[str], since: int, tries: int = 10) -> None:
    """Reload a page right after the machine's network changed, as a person would reload again: Chromium aborts a
    navigation that it sees the network change under (``net::ERR_NETWORK_CHANGED``), once or twice while interfaces
    come up, and logs each load it aborted so as a console error. Those, logged since ``since`` (the length of
    ``errors`` when the network began to change), are Chromium's and are dropped; any other error stays."""
    from playwright.sync_api import Error

    for attempt in range(tries):
        try:
            page.reload()
            break
        except Error as error:
            if "ERR_NETWORK_CHANGED" not in str(error) or attempt == tries - 1:
                raise
            page.wait_for_timeout(500)
    errors[since:] = [e for e in errors[since:] if "net::ERR_NETWORK_CHANGED" not in e]


def test_the_console_warns_then_the_chosen_address_reaches_console_and_screen(namespace, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    _ip("-n", namespace, "link", "add", "wlan0", "type", "veth", "peer", "name", "wlan1")  # no address yet
    server = NamespacedServer(namespace, tmp_path)
    wrapper = tmp_path / "chromium-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    base, errors = f"http://127.0.0.1:{PORT}", []
    try:
        key = _create_workshop(namespace)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(**LAPTOP)
                console = watch(context.new_page(), errors, "console")
                # a new device opens the console link signed in (from inside the namespace, as the browser runs)
                console.goto(f"{base}/signin?next=/f/{key}")
                console.fill("#email", FACILITATOR_EMAIL)
                console.fill("#password", FACILITATOR_PASSWORD)
                console.click("#signin-btn")
                console.wait_for_url(f"{base}/f/{key}")
                # off every network: the link is loopback, and the console says so loudly
                warning = console.locator("#join-warning")
                assert warning.is_visible() and warning.get_attribute("role") == "alert"
                assert "Phones cannot open this join link." in warning.inner_text()
                assert console.locator("#join-url").inner_text().startswith(f"{base}/j/")
                assert console.locator("#join-address-select option").all_inner_texts() == [f"Automatic ({base})"]
                audit = Audit()
                audit(console, "console with a loopback join link")
                console.goto(f"{base}/f/{key}?lang=nl")
                dutch = console.locator("#join-warning").inner_text()
                assert "Telefoons kunnen deze deelnamelink niet openen." in dutch
                console.goto(f"{base}/f/{key}?lang=en")

                # the laptop joins the room's Wi-Fi (and a wired network the phones are not on)
                changed = len(errors)
                _ip("-n", namespace, "addr", "add", "10.77.0.5/24", "dev", "wlan1")
                _ip("-n", namespace, "addr", "add", "192.168.77.5/24", "dev", "wlan0")
                _ip("-n", namespace, "link", "set", "wlan0", "up")
                _ip("-n", namespace, "link", "set", "wlan1", "up")
                reload_after_network_change(console, errors, changed)
                code = console.locator("#room-code").inner_text()
                assert console.locator("#join-warning").is_hidden()
                values = console.locator("#join-address-select option").evaluate_all("os => os.map(o => o.value)")
                assert sorted(values) == ["", "http://10.77.0.5:5000", "http://192.168.77.5:5000"]
                automatic = console.locator("#join-url").inner_text()
                assert automatic in (f"http://10.77.0.5:5000/j/{code}", f"http://192.168.77.5:5000/j/{code}")
                chosen = next(v for v in values[1:] if not automatic.startswith(v))

                screen = watch(context.new_page(), errors, "screen")
                screen.goto(base + console.locator("#open-screen").get_attribute("href"))
                screen.wait_for_selector("body[data-phase='lobby']", state="attached")
                assert screen.locator("#join-url").inner_text() == automatic.removeprefix("http://")
                old_qr = screen.locator("#qr").get_attribute("src")

                console.select_option("#join-address-select", chosen)
                console.click("#join-address-use")
                link = f"{chosen}/j/{code}"
                console.wait_for_function("(l) => document.getElementById('join-url').textContent === l", arg=link)
                assert console.locator("#join-url").get_attribute("href") == link
                new_qr = console.locator("#console-qr").get_attribute("src")
                assert new_qr != old_qr and console.locator("#lobby-qr").get_attribute("src") == new_qr
                assert console.locator("#lobby-qr").get_attribute("alt").endswith(": " + link)
                assert console.locator(".how-steps strong").first.inner_text() == link
                assert console.locator("[data-testid=alert]").last.inner_text().startswith(f"Phones now join at {link}")
                # the big screen follows without a reload
                screen.wait_for_function("(l) => document.getElementById('join-url').textContent === l",
                                         arg=link.removeprefix("http://"))
                assert screen.locator("#qr").get_attribute("src") == new_qr
                assert screen.locator("#qr").get_attribute("alt").endswith(": " + link)
                assert "<svg" in screen.evaluate("(src) => fetch(src).then((r) => r.text())", new_qr)
                # and the choice is kept: a reloaded console shows it chosen
                console.reload()
                assert console.locator("#join-url").inner_text() == link
                assert console.locator("#join-address-select").input_value() == chosen
                audit(console, "console with a chosen join address")
                audit.assert_clean("join-address")
            finally:
                browser.close()
    finally:
        server.stop()
    assert not errors, errors
