"""Who may do what (game/rights.py) and the service side of the organisation's library and the secret links:
deck and workshop rights, adopting what was made before accounts, each facilitator's history, "run again",
co-facilitators, the console by id, the devices that hold the links, and renewing (revoking) the links.

The app's ``FACILITATOR_LOOKUP`` hook (``game.web.links.acting_facilitator``) is the sign-in; the ``signed`` fixture
points it at a test header naming the acting facilitator instead, so these rules are tested without an account per
person (tests/test_authz_matrix.py does the same with real accounts signed in).
"""

from __future__ import annotations

import pytest
from flask import request

from game.engine import GameError, Settings
from game.library import deck_to_data
from game.rights import (
    Facilitator,
    can_change_deck,
    can_manage_co_facilitators,
    can_run_workshop,
    can_use_deck,
)
from game.service import screen_key_from
from game.web.realtime import socketio

from .conftest import create_workshop, sign_in
from .test_cluster import database, redis_channel  # noqa: F401 - fixtures of the cluster test
from .test_sockets import ack, last_state, ok

OWNER = Facilitator("u-owner", "owner@example.org", "Olga Owner")
CO = Facilitator("u-co", "co@example.org", "Cor Co")
OTHER = Facilitator("u-other", "other@example.org", "Otto Other")
ADMIN = Facilitator("u-admin", "admin@example.org", "Ada Admin", is_admin=True)
PEOPLE = {f.id: f for f in (OWNER, CO, OTHER, ADMIN)}


class Directory:
    """The users table as the rules need it: a facilitator by e-mail."""

    def by_email(self, email: str) -> Facilitator | None:
        return next((f for f in PEOPLE.values() if f.email == email.casefold()), None)


def as_header(who: Facilitator) -> dict:
    return {"X-Test-Facilitator": who.id}


@pytest.fixture
def signed(app):
    """Point the app's acting-facilitator hook at the test header (the accounts point it at their session)."""
    app.config["FACILITATOR_LOOKUP"] = lambda: PEOPLE.get(request.headers.get("X-Test-Facilitator", ""))
    return app


def svc(app):
    return app.extensions["aandacht"]


def copy_deck(library, source: str, new_id: str, owner_id: str | None = None):
    """Store a copy of deck ``source`` under ``new_id`` (as "Duplicate" does), owned by ``owner_id``."""
    from game.library import deck_to_data

    data = deck_to_data(library[source])
    data["id"] = new_id
    return library.create(library.dump(data), f"{new_id}.yaml", owner_id=owner_id)


def new_workshop(app, owner: Facilitator | None, title: str = "Desk", teams=("Red", "Blue"), cards=None,
                 deck_id=None, settings=None):
    """A workshop made through the service, owned by ``owner``."""
    service = svc(app)
    deck = service.decks[deck_id] if deck_id else next(iter(service.decks.values()))
    card_ids = cards or [deck.cards[2].id, deck.cards[0].id, deck.cards[1].id]
    settings = settings or Settings(language="en", timer_seconds=90, team_size=5, teams_open=False,
                                    time_zone="Europe/Amsterdam")
    return service.create_workshop(title, deck.id, card_ids, settings, list(teams), owner=owner)


# --- the rights tables ------------------------------------------------------------------------------------------


def test_the_deck_rights_table():
    # (who, owner, built-in) -> may change or delete
    table = [
        (OWNER, OWNER.id, False, True),
        (OTHER, OWNER.id, False, False),
        (ADMIN, OWNER.id, False, True),
        (OWNER, OWNER.id, True, False),  # built-in: nobody
        (ADMIN, None, True, False),
        (OWNER, None, False, False),  # made before accounts: an administrator's until adopted
        (ADMIN, None, False, True),
        (None, OWNER.id, False, False),  # not signed in
    ]
    for who, owner, builtin, allowed in table:
        assert can_change_deck(who, owner, builtin) is allowed, (who, owner, builtin)
    assert all(can_use_deck(who) for who in (OWNER, OTHER, ADMIN)) and not can_use_deck(None)


