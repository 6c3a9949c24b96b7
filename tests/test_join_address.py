"""The join address on the console and the big screen: the loopback warning, the facilitator's choice of address
(kept with the workshop, followed live by every console and screen), and who may choose it.

The machine's interfaces are faked (psutil's answer); the app, its database and its sockets are real.
"""

from __future__ import annotations

import io
import re

import pytest
import segno

from game.service import screen_key_from
from game.web.realtime import socketio

from .conftest import create_workshop, signed_in_client
from .test_cluster import database, redis_channel  # noqa: F401 - fixtures of the cluster test
from .test_net import fake_interfaces
from .test_sockets import ack, last_state, ok

LAN = "http://192.168.1.20"


def make_app(tmp_path, clock, public_url=None):
    """The app with no AANDACHT_PUBLIC_URL (unless given), on a SQLite file that outlives it."""
    from game.web import create_app

    return create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'join.sqlite3'}",
        "ASYNC_MODE": "threading",
        "SECRET_KEY": "test-secret",
        "CLOCK": clock,
        "PUBLIC_URL": public_url,
    })


@pytest.fixture
def lan(monkeypatch):
    """This machine is on the room's Wi-Fi (and has a Docker bridge)."""
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "wlp2s0": (["192.168.1.20"], True),
                                  "docker0": (["172.17.0.1"], True)})


@pytest.fixture
def offline(monkeypatch):
    """This machine has only its loopback interface (its host name maps to 127.0.1.1)."""
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True)})


@pytest.fixture
def bare_app(tmp_path, clock):
    app = make_app(tmp_path, clock)
    yield app
    app.extensions["aandacht"].store.engine.dispose()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def join_link(html: str) -> str:
    return re.search(r'id="join-url"[^>]*>([^<]+)<', html).group(1).strip()


def qr_src(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}" src="([^"]+)"', html).group(1).replace("&amp;", "&")


def warning_shown(html: str) -> bool:
    tag = re.search(r'<p [^>]*id="join-warning"[^>]*>', html).group(0)
    return " hidden" not in tag and 'role="alert"' in tag


def qr_svg(url: str) -> str:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=10, border=2, dark="#1d1b19")
    return buf.getvalue().decode()


def join_events(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received() if m["name"] == "join_link"]


def test_the_console_warns_loudly_when_the_join_link_is_loopback(bare_app, offline):
    client = bare_app.test_client()  # opened on http://localhost/, as a facilitator on the laptop does
    key = create_workshop(client)
    html = page(client, f"/f/{key}")
    assert join_link(html).startswith("http://localhost/j/")
    assert warning_shown(html)
    assert "Phones cannot open this join link." in html
    assert "this computer has no network address phones could use" in html
    # in Dutch too
    dutch = page(client, f"/f/{key}?lang=nl")
    assert warning_shown(dutch) and "Telefoons kunnen deze deelnamelink niet openen." in dutch


def test_no_warning_on_a_lan_address_and_the_chooser_lists_every_candidate(bare_app, lan):
    client = bare_app.test_client()
    key = create_workshop(client)
    html = page(client, f"/f/{key}")
    code = re.search(r'data-code="([A-Z0-9]+)"', html).group(1)
    assert join_link(html) == f"{LAN}/j/{code}"  # automatic: the best LAN address instead of localhost
    assert not warning_shown(html)
    options = re.findall(r'<option value="([^"]*)"', html)
    assert options == ["", LAN, "http://172.17.0.1"]
    assert "(wlp2s0)" in html and "(docker0) — a virtual bridge" in html


def test_choosing_an_address_changes_console_screen_and_qr_live_and_is_kept(bare_app, monkeypatch, clock, tmp_path):
    # automatic follows the machine's best address, which moves when a wired network the phones are not on comes
    # up; the facilitator pins the Wi-Fi address the room is on
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "docker0": (["172.17.0.1"], True),
                                  "wlp2s0": (["192.168.1.20"], True)})
    client = bare_app.test_client()
    key = create_workshop(client)
    facilitator = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    other_console = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    screen = socketio.test_client(bare_app, auth={"role": "screen", "key": screen_key_from(key)})
    code = last_state(facilitator)["workshop"]["code"]
    phone = socketio.test_client(bare_app, auth={"role": "player", "code": code, "token": None})
    for c in (other_console, screen, phone):
        c.get_received()
    assert join_link(page(client, f"/s/{screen_key_from(key)}")) == f"{LAN}/j/{code}"
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "docker0": (["172.17.0.1"], True),
                                  "eth0": (["10.0.0.8"], True), "wlp2s0": (["192.168.1.20"], True)})
    before = page(client, f"/s/{screen_key_from(key)}")
    assert join_link(before) == f"http://10.0.0.8/j/{code}"  # automatic follows the machine's best address

    answer = ok(facilitator, "set_join_address", {"url": LAN})
    assert answer["join_url"] == f"{LAN}/j/{code}" and answer["chosen"] == LAN and answer["join_loopback"] is False
    for c in (other_console, screen):  # live, without a reload
        assert join_events(c) == [{"join_url": f"{LAN}/j/{code}", "qr_url": answer["qr_url"], "join_loopback": False,
                                   "chosen": LAN}]
    assert join_events(phone) == []  # phones are not told
    console = page(client, f"/f/{key}")
    screen_page = page(client, f"/s/{screen_key_from(key)}")
    assert join_link(console) == join_link(screen_page) == f"{LAN}/j/{code}"
    assert f'<option value="{LAN}" selected>' in console
    assert qr_src(screen_page, "qr") == qr_src(console, "console-qr") == answer["qr_url"]
    assert qr_src(screen_page, "qr") != qr_src(before, "qr")  # a new QR address: no browser shows a cached old one
    assert client.get(answer["qr_url"]).get_data(as_text=True) == qr_svg(f"{LAN}/j/{code}")

    # kept with the workshop: a restarted server (or another process) shows the same
    for c in (facilitator, other_console, screen, phone):
        c.disconnect()
    restarted = make_app(tmp_path, clock)
    try:
        again = signed_in_client(restarted)  # a console link on a new browser: signed in with rights
        assert join_link(page(again, f"/f/{key}")) == f"{LAN}/j/{code}"
        assert again.get(f"/qr/{code}.svg").get_data(as_text=True) == qr_svg(f"{LAN}/j/{code}")
    finally:
        restarted.extensions["aandacht"].store.engine.dispose()

    # back to automatic
    facilitator = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    assert ok(facilitator, "set_join_address", {"url": None})["join_url"] == f"http://10.0.0.8/j/{code}"
    facilitator.disconnect()


