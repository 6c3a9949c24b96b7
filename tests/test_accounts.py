"""Facilitator accounts: the gate in front of every facilitator route, sign-in and its limits, CSRF and session
fixation on sign-in, ending sessions, the first-run set-up link, the administrator's page and the command line."""

from __future__ import annotations

import re

import pytest

from .conftest import (
    FACILITATOR_EMAIL,
    FACILITATOR_PASSWORD,
    add_user,
    cli_user,
    create_workshop,
    form_token,
    sign_in,
    signed_in_client,
)

# Routes anyone may open, always: a participant's phone, the assets, the health check.
PARTICIPANT = {"static", "bundle", "pages.play", "pages.play_resume", "pages.join_redirect", "pages.room", "pages.qr",
               "pages.healthz"}
# Open once set up: signing in and out, and the console and big screen by their secret links.
SIGNIN = {"auth.signin", "auth.signout"}
SECRET_LINK = {"pages.console", "pages.screen", "pages.report", "pages.export_csv"}  # they decide: device or rights
SETUP = {"auth.setup"}
ADMIN = {"auth.people", "auth.add_person", "auth.remove_person", "auth.set_admin"}


def url_for_rule(rule) -> str:
    """A URL for a rule with made-up values in its placeholders."""
    values = {"key": "some-key", "workshop_id": "w" * 16, "deck_id": "aandacht-basis", "card_id": "spilled-tea",
              "user_id": "u" * 32, "code": "ABCDEF", "token": "t" * 32, "name": "x", "filename": "css/app.css"}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)


def facilitator_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route that is not open to everyone: every rule of the app, so that a new
    route is checked without being listed here."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PARTICIPANT | SIGNIN | SECRET_LINK | SETUP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url_for_rule(rule)))
    return routes


def test_every_facilitator_route_sends_a_stranger_to_sign_in(app, stranger):
    routes = facilitator_routes(app)
    endpoints = {endpoint for endpoint, _m, _u in routes}
    # pages.py, decks.py and the accounts' own pages are all behind the gate
    assert {"pages.home", "pages.create_workshop", "pages.delete_workshop",
            "decks.deck_list", "decks.import_deck", "decks.save_card", "decks.preview_draft", "auth.account",
            "auth.end_other_sessions"} | ADMIN <= endpoints
    for endpoint, method, url in routes:
        response = stranger.open(url, method=method, data={"csrf_token": "x"})
        if method == "GET":
            assert response.status_code == 302, (endpoint, url, response.status_code)
            assert response.headers["Location"].startswith("/signin"), (endpoint, url)
        else:
            assert response.status_code == 403, (endpoint, url, response.status_code)
            assert "Only a signed-in facilitator can do this." in response.get_data(as_text=True)
    # the way back after signing in: the page that was asked for, on this site only
    assert stranger.get("/decks").headers["Location"] == "/signin?next=/decks"


def test_the_open_routes_are_exactly_the_participants_the_sign_in_and_the_secret_links(app, stranger):
    every = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert every >= PARTICIPANT | SIGNIN | SECRET_LINK | SETUP
    assert stranger.get("/play").status_code == 200
    assert stranger.get("/healthz").status_code == 200
    assert stranger.get("/signin").status_code == 200
    assert stranger.get("/j/ZZZZZZ").status_code == 404  # looked up, not gated


def test_a_participants_phone_cannot_open_facilitator_pages(app, client):
    from game.web.realtime import socketio

    key = create_workshop(client)
    phone = app.test_client()
    state = app.extensions["aandacht"].state(app.extensions["aandacht"].store.workshop_id_by_key("facilitator", key))
    code = state.workshop.code
    socket = socketio.test_client(app, auth={"role": "player", "code": code})
    token = socket.emit("join_workshop", {"name": "Pim"}, callback=True)["token"]
    assert phone.get(f"/j/{code}").status_code == 200
    rooms = phone.post("/play/resume", json={"tokens": {code: token}}).get_json()["rooms"]
    assert rooms and rooms[0]["name"] == "Pim"
    for url in ("/", "/decks", "/decks/new", f"/f/{key}/report", f"/f/{key}/export.csv", "/people", "/account"):
        assert phone.get(url).status_code == 302, url
    assert phone.post("/workshops", data={"csrf_token": "x"}).status_code == 403
    assert phone.post(f"/f/{key}/delete", data={"csrf_token": "x"}).status_code == 403
    assert phone.post("/decks/aandacht-basis/duplicate", data={"csrf_token": "x"}).status_code == 403
    socket.disconnect()


