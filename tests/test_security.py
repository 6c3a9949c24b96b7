"""Roles and bad input at the edge: headers, cookies, the socket origin, room-code guessing, the word filter."""

from __future__ import annotations

import pytest

from game.web.realtime import socketio
from game.web.security import GuessLimiter
from game.wordfilter import WordFilter

from .conftest import create_live_workshop, create_workshop


def test_pages_send_strict_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the secret link never leaks as a Referer
    key = create_workshop(client)
    console = client.get(f"/f/{key}")
    assert console.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client):
    response = client.get("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_word_filter_dutch_and_english():
    words = WordFilter.from_file()
    for bad in ("Klootzak", "kl00tzak", "F u c k", "fuuuck", "KANKERTEAM", "zak hooi", "Shitshow"):
        assert not words.allows(bad), bad
    for good in ("Anna", "Team Hoera", "Scunthorpe", "Dickens", "Élodie", "Lullig", "De Koffiekamer"):
        assert words.allows(good), good


def test_word_filter_list_is_configurable(tmp_path):
    listing = tmp_path / "words.txt"
    listing.write_text("# ours\nbanaan\nappel*\n")
    words = WordFilter.from_file(listing)
    assert not words.allows("Team Banaan") and not words.allows("appeltaart")
    assert words.allows("Fuck")  # the default list is replaced, not added to


def test_names_pass_the_filter_on_every_way_in(app, client):
    key = create_workshop(client)
    facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    code = facilitator.get_received()[0]["args"][0]["workshop"]["code"]
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    refused = phone.emit("join_workshop", {"name": "Klootzak"}, callback=True)
    assert refused["error"]["code"] == "name_refused"
    assert phone.emit("join_workshop", {"name": "Anna"}, callback=True)["ok"]
    assert phone.emit("create_team", {"name": "F u c k"}, callback=True)["error"]["code"] == "name_refused"
    assert facilitator.emit("add_team", {"name": "tyfus"}, callback=True)["error"]["code"] == "name_refused"
    team = phone.emit("create_team", {"name": "Koffie"}, callback=True)["team_id"]
    assert facilitator.emit("rename_team", {"team_id": team, "name": "Kanker"}, callback=True)["error"]["code"] == "name_refused"
    with client.session_transaction() as sess:
        sess["csrf"] = "t"
    page = client.post("/workshops", data={"csrf_token": "t", "title": "x", "teams": "Rood\nhoer"})
    assert page.status_code == 400 and "not allowed" in page.get_data(as_text=True)


def test_guess_limiter_counts_misses_in_a_window():
    now = [0.0]
    limiter = GuessLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert not limiter.blocked("1.2.3.4")
        limiter.miss("1.2.3.4")
    assert limiter.blocked("1.2.3.4") and not limiter.blocked("5.6.7.8")
    now[0] = 61.0
    assert not limiter.blocked("1.2.3.4")


@pytest.fixture
def strict_app(tmp_path, clock):
    from game.web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "ASYNC_MODE": "threading", "SECRET_KEY": "x", "CLOCK": clock, "CODE_GUESS_LIMIT": 3})
    yield app
    app.extensions["aandacht"].store.engine.dispose()


def test_room_code_guessing_is_limited(strict_app):
    client = strict_app.test_client()
    key = create_workshop(client)
    facilitator = socketio.test_client(strict_app, auth={"role": "facilitator", "key": key})
    code = facilitator.get_received()[0]["args"][0]["workshop"]["code"]
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert not socketio.test_client(strict_app, auth={"role": "player", "code": guess}).is_connected()
    # now even the right code is refused for a while
    assert not socketio.test_client(strict_app, auth={"role": "player", "code": code}).is_connected()
    assert facilitator.is_connected()  # the facilitator's secret link is not affected
    # the phone page counts misses too (the test client's HTTP requests come from another address)
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert client.get(f"/j/{guess}").status_code == 404
    assert client.get(f"/j/{code}").status_code == 429