def test_the_deck_rights_on_stored_decks(app):
    library = svc(app).decks
    builtin = next(iter(library.builtin))
    copy_deck(library, builtin, "olgas-deck", OWNER.id)
    assert library.owner("olgas-deck") == OWNER.id
    assert library.may_change("olgas-deck", OWNER) and library.may_change("olgas-deck", ADMIN)
    assert not library.may_change("olgas-deck", OTHER) and not library.may_change(builtin, ADMIN)
    with pytest.raises(GameError) as refused:
        library.require_change("olgas-deck", OTHER)
    assert refused.value.code == "forbidden" and "Duplicate it" in refused.value.message
    with pytest.raises(GameError) as refused:
        library.require_change(builtin, ADMIN)
    assert refused.value.code == "forbidden" and "built-in" in refused.value.message
    library.require_change("olgas-deck", ADMIN)  # no error
    # every facilitator duplicates every deck: the copy is theirs
    copy_deck(library, "olgas-deck", "ottos-copy", OTHER.id)
    assert library.may_change("ottos-copy", OTHER) and not library.may_change("ottos-copy", OWNER)


def test_the_workshop_rights_table(app):
    service = svc(app)
    wid = new_workshop(app, OWNER).workshop.id
    service.add_co_facilitator(wid, OWNER, "co@example.org", Directory())
    expected = {OWNER: True, CO: True, OTHER: False, ADMIN: True, None: False}
    for who, allowed in expected.items():
        assert service.may_run(wid, who) is allowed, who
    assert can_run_workshop(ADMIN, None, []) and not can_run_workshop(OWNER, None, [])  # made before accounts
    assert [can_manage_co_facilitators(w, OWNER.id) for w in (OWNER, CO, OTHER, ADMIN)] == [True, False, False, True]
    assert service.may_run("no-such-workshop", ADMIN) is False


def test_co_facilitators_are_added_and_removed_by_the_owner_or_an_admin_by_email(app):
    service, directory = svc(app), Directory()
    wid = new_workshop(app, OWNER).workshop.id
    for who in (CO, OTHER):
        with pytest.raises(GameError) as refused:
            service.add_co_facilitator(wid, who, "other@example.org", directory)
        assert refused.value.code == "forbidden"
    assert service.add_co_facilitator(wid, OWNER, "  CO@example.org ", directory) == CO
    assert service.add_co_facilitator(wid, ADMIN, "other@example.org", directory) == OTHER
    assert service.co_facilitators(wid) == [CO.id, OTHER.id]
    for email, code in (("co@example.org", "already_co_facilitator"), ("owner@example.org", "already_owner"),
                        ("nobody@example.org", "no_such_user")):
        with pytest.raises(GameError) as refused:
            service.add_co_facilitator(wid, OWNER, email, directory)
        assert refused.value.code == code
    with pytest.raises(GameError):
        service.remove_co_facilitator(wid, CO, OTHER.id)  # a co-facilitator cannot remove another
    service.remove_co_facilitator(wid, OWNER, OTHER.id)
    assert service.co_facilitators(wid) == [CO.id] and not service.may_run(wid, OTHER)
    with pytest.raises(GameError) as refused:
        service.remove_co_facilitator(wid, OWNER, OTHER.id)
    assert refused.value.code == "no_such_co_facilitator"
    service.delete_workshop(wid)  # the co-facilitators go with the workshop
    assert service.store.workshop_access(wid) is None


# --- adopting what was made before accounts -----------------------------------------------------------------


def test_adopt_orphans_gives_ownerless_decks_and_workshops_to_the_first_administrator(app, client):
    service = svc(app)
    library = service.decks
    builtin = next(iter(library.builtin))
    copy_deck(library, builtin, "old-deck")
    copy_deck(library, builtin, "own-deck", OTHER.id)
    old = new_workshop(app, None)  # made as before accounts: no owner
    old_key, old_id = old.facilitator_key, old.workshop.id
    owned = new_workshop(app, OTHER).workshop.id
    assert library.owner("old-deck") is None and service.store.workshop_access(old_id) == (None, [])

    assert service.adopt_orphans(ADMIN.id) == (1, 1)
    assert library.owner("old-deck") == ADMIN.id and library.owner("own-deck") == OTHER.id
    assert service.store.workshop_access(old_id)[0] == ADMIN.id
    assert service.store.workshop_access(owned)[0] == OTHER.id
    assert client.get(f"/f/{old_key}").status_code == 200  # its link still opens it (for an administrator)
    assert service.adopt_orphans(ADMIN.id) == (0, 0)