def test_the_header_says_who_is_signed_in(client):
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as Fran Facilitator" in page and 'data-testid="signout"' in page
    assert 'href="/people"' in page  # an administrator
    assert "Ingelogd als Fran Facilitator" in client.get("/decks?lang=nl").get_data(as_text=True)


# --- signing in ----------------------------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app, stranger):
    wrong = sign_in(stranger, FACILITATOR_EMAIL, "not the password")
    unknown = sign_in(stranger, "nobody@example.org", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The e-mail address or the password is wrong." in response.get_data(as_text=True)
    assert stranger.get("/").status_code == 302
    assert sign_in(stranger, FACILITATOR_EMAIL.upper(), FACILITATOR_PASSWORD).status_code == 303  # any capitals
    assert stranger.get("/").status_code == 200


def test_an_account_waits_after_five_failures_and_says_when(app, stranger, clock):
    for _ in range(5):
        assert sign_in(stranger, FACILITATOR_EMAIL, "wrong password").status_code == 401
    refused = sign_in(stranger, FACILITATOR_EMAIL, FACILITATOR_PASSWORD)  # even the right one, now
    assert refused.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.get_data(as_text=True)
    # an unknown address is limited the same way: the refusal tells nothing about who has an account
    for _ in range(5):
        sign_in(stranger, "nobody@example.org", "wrong password")
    assert sign_in(stranger, "nobody@example.org", "wrong password").status_code == 429
    clock.advance(10 * 60)
    assert "Try again in 5 minutes." in sign_in(stranger, FACILITATOR_EMAIL, FACILITATOR_PASSWORD).get_data(
        as_text=True)
    clock.advance(5 * 60)
    assert sign_in(stranger, FACILITATOR_EMAIL, FACILITATOR_PASSWORD).status_code == 303
    dutch = app.test_client()
    dutch.get("/signin?lang=nl")
    for _ in range(5):
        sign_in(dutch, "iemand@example.org", "fout wachtwoord")
    assert "Probeer het over 15 minuten opnieuw." in sign_in(dutch, "iemand@example.org", "x").get_data(as_text=True)


def test_an_address_waits_after_twenty_failures(app, clock):
    here, elsewhere = app.test_client(), app.test_client()

    def attempt(client, email, password, address):
        token = form_token(client.get("/signin").get_data(as_text=True))
        return client.post("/signin", data={"csrf_token": token, "email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})

    for n in range(20):  # a different e-mail each time: no account reaches its own limit
        assert attempt(here, f"guess{n}@example.org", "wrong password", "10.0.0.7").status_code == 401
    limited = attempt(here, FACILITATOR_EMAIL, FACILITATOR_PASSWORD, "10.0.0.7")
    assert limited.status_code == 429 and "Try again in 15 minutes." in limited.get_data(as_text=True)
    assert attempt(elsewhere, FACILITATOR_EMAIL, FACILITATOR_PASSWORD, "10.0.0.8").status_code == 303
    clock.advance(15 * 60)
    assert attempt(here, FACILITATOR_EMAIL, FACILITATOR_PASSWORD, "10.0.0.7").status_code == 303


def test_failures_are_counted_in_the_database_so_every_process_agrees(app, clock):
    from game.accounts import Accounts

    other = Accounts(app.extensions["aandacht"].store, clock)  # another process on the same database
    for _ in range(5):
        other.verify(FACILITATOR_EMAIL, "wrong password", "10.1.1.1")
    assert sign_in(app.test_client(), FACILITATOR_EMAIL, FACILITATOR_PASSWORD).status_code == 429


def test_sign_in_needs_this_browsers_form_token(app, stranger):
    stranger.get("/signin")
    missing = stranger.post("/signin", data={"email": FACILITATOR_EMAIL, "password": FACILITATOR_PASSWORD})
    assert missing.status_code == 400 and "The form expired" in missing.get_data(as_text=True)
    other = app.test_client()
    token = form_token(other.get("/signin").get_data(as_text=True))  # another browser's token
    foreign = stranger.post("/signin", data={"csrf_token": token, "email": FACILITATOR_EMAIL,
                                             "password": FACILITATOR_PASSWORD})
    assert foreign.status_code == 400
    assert stranger.get("/").status_code == 302


def cookie(client) -> str | None:
    """The client's session cookie."""
    found = client.get_cookie("session")
    return found.value if found else None


def test_signing_in_starts_a_fresh_session_and_form_token(app, stranger):
    before_page = stranger.get("/signin").get_data(as_text=True)
    planted = cookie(stranger)  # the cookie an attacker could have set before the sign-in
    old_token = form_token(before_page)
    assert sign_in(stranger).status_code == 303
    with stranger.session_transaction() as sess:
        first_id, new_token = sess["_user_id"], sess["csrf"]
    assert new_token != old_token
    # the planted cookie does not carry the signed-in session
    fixed = app.test_client()
    fixed.set_cookie("session", planted)
    assert fixed.get("/").status_code == 302
    # signing in again (another tab's sign-in form): another server-side session, the first one ended
    token = form_token(stranger.get("/account").get_data(as_text=True))
    again = stranger.post("/signin", data={"csrf_token": token, "email": FACILITATOR_EMAIL,
                                           "password": FACILITATOR_PASSWORD})
    assert again.status_code == 303
    with stranger.session_transaction() as sess:
        assert sess["_user_id"] != first_id
    sessions = app.extensions["aandacht.accounts"].sessions(
        app.extensions["aandacht.accounts"].user_by_email(FACILITATOR_EMAIL).id)
    assert len(sessions) == 1


def test_a_signed_out_cookie_opens_nothing_again(app, client):
    create_workshop(client)
    with client.session_transaction() as sess:
        assert "workshops" not in sess  # a new workshop is in its owner's history, not in the browser's list
        sess["workshops"] = ["a-console-key-from-before-accounts"]  # the legacy list: secret console links
    kept = cookie(client)
    token = form_token(client.get("/account").get_data(as_text=True))
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 302
    with client.session_transaction() as sess:
        assert "workshops" not in sess  # gone with the sign-out: the next person at this browser is someone else
    replay = app.test_client()
    replay.set_cookie("session", kept)  # the cookie from before signing out: its server-side session has ended
    assert replay.get("/").status_code == 302


def test_the_cookie_from_another_browser_is_not_signed_in(app, client):
    stolen = app.test_client()
    stolen.set_cookie("session", cookie(client))
    assert stolen.get("/", headers={"User-Agent": "Another browser"}).status_code == 302  # "strong" protection


def test_sign_out_everywhere_else_and_ending_one_session(app, client):
    laptop, phone = client, signed_in_client(app)
    third = signed_in_client(app)
    page = laptop.get("/account").get_data(as_text=True)
    assert page.count('class="session-item"') == 3 and "this device" in page
    key = re.findall(r'action="/account/sessions/([0-9a-f]{64})/end"', page)[0]
    laptop.post(f"/account/sessions/{key}/end", data={"csrf_token": form_token(page)})
    assert [phone.get("/").status_code, third.get("/").status_code].count(302) == 1
    page = laptop.get("/account").get_data(as_text=True)
    done = laptop.post("/account/sessions/end-others", data={"csrf_token": form_token(page)})
    assert "Signed out on 1 other device." in done.get_data(as_text=True)
    assert phone.get("/").status_code == 302 and third.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_a_session_unused_for_thirty_days_has_ended(app, client, clock):
    clock.advance(29 * 86400)
    assert client.get("/").status_code == 200  # seen now: another 30 days from here
    clock.advance(30 * 86400 + 1)
    assert client.get("/").status_code == 302


def test_a_session_of_another_account_cannot_be_ended(app, client):
    add_user(app.config["DATABASE_URL"], "kim@example.org", "Kim")
    kim = signed_in_client(app, "kim@example.org")
    accounts = app.extensions["aandacht.accounts"]
    fran_session = accounts.sessions(accounts.user_by_email(FACILITATOR_EMAIL).id)[0].key
    page = kim.get("/account").get_data(as_text=True)
    kim.post(f"/account/sessions/{fran_session}/end", data={"csrf_token": form_token(page)})
    assert client.get("/").status_code == 200


def test_a_password_reset_ends_every_session(app, client):
    code, out, err = cli_user(app.config["DATABASE_URL"], "password", FACILITATOR_EMAIL, "--password-stdin",
                              password="a brand new password")
    assert code == 0 and "1 session(s) ended" in out, out + err
    assert client.get("/").status_code == 302
    assert sign_in(app.test_client(), FACILITATOR_EMAIL, FACILITATOR_PASSWORD).status_code == 401
    assert sign_in(app.test_client(), FACILITATOR_EMAIL, "a brand new password").status_code == 303


def test_sign_out_everywhere_from_the_command_line(app, client):
    code, out, _err = cli_user(app.config["DATABASE_URL"], "sessions", FACILITATOR_EMAIL)
    assert code == 0 and "signed in" in out and "last seen" in out
    code, out, _err = cli_user(app.config["DATABASE_URL"], "sign-out", FACILITATOR_EMAIL)
    assert code == 0 and "1 session(s) ended" in out
    assert client.get("/").status_code == 302


def test_after_signing_in_only_a_same_site_path_is_followed(app):
    for target, landing in (("/decks", "/decks"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
                            ("/\\evil.example", "/")):
        client = app.test_client()
        response = sign_in(client, next_=target)
        assert response.status_code == 303 and response.headers["Location"] == landing, target


def test_an_old_hash_is_replaced_with_the_current_parameters_at_sign_in(app):
    from argon2 import PasswordHasher

    accounts = app.extensions["aandacht.accounts"]
    user = accounts.user_by_email(FACILITATOR_EMAIL)
    store = app.extensions["aandacht"].store
    from game.store import UserRow

    with store.sessions() as s:
        before = s.get(UserRow, user.id).password_hash
    assert "m=1024,t=1,p=1" in before  # the tests' cheap parameters
    accounts.hasher = PasswordHasher()  # the real ones, as after an upgrade of argon2-cffi's defaults
    assert sign_in(app.test_client()).status_code == 303
    with store.sessions() as s:
        after = s.get(UserRow, user.id).password_hash
    assert after != before and not accounts.hasher.check_needs_rehash(after)
    assert sign_in(app.test_client()).status_code == 303


# --- the first run -------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_app(tmp_path, clock):
    """An app on a database nobody has set up yet (no administrator)."""
    from game.web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
                      "ASYNC_MODE": "threading", "SECRET_KEY": "test-secret", "CLOCK": clock,
                      "PUBLIC_URL": "http://aandacht.test"})
    yield app
    app.extensions["aandacht"].store.engine.dispose()


def setup_link(app) -> str:
    """A set-up link from ``python -m game user setup-link``: its path."""
    code, out, err = cli_user(app.config["DATABASE_URL"], "setup-link", "--base", "http://aandacht.test")
    assert code == 0, out + err
    return re.search(r"http://aandacht\.test(/setup/\S+)", out).group(1)


def test_before_set_up_only_the_participant_pages_and_the_set_up_link_answer(fresh_app):
    client = fresh_app.test_client()
    for rule in fresh_app.url_map.iter_rules():
        if rule.endpoint in PARTICIPANT | SETUP:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url_for_rule(rule), method=method, data={"csrf_token": "x"})
            assert response.status_code == 503, (rule.endpoint, method)
            page = response.get_data(as_text=True)
            assert "Aandacht is not set up yet" in page and "Open the set-up link printed in the terminal" in page
    assert "Aandacht is nog niet ingesteld" in client.get("/?lang=nl").get_data(as_text=True)
    for url in ("/play", "/healthz", "/static/css/app.css", "/join?code=ABCDEF", "/qr/ABCDEF.svg"):
        assert client.get(url).status_code in (200, 302), url
    assert client.post("/play/resume", json={"tokens": {}}).status_code == 200


def test_the_set_up_link_makes_the_administrator_once(fresh_app):
    path = setup_link(fresh_app)
    client = fresh_app.test_client()
    page = client.get(path).get_data(as_text=True)
    form = {"csrf_token": form_token(page), "name": "Ada Admin", "email": "ada@example.org",
            "password": "ten letters!", "password2": "ten letters?"}
    mismatch = client.post(path, data=form)
    assert mismatch.status_code == 400 and "The two passwords are not the same." in mismatch.get_data(as_text=True)
    short = client.post(path, data={**form, "password": "short", "password2": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    done = client.post(path, data={**form, "password2": "ten letters!"})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "Signed in as Ada Admin" in client.get("/").get_data(as_text=True)
    assert client.get(path).status_code == 404
    assert fresh_app.test_client().post(path, data={**form, "password2": "ten letters!"}).status_code == 404
    user = fresh_app.extensions["aandacht.accounts"].user_by_email("ada@example.org")
    assert user.is_admin
    code, _out, err = cli_user(fresh_app.config["DATABASE_URL"], "setup-link")
    assert code == 1 and "an administrator exists already" in err


def test_a_new_set_up_link_replaces_the_old_one(fresh_app):
    first, second = setup_link(fresh_app), setup_link(fresh_app)
    client = fresh_app.test_client()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get("/setup/" + "x" * 300).status_code == 404


def test_serve_prints_the_set_up_link_only_while_no_administrator_exists(fresh_app):
    from game.web.auth import setup_link_lines

    accounts = fresh_app.extensions["aandacht.accounts"]
    lines = setup_link_lines(accounts, "http://127.0.0.1:5000/")
    assert re.match(r"  http://127\.0\.0\.1:5000/setup/\S{20,}$", lines[-1])
    add_user(fresh_app.config["DATABASE_URL"], "ada@example.org", "Ada", admin=True)
    assert setup_link_lines(accounts, "http://127.0.0.1:5000") == []


# --- the administrator's page ----------------------------------------------------------------------------


def test_a_facilitator_who_is_no_administrator_cannot_manage_people(app):
    add_user(app.config["DATABASE_URL"], "kim@example.org", "Kim")
    kim = signed_in_client(app, "kim@example.org")
    assert kim.get("/").status_code == 200 and 'href="/people"' not in kim.get("/").get_data(as_text=True)
    refused = kim.get("/people")
    assert refused.status_code == 403 and "Only an administrator can do this." in refused.get_data(as_text=True)
    token = form_token(kim.get("/account").get_data(as_text=True))
    assert kim.post("/people", data={"csrf_token": token, "name": "X", "email": "x@example.org",
                                     "password": "0123456789"}).status_code == 403
    assert app.extensions["aandacht.accounts"].user_by_email("x@example.org") is None


def test_an_administrator_adds_promotes_and_removes_a_facilitator(app, client):
    page = client.get("/people").get_data(as_text=True)
    token = form_token(page)
    added = client.post("/people", data={"csrf_token": token, "name": "Kim", "email": "Kim@Example.org",
                                         "password": "kims password"})
    assert "Kim can now sign in as Kim@Example.org." in added.get_data(as_text=True)
    again = client.post("/people", data={"csrf_token": token, "name": "Kim 2", "email": "kim@example.org",
                                         "password": "kims password"})
    assert again.status_code == 400 and "There is already an account" in again.get_data(as_text=True)
    kim_client = signed_in_client(app, "kim@example.org", "kims password")
    kim = app.extensions["aandacht.accounts"].user_by_email("kim@example.org")
    client.post(f"/people/{kim.id}/admin", data={"csrf_token": token, "admin": "1"})
    assert kim_client.get("/people").status_code == 200  # an administrator now, in the session already open
    removed = client.post(f"/people/{kim.id}/remove", data={"csrf_token": token})
    assert "Kim was removed and signed out everywhere." in removed.get_data(as_text=True)
    assert kim_client.get("/").status_code == 302
    assert sign_in(app.test_client(), "kim@example.org", "kims password").status_code == 401
    me = app.extensions["aandacht.accounts"].user_by_email(FACILITATOR_EMAIL)
    last = client.post(f"/people/{me.id}/admin", data={"csrf_token": token, "admin": "0"})
    assert last.status_code == 400 and "This is the only administrator" in last.get_data(as_text=True)


# --- the command line ----------------------------------------------------------------------------------------


def test_the_user_commands_and_their_errors(app):
    url = app.config["DATABASE_URL"]

    def user(*args, password=None):
        return cli_user(url, *args, password=password)

    assert user("add", "kim@example.org", "--name", "Kim", "--password-stdin", password="0123456789")[0] == 0
    code, _out, err = user("add", "KIM@example.org", "--name", "Kim", "--password-stdin", password="0123456789")
    assert code == 1 and "already an account" in err
    code, _out, err = user("add", "lou@example.org", "--name", "Lou", "--password-stdin", password="short")
    assert code == 1 and "at least 10 characters" in err
    code, _out, err = user("add", "lou@example.org", "--name", "Lou", "--password-stdin", password="")
    assert code == 1 and "empty" in err
    code, _out, err = user("add", "not-an-address", "--name", "Lou", "--password-stdin", password="0123456789")
    assert code == 1 and "not an e-mail address" in err
    assert user("add", "lou@example.org", "--password-stdin", password="0123456789")[0] == 2  # --name is required
    code, out, _err = user("list")
    assert code == 0 and "fran@example.org\tFran Facilitator\tadministrator" in out and "kim@example.org\tKim" in out
    for command in ("remove", "password", "sessions", "sign-out", "admin"):
        code, _out, err = user(command, "nobody@example.org", password="0123456789")
        assert code == 1 and "there is no facilitator with the e-mail address 'nobody@example.org'" in err, command
    assert user("admin", "kim@example.org")[0] == 0
    assert app.extensions["aandacht.accounts"].user_by_email("kim@example.org").is_admin
    code, out, _err = user("remove", "kim@example.org")
    assert code == 0 and "removed Kim" in out
    assert "kim@example.org" not in user("list")[1]
    code, _out, err = user("remove", FACILITATOR_EMAIL)
    assert code == 1 and "only administrator" in err
    # a removed address can be given a new account
    assert user("add", "kim@example.org", "--name", "Kim again", "--password-stdin", password="0123456789")[0] == 0