def test_a_console_or_screen_that_connects_gets_the_join_link_in_use(bare_app, lan):
    # a big screen whose Wi-Fi dropped while the facilitator changed the address shows the new QR code on its return
    client = bare_app.test_client()
    key = create_workshop(client)
    facilitator = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    received = {m["name"]: m["args"][0] for m in facilitator.get_received()}  # on connect: the console's state
    code = received["game_state"]["workshop"]["code"]
    assert received["join_link"]["chosen"] is None and received["join_link"]["join_url"] == f"{LAN}/j/{code}"
    ok(facilitator, "set_join_address", {"url": LAN})
    screen = socketio.test_client(bare_app, auth={"role": "screen", "key": screen_key_from(key)})
    second_console = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    phone = socketio.test_client(bare_app, auth={"role": "player", "code": code, "token": None})
    for page_ in (screen, second_console):
        [link] = join_events(page_)
        assert link["join_url"] == f"{LAN}/j/{code}" and link["chosen"] == LAN and link["join_loopback"] is False
    assert join_events(phone) == []
    for c in (facilitator, screen, second_console, phone):
        c.disconnect()


def test_only_an_offered_address_and_only_by_the_facilitator(bare_app, lan):
    client = bare_app.test_client()
    key = create_workshop(client)
    facilitator = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    screen = socketio.test_client(bare_app, auth={"role": "screen", "key": screen_key_from(key)})
    code = last_state(facilitator)["workshop"]["code"]
    phone = socketio.test_client(bare_app, auth={"role": "player", "code": code, "token": None})
    ok(phone, "join_workshop", {"name": "Ann"})
    store = bare_app.extensions["aandacht"].store
    wid = store.workshop_id_by_code(code)

    for client_, payload, error in [
        (phone, {"url": LAN}, "forbidden"),  # a participant can never change where the room joins
        (screen, {"url": LAN}, "forbidden"),
        (facilitator, {"url": "http://evil.example"}, "bad_address"),
        (facilitator, {"url": "http://192.168.1.20:6666"}, "bad_address"),
        (facilitator, {"url": "javascript:alert(1)"}, "bad_address"),
        (facilitator, {"url": 5}, "invalid"),
        (facilitator, {}, "invalid"),
        (facilitator, {"url": "x" * 500}, "too_long"),
    ]:
        answer = ack(client_, "set_join_address", payload)
        assert answer["ok"] is False and answer["error"]["code"] == error, (payload, answer)
    assert store.join_base(wid) is None
    assert join_link(page(client, f"/f/{key}")) == f"{LAN}/j/{code}"
    for c in (facilitator, screen, phone):
        c.disconnect()