# --- each facilitator's history ---------------------------------------------------------------------------------


def test_the_history_lists_the_workshops_a_facilitator_owns_or_co_runs_newest_first(app, clock):
    service = svc(app)
    first = new_workshop(app, OWNER, "First").workshop.id
    clock.advance(60)
    others = new_workshop(app, OTHER, "Otto's, co-run").workshop.id
    service.add_co_facilitator(others, OTHER, "owner@example.org", Directory())
    clock.advance(60)
    new_workshop(app, OTHER, "Otto's own")
    clock.advance(60)
    latest = new_workshop(app, OWNER, "Latest", teams=("A",)).workshop.id
    phone = socketio.test_client(app, auth={"role": "player", "code": service.state(latest).workshop.code})
    ok(phone, "join_workshop", {"name": "Ann"})

    rows = service.history(OWNER)
    assert [r["title"] for r in rows] == ["Latest", "Otto's, co-run", "First"]
    assert [r["role"] for r in rows] == ["owner", "co-facilitator", "owner"]
    top = rows[0]
    assert top["id"] == latest and top["phase"] == "lobby" and top["players"] == 1 and top["teams"] == 1
    assert top["cards"] == 3 and top["created_at"] > rows[1]["created_at"] > rows[2]["created_at"]
    assert [r["title"] for r in service.history(CO)] == []
    assert first in {r["id"] for r in rows}


def test_the_start_page_shows_a_facilitators_workshops_on_any_device(signed, client):
    new_workshop(signed, OWNER, "Olga runs this")
    new_workshop(signed, OTHER, "Otto runs this")
    other_device = signed.test_client()  # no cookie of this browser's: the list comes from the database
    page = other_device.get("/", headers=as_header(OWNER)).get_data(as_text=True)
    assert "Olga runs this" in page and "Otto runs this" not in page
    assert 'data-testid="run-again"' in page and "/again" in page
    assert "Olga runs this" not in other_device.get("/").get_data(as_text=True)  # nobody signed in


def test_a_workshop_created_by_a_signed_in_facilitator_is_theirs(signed, client):
    with client.session_transaction() as sess:
        sess["csrf"] = "token"
    deck = next(iter(svc(signed).decks.values()))
    response = client.post("/workshops", headers=as_header(CO), data={
        "csrf_token": "token", "title": "Cor's", "deck_id": deck.id, "language": "en", "card": [deck.cards[0].id],
        "timer_seconds": "60", "team_size": "4", "teams_open": "on", "teams": ""})
    assert response.status_code == 303
    key = response.headers["Location"].rsplit("/f/", 1)[1]
    wid = svc(signed).store.workshop_id_by_key("facilitator", key)
    assert svc(signed).store.workshop_access(wid) == (CO.id, [])


# --- run again ------------------------------------------------------------------------------------------------


def test_run_again_copies_deck_cards_order_settings_and_preset_teams(app):
    service = svc(app)
    settings = Settings(language="nl", timer_seconds=45, team_size=3, teams_open=True, time_zone="Europe/Brussels")
    old = new_workshop(app, OWNER, teams=("Red", "Blue", "Green"), settings=settings).workshop
    service.add_co_facilitator(old.id, OWNER, "co@example.org", Directory())
    phone = socketio.test_client(app, auth={"role": "player", "code": old.code})
    ok(phone, "join_workshop", {"name": "Ann"})
    ok(phone, "create_team", {"name": "Made by a phone"})  # not a preset team

    again = service.run_again(old.id, CO)  # a co-facilitator runs it again: the new one is theirs
    new = service.state(again.workshop.id)
    assert new.workshop.id != old.id and new.workshop.code != old.code
    assert new.workshop.deck_id == old.deck_id and new.workshop.title == old.title
    assert [c.id for c in new.workshop.cards] == [c.id for c in old.cards]
    assert new.workshop.settings == old.settings
    assert sorted(t.name for t in new.teams.values()) == ["Blue", "Green", "Red"] and not new.players
    assert service.store.workshop_access(new.workshop.id) == (CO.id, [])
    assert again.screen_key == screen_key_from(again.facilitator_key)
    with pytest.raises(GameError) as refused:
        service.run_again(old.id, OTHER)
    assert refused.value.code == "forbidden"


