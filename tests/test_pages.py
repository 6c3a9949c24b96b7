"""HTTP pages: the create form and its validation, secret links, the phone page, QR and the Socket.IO client."""

from __future__ import annotations

from game.service import screen_key_from

from .conftest import create_workshop


def test_home_shows_the_create_form(client):
    page = client.get("/").get_data(as_text=True)
    assert "Aandacht" in page and 'name="csrf_token"' in page
    assert "Customer Experience Game" not in page


def test_create_needs_the_form_token(client):
    response = client.post("/workshops", data={"title": "x"})
    assert response.status_code == 400


def test_create_reports_every_error_and_keeps_nothing(client, app):
    with client.session_transaction() as sess:
        sess["csrf"] = "t"
    response = client.post(
        "/workshops",
        data={"csrf_token": "t", "title": "", "deck_id": "nope", "language": "fr", "timer_seconds": "abc",
              "team_size": "0", "teams": "A\na"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Give the workshop a title", "Choose a deck", "Choose Dutch or English",
                    "The timer must be a whole number", "The team size must be from 1 to 50",
                    "Two preset teams have the same name"):
        assert message in page


def test_create_then_open_console_screen_and_phone(client, app):
    key = create_workshop(client, teams="Red\nBlue", language="nl")
    console = client.get(f"/f/{key}")
    assert console.status_code == 200
    html = console.get_data(as_text=True)
    svc = app.extensions["aandacht"]
    state = svc.state(svc.store.workshop_id_by_key("facilitator", key))
    assert state.workshop.code in html and f"/s/{screen_key_from(key)}" in html
    assert [t.name for t in state.teams_in_order()] == ["Red", "Blue"]
    assert len(state.workshop.cards) == 2 and state.workshop.settings.language == "nl"
    screen = client.get(f"/s/{screen_key_from(key)}").get_data(as_text=True)
    assert key not in screen  # the projector never shows the facilitator's secret
    phone = client.get(f"/j/{state.workshop.code}").get_data(as_text=True)
    assert key not in phone and screen_key_from(key) not in phone
    assert client.get(f"/j/{state.workshop.code.lower()}").status_code == 302
    assert client.get("/j/ZZZZZZ").status_code == 404
    assert client.get("/f/not-a-key").status_code == 404
    assert client.get(f"/s/{key}").status_code == 404


def test_facilitator_key_is_long_and_random(client):
    keys = {create_workshop(client) for _ in range(3)}
    assert len(keys) == 3 and all(len(k) >= 43 for k in keys)  # 32 random bytes, base64url


def test_qr_code_is_svg_for_the_join_url(client, app):
    key = create_workshop(client)
    svc = app.extensions["aandacht"]
    code = svc.state(svc.store.workshop_id_by_key("facilitator", key)).workshop.code
    response = client.get(f"/qr/{code}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert client.get("/qr/nope.svg").status_code == 404


def test_socket_io_client_comes_from_node_modules(client):
    from game.web.pages import SOCKET_IO_CLIENT

    response = client.get("/bundle/play.js")
    client_js = SOCKET_IO_CLIENT.read_bytes().split(b"//# sourceMappingURL=")[0].strip()
    assert response.status_code == 200 and response.data.startswith(client_js)  # the bundle's first part
    response.close()


def test_room_code_alphabet_has_no_look_alikes():
    from game.service import CODE_ALPHABET, new_code, normalise_code

    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert all(len(new_code()) == 6 for _ in range(50))
    assert normalise_code(" ab-c 234 ") == "ABC234"


def test_join_link_never_points_phones_at_localhost():
    from game.net import reachable_base

    assert reachable_base("http://127.0.0.1:5000/", ["192.168.1.20"]) == "http://192.168.1.20:5000"
    assert reachable_base("http://localhost/", ["10.0.0.5"]) == "http://10.0.0.5"
    assert reachable_base("http://127.0.0.1:5000/", []) == "http://127.0.0.1:5000"
    assert reachable_base("http://192.168.1.7:5000/", ["10.0.0.5"]) == "http://192.168.1.7:5000"