def test_the_public_url_wins_and_the_console_says_so(tmp_path, clock, lan):
    app = make_app(tmp_path, clock, public_url="http://aandacht.example:8080")
    try:
        client = app.test_client()
        key = create_workshop(client)
        html = page(client, f"/f/{key}")
        code = re.search(r'data-code="([A-Z0-9]+)"', html).group(1)
        assert join_link(html) == f"http://aandacht.example:8080/j/{code}"
        assert 'id="join-fixed"' in html and "AANDACHT_PUBLIC_URL" in html
        assert 'id="join-address-select"' not in html and not warning_shown(html)
        facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": key})
        assert ack(facilitator, "set_join_address", {"url": LAN})["error"]["code"] == "bad_address"
        facilitator.disconnect()
    finally:
        app.extensions["aandacht"].store.engine.dispose()


def test_a_loopback_public_url_is_warned_about_too(tmp_path, clock, lan):
    app = make_app(tmp_path, clock, public_url="http://127.0.0.1:5000")
    try:
        client = app.test_client()
        html = page(client, f"/f/{create_workshop(client)}")
        assert warning_shown(html) and "Set AANDACHT_PUBLIC_URL to an address phones can reach" in html
    finally:
        app.extensions["aandacht"].store.engine.dispose()


def test_a_chosen_address_gone_from_the_machine_is_still_shown(bare_app, lan, monkeypatch):
    client = bare_app.test_client()
    key = create_workshop(client)
    facilitator = socketio.test_client(bare_app, auth={"role": "facilitator", "key": key})
    ok(facilitator, "set_join_address", {"url": LAN})
    facilitator.disconnect()
    fake_interfaces(monkeypatch, {"lo": (["127.0.0.1"], True), "wlp2s0": (["192.168.1.77"], True)})  # new lease
    html = page(client, f"/f/{key}")
    assert f'<option value="{LAN}" selected>' in html and "not found on this computer now" in html
    assert join_link(html).startswith(LAN)



@pytest.mark.server
def test_every_process_of_a_cluster_sends_its_screens_the_new_join_link(
    tmp_path, database, redis_url, redis_channel  # noqa: F811
):
    # two real server processes on one PostgreSQL and one Redis, without AANDACHT_PUBLIC_URL: the console on A
    # picks the address, the big screen on B follows live
    import threading

    from .conftest import LiveServer
    from .test_resilience import WAIT, Peer, create_workshop as create_live

    env = {"DATABASE_URL": database[0], "AANDACHT_MESSAGE_QUEUE": redis_url, "AANDACHT_CHANNEL": redis_channel,
           "AANDACHT_PUBLIC_URL": ""}
    servers, peers = [], []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(LiveServer(tmp_path / name, env))
        a, b = servers
        key = create_live(a.url, title="Two processes")
        console = Peer(a.url, {"role": "facilitator", "key": key}, "console on A")
        peers.append(console)
        code = console.state()["workshop"]["code"]
        screen = Peer(b.url, {"role": "screen", "key": screen_key_from(key)}, "screen on B")
        peers.append(screen)
        screen.state()
        links, told = [], threading.Event()
        screen.client.on("join_link", lambda link: (links.append(link), told.set()))
        answer = console.call("set_join_address", {"url": None})
        assert answer["ok"] and answer["join_url"].endswith(f"/j/{code}"), answer
        assert told.wait(WAIT), "the screen on B did not get the new join link"
        assert links == [{k: answer[k] for k in ("join_url", "qr_url", "join_loopback", "chosen")}]
    finally:
        for peer in peers:
            peer.close()
        for server in servers:
            server.stop()