def test_run_again_is_refused_when_a_card_or_the_deck_is_gone(app, signed):
    service = svc(signed)
    library = service.decks
    builtin = next(iter(library.builtin))
    copy_deck(library, builtin, "mine", OWNER.id)
    deck = library["mine"]
    old = new_workshop(signed, OWNER, deck_id="mine", cards=[deck.cards[0].id, deck.cards[1].id]).workshop
    gone = deck.cards[1]
    data = deck_to_data(deck)
    data["cards"] = [c for c in data["cards"] if c["id"] != gone.id]
    library.update("mine", library.dump(data), library.info("mine").version)

    with pytest.raises(GameError) as refused:
        service.run_again(old.id, OWNER)
    assert refused.value.code == "card_gone" and gone.title.en in refused.value.message
    client = signed.test_client()  # the page says which card, in the facilitator's language
    with client.session_transaction() as sess:
        sess["csrf"] = "token"
    page = client.post(f"/w/{old.id}/again", data={"csrf_token": "token"},
                       headers={**as_header(OWNER), "Accept-Language": "nl"})
    assert page.status_code == 409
    assert gone.title.en in page.get_data(as_text=True) or gone.title.nl in page.get_data(as_text=True)
    assert "kan niet opnieuw" in page.get_data(as_text=True)

    library.delete("mine")
    with pytest.raises(GameError) as refused:
        service.run_again(old.id, OWNER)
    assert refused.value.code == "deck_gone" and "mine" in refused.value.message
    assert len(service.history(OWNER)) == 1  # nothing was created


def test_run_again_through_the_page_opens_the_new_console_by_id(signed):
    service = svc(signed)
    old = new_workshop(signed, OWNER).workshop
    client = signed.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "token"
    response = client.post(f"/w/{old.id}/again", data={"csrf_token": "token"}, headers=as_header(OWNER))
    assert response.status_code == 303 and response.headers["Location"].startswith("/w/")
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    assert new_id != old.id and service.store.workshop_access(new_id)[0] == OWNER.id
    assert client.post(f"/w/{old.id}/again", data={"csrf_token": "token"},
                       headers=as_header(OTHER)).status_code == 404


# --- the console by id -------------------------------------------------------------------------------------------


def test_the_console_opens_by_id_for_its_facilitators_only(signed):
    service = svc(signed)
    created = new_workshop(signed, OWNER)
    wid = created.workshop.id
    service.add_co_facilitator(wid, OWNER, "co@example.org", Directory())
    client = signed.test_client()
    for who, status in ((OWNER, 200), (CO, 200), (ADMIN, 200), (OTHER, 404)):
        response = client.get(f"/w/{wid}", headers=as_header(who))
        assert response.status_code == status, who
        if status == 200:  # it shows the big-screen link without knowing the console's key
            assert f"/s/{created.screen_key}" in response.get_data(as_text=True)
    assert client.get(f"/w/{wid}").status_code == 302  # nobody signed in: to the sign-in page
    for path in ("report", "export.csv"):
        assert client.get(f"/w/{wid}/{path}", headers=as_header(CO)).status_code == 200
        assert client.get(f"/w/{wid}/{path}", headers=as_header(OTHER)).status_code == 404

    def console(who):
        return socketio.test_client(signed, auth={"role": "facilitator", "workshop": wid},
                                    headers=as_header(who) if who else None)

    for who in (OWNER, CO, ADMIN):
        c = console(who)
        assert c.is_connected() and last_state(c)["role"] == "facilitator"
        ok(c, "add_team", {"name": f"Team of {who.name}"})
        c.disconnect()
    for who in (OTHER, None):
        assert not console(who).is_connected()