def test_socket_accepts_only_the_apps_own_origin(live_server):
    import requests
    import socketio as sio

    from .conftest import release

    key = create_live_workshop(live_server.url, title="Origin test")
    auth = {"role": "facilitator", "key": key}

    def client(origin: str, transport: str):
        """A client that sends exactly one Origin header on this transport."""
        if transport == "websocket":  # websocket-client sets its own Origin unless told which one
            return sio.Client(reconnection=False, websocket_extra_options={"origin": origin}), {}
        return sio.Client(reconnection=False, http_session=requests.Session()), {"headers": {"Origin": origin}}

    for transport in ("polling", "websocket"):
        good, extra = client(live_server.url, transport)
        try:
            good.connect(live_server.url, auth=auth, wait_timeout=30, transports=[transport], **extra)
            assert good.connected
        finally:
            release(good)
        evil, extra = client("http://evil.example", transport)
        try:
            with pytest.raises(sio.exceptions.ConnectionError):
                evil.connect(live_server.url, auth=auth, wait_timeout=30, transports=[transport], **extra)
        finally:
            release(evil)


def test_facilitator_deletes_a_workshop_at_once(app, client):
    key = create_workshop(client)
    svc = app.extensions["aandacht"]
    wid = svc.store.workshop_id_by_key("facilitator", key)
    facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    code = facilitator.get_received()[0]["args"][0]["workshop"]["code"]
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    assert phone.emit("join_workshop", {"name": "Anna"}, callback=True)["ok"]
    phone.get_received()
    assert client.post(f"/f/{key}/delete", data={"csrf_token": "wrong"}).status_code == 400
    assert svc.store.load(wid) is not None
    with client.session_transaction() as sess:
        sess["csrf"] = "t"
    response = client.post(f"/f/{key}/delete", data={"csrf_token": "t"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/?deleted=1")
    assert svc.store.load(wid) is None and svc.state(wid) is None
    assert not phone.is_connected() and not facilitator.is_connected()
    assert any(m["name"] == "workshop_deleted" for m in phone.queue)  # what it got before the server closed it
    assert client.get(f"/f/{key}").status_code == 404
    assert not socketio.test_client(app, auth={"role": "player", "code": code}).is_connected()


def test_workshops_are_deleted_after_the_retention_period(app, client, clock):
    svc = app.extensions["aandacht"]
    old = svc.store.workshop_id_by_key("facilitator", create_workshop(client))
    clock.advance(20 * 86400)
    recent_key = create_workshop(client)
    recent = svc.store.workshop_id_by_key("facilitator", recent_key)
    facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": recent_key})
    clock.advance(11 * 86400)
    assert facilitator.emit("add_team", {"name": "Still busy"}, callback=True)["ok"]  # a change keeps it alive
    assert svc.purge_expired(30 * 86400) == [old]
    assert svc.store.load(old) is None and svc.store.load(recent) is not None


def test_console_shows_who_is_connected(app, client):
    key = create_workshop(client)
    facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    first = facilitator.get_received()
    assert {"name": "presence", "args": [{"online": []}], "namespace": "/"} in first
    code = first[0]["args"][0]["workshop"]["code"]
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    joined = phone.emit("join_workshop", {"name": "Anna"}, callback=True)
    player = joined["player"]["id"]

    def presence():
        return [m["args"][0]["online"] for m in facilitator.get_received() if m["name"] == "presence"]

    assert presence() == [[player]]
    phone.disconnect()
    assert presence() == [[]]
    again = socketio.test_client(app, auth={"role": "player", "code": code, "token": joined["token"]})
    assert presence() == [[player]]
    second_tab = socketio.test_client(app, auth={"role": "player", "code": code, "token": joined["token"]})
    second_tab.disconnect()
    assert presence() == []  # still connected on the other socket: nothing changed
    again.disconnect()
    assert presence() == [[]]