# --- the devices that hold the links, and renewing the links ------------------------------------------------------


def test_devices_that_opened_the_links_are_listed(app, client):
    key = create_workshop(client)
    projector = app.test_client()
    assert projector.get(f"/s/{screen_key_from(key)}", headers={
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}).status_code == 200
    cookie = projector.get_cookie("aandacht_links")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    screen = socketio.test_client(app, auth={"role": "screen", "key": screen_key_from(key)},
                                  flask_test_client=projector)
    phone = app.test_client()  # the facilitator's phone: signed in there, it opens the console link
    phone.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/"
                                             "605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
    assert sign_in(phone).status_code == 303
    assert phone.get(f"/f/{key}").status_code == 200
    console = socketio.test_client(app, auth={"role": "facilitator", "key": key}, flask_test_client=phone)
    devices = ok(console, "link_devices")["devices"]
    assert [(d["role"], d["browser"], d["connected"]) for d in devices] == [
        ("screen", "Firefox on Linux", True), ("facilitator", "Safari on iPhone", True)]
    screen.disconnect()
    assert [d["connected"] for d in ok(console, "link_devices")["devices"]] == [False, True]
    assert ack(screen_socket(app, key), "link_devices")["error"]["code"] == "forbidden"


def screen_socket(app, key):
    client = socketio.test_client(app, auth={"role": "screen", "key": screen_key_from(key)})
    assert client.is_connected()
    return client


def test_revoking_the_links_closes_every_other_console_and_screen_and_the_old_links_say_replaced(app, client):
    key = create_workshop(client)
    old_screen = screen_key_from(key)
    revoker = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    other_console = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    screen = screen_socket(app, key)
    code = last_state(revoker)["workshop"]["code"]
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    ok(phone, "join_workshop", {"name": "Ann"})
    for c in (revoker, other_console, screen, phone):
        c.get_received()

    answer = ok(revoker, "revoke_links")
    new_key = answer["console_url"].rsplit("/f/", 1)[1]
    new_screen = answer["screen_url"].rsplit("/s/", 1)[1]
    assert new_key != key and new_screen == screen_key_from(new_key) != old_screen

    for c in (other_console, screen):  # told, then closed
        assert not c.is_connected()
        assert [m["name"] for m in c.queue] == ["links_replaced"]  # what it received before it was closed
        assert c.queue[0]["args"][0]["message"] == "This link was replaced; ask the facilitator for the new one."
    assert revoker.is_connected() and phone.is_connected()  # the one revoking stays, and phones are no part of it
    ok(revoker, "add_team", {"name": "Still here"})

    # the old links answer "replaced", in both languages; the new ones open
    for path in (f"/f/{key}", f"/s/{old_screen}", f"/f/{key}/report"):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 410 and "This link was replaced" in response.get_data(as_text=True), path
    dutch = app.test_client().get(f"/s/{old_screen}", headers={"Accept-Language": "nl"})
    assert dutch.status_code == 410 and "Deze link is vervangen" in dutch.get_data(as_text=True)
    assert client.get(f"/f/{new_key}").status_code == 200 and client.get(f"/s/{new_screen}").status_code == 200
    for role, old in (("facilitator", key), ("screen", old_screen)):
        refused = socketio.test_client(app, auth={"role": role, "key": old})
        assert not refused.is_connected()
    assert socketio.test_client(app, auth={"role": "facilitator", "key": new_key}).is_connected()
    assert socketio.test_client(app, auth={"role": "screen", "key": new_screen}).is_connected()
    assert ack(socketio.test_client(app, auth={"role": "screen", "key": new_screen}), "revoke_links")["error"][
        "code"] == "forbidden"


def test_a_refused_old_link_says_why_on_the_socket(app, client):
    key = create_workshop(client)
    revoker = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    ok(revoker, "revoke_links")
    from flask_socketio import ConnectionRefusedError

    from game.web import sockets

    # the test client drops a refusal's data: call the handler as Flask-SocketIO does, in a request's context
    with app.test_request_context("/socket.io/"):
        request.sid = "test"  # the handler reads it only after the key was accepted
        with pytest.raises(ConnectionRefusedError) as refused:
            sockets.on_connect({"role": "screen", "key": screen_key_from(key)})
    assert refused.value.args[1]["code"] == "link_replaced"
    assert refused.value.args[1]["message"] == "This link was replaced; ask the facilitator for the new one."


def test_revoking_forgets_the_devices_that_held_the_old_links(app, client):
    key = create_workshop(client)
    projector = app.test_client()
    projector.get(f"/s/{screen_key_from(key)}")
    console = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    assert [d["role"] for d in ok(console, "link_devices")["devices"]] == ["screen"]
    new_key = ok(console, "revoke_links")["console_url"].rsplit("/f/", 1)[1]
    assert ok(console, "link_devices")["devices"] == []
    assert projector.get(f"/s/{screen_key_from(key)}").status_code == 410  # the projector opens the new link
    projector.get(f"/s/{screen_key_from(new_key)}")
    assert [d["role"] for d in ok(console, "link_devices")["devices"]] == ["screen"]


def test_a_console_opened_by_id_keeps_working_after_the_links_were_renewed(signed):
    created = new_workshop(signed, OWNER)
    wid = created.workshop.id
    by_id = socketio.test_client(signed, auth={"role": "facilitator", "workshop": wid}, headers=as_header(OWNER))
    by_key = socketio.test_client(signed, auth={"role": "facilitator", "key": created.facilitator_key})
    answer = ok(by_id, "revoke_links")
    assert by_id.is_connected() and not by_key.is_connected()
    page = signed.test_client().get(f"/w/{wid}", headers=as_header(OWNER)).get_data(as_text=True)
    assert answer["screen_url"] in page and f"/s/{created.screen_key}" not in page


# --- renewing the links on a cluster of two processes ----------------------------------------------------------


@pytest.mark.server
def test_revoking_on_one_process_closes_the_consoles_and_screens_on_the_other(
    tmp_path, database, redis_url, redis_channel  # noqa: F811
):
    import threading
    import time
    import urllib.error
    import urllib.request

    from .test_cluster import Cluster
    from .test_resilience import WAIT, create_workshop as create_live

    cluster = Cluster(tmp_path, database[0], redis_url, redis_channel)
    try:
        key = create_live(cluster.a.url, title="Two processes")
        revoker = cluster.console(cluster.a, key, "console on A")
        code = revoker.state()["workshop"]["code"]
        console_b = cluster.console(cluster.b, key, "console on B")
        screen_b = cluster.peer(cluster.b, {"role": "screen", "key": screen_key_from(key)}, "screen on B")
        phone_b, _pid = cluster.phone(cluster.b, code, "Ann")
        told = {name: threading.Event() for name in ("console", "screen")}
        console_b.client.on("links_replaced", lambda _m: told["console"].set())
        screen_b.client.on("links_replaced", lambda _m: told["screen"].set())
        console_b.state()
        screen_b.state()

        answer = revoker.ok("revoke_links")
        for name, event in told.items():
            assert event.wait(WAIT), f"the {name} on B was not told that the links were replaced"
        give_up = time.monotonic() + WAIT
        while (console_b.client.connected or screen_b.client.connected) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not console_b.client.connected and not screen_b.client.connected
        assert revoker.client.connected and phone_b.client.connected
        revoker.ok("add_team", {"name": "Still here"})

        for server in (cluster.a, cluster.b):  # both processes know the old links are replaced, the new ones open
            with pytest.raises(urllib.error.HTTPError) as gone:
                urllib.request.urlopen(f"{server.url}/s/{screen_key_from(key)}", timeout=WAIT)
            gone.value.close()  # the refused response's socket
            assert gone.value.code == 410
            with urllib.request.urlopen(server.url + answer["screen_url"], timeout=WAIT) as page:
                assert page.status == 200
        again = cluster.peer(cluster.b, {"role": "screen", "key": answer["screen_url"].rsplit("/", 1)[1]}, "new")
        assert again.state(lambda v: any(t["name"] == "Still here" for t in v["teams"]))
    finally:
        cluster.close()
