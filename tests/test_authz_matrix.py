"""The authorisation matrix (issue 11, point 7): every HTTP route of ``app.url_map`` and every Socket.IO event the
server handles, for six actors: a stranger, a participant (a phone with a player token), the workshop's owner, its
co-facilitator, another facilitator and an administrator. The expected outcome of each is written in the tables
below; a route or an event that is not in them fails the test, so a new one cannot be forgotten.

Every request gets its own workshop (owned by Olga, co-run by Cor) and its own deck (Olga's), so what one request
deletes or renews does not decide the next one. The facilitators are made through the command line.
"""

from __future__ import annotations

import io

import pytest

from game.web.realtime import socketio

from .conftest import FACILITATOR_EMAIL, add_user, form_token, signed_in_client
from .test_sockets import ack, ok

OWNER, CO, OTHER = "olga@example.org", "cor@example.org", "otto@example.org"
ACTORS = ("stranger", "participant", "owner", "co", "other", "admin")

# Outcomes: "ok" (2xx, or a redirect that is not to the sign-in page), "signin" (to the sign-in page, or the
# "Sign in first" refusal of a form), "forbidden" (403), "missing" (404: nothing about another's workshop leaks),
# "bad" (400: let in, the request itself is refused as incomplete).
OPEN = dict.fromkeys(ACTORS, "ok")
FACILITATOR = {"stranger": "signin", "participant": "signin", "owner": "ok", "co": "ok", "other": "ok", "admin": "ok"}
FACILITATOR_BAD = {**FACILITATOR, "owner": "bad", "co": "bad", "other": "bad", "admin": "bad"}
# the console and what hangs off it: owner, co-facilitator, administrator; another facilitator learns nothing (by
# id: 404) or is refused in words (by the secret link: 403)
WORKSHOP_BY_ID = {**FACILITATOR, "other": "missing"}
WORKSHOP_BY_KEY = {**FACILITATOR, "other": "forbidden"}
# adding and removing co-facilitators: the owner or an administrator
SHARING = {**WORKSHOP_BY_ID, "co": "forbidden"}
# changing a deck: its owner or an administrator (a co-facilitator of a workshop has no right on the deck)
DECK_CHANGE = {**FACILITATOR, "co": "forbidden", "other": "forbidden"}
DECK_CHANGE_BAD = {**DECK_CHANGE, "owner": "bad", "admin": "bad"}
ADMIN_ONLY = {**FACILITATOR, "owner": "forbidden", "co": "forbidden", "other": "forbidden"}

# "METHOD rule" -> expected outcome per actor
HTTP = {
    "GET /static/<path:filename>": OPEN,
    "GET /bundle/<name>.js": OPEN,
    "GET /healthz": OPEN,
    "GET /play": OPEN,
    "POST /play/resume": OPEN,
    "GET /join": OPEN,
    "GET /j/<code>": OPEN,
    "GET /qr/<code>.svg": OPEN,
    "GET /s/<key>": OPEN,  # the big screen: a bearer link (the projector has no account)
    "GET /signin": OPEN,
    "POST /signin": dict.fromkeys(ACTORS, "bad"),  # an empty form
    "GET /signout": {**FACILITATOR, "owner": "ok"},
    "POST /signout": dict.fromkeys(ACTORS, "signin"),
    "GET /setup/<token>": dict.fromkeys(ACTORS, "missing"),  # set up already: the link is gone
    "POST /setup/<token>": dict.fromkeys(ACTORS, "missing"),
    "GET /account": FACILITATOR,
    "POST /account/sessions/end-others": FACILITATOR,
    "POST /account/sessions/<key>/end": FACILITATOR,
    "GET /people": ADMIN_ONLY,
    "POST /people": ADMIN_ONLY,
    "POST /people/<user_id>/remove": ADMIN_ONLY,
    "POST /people/<user_id>/admin": ADMIN_ONLY,
    "GET /": FACILITATOR,
    "POST /workshops": FACILITATOR,
    "GET /f/<key>": WORKSHOP_BY_KEY,
    "GET /f/<key>/report": WORKSHOP_BY_KEY,
    "GET /f/<key>/export.csv": WORKSHOP_BY_KEY,
    "POST /f/<key>/delete": WORKSHOP_BY_KEY,
    "GET /w/<workshop_id>": WORKSHOP_BY_ID,
    "GET /w/<workshop_id>/report": WORKSHOP_BY_ID,
    "GET /w/<workshop_id>/export.csv": WORKSHOP_BY_ID,
    "POST /w/<workshop_id>/delete": WORKSHOP_BY_ID,
    "POST /w/<workshop_id>/again": WORKSHOP_BY_ID,
    "POST /w/<workshop_id>/co-facilitators": SHARING,
    "POST /w/<workshop_id>/co-facilitators/<user_id>/remove": SHARING,
    "GET /decks": FACILITATOR,
    "GET /decks/new": FACILITATOR,
    "POST /decks/new": FACILITATOR_BAD,  # an empty form: let in, then every problem is listed
    "POST /decks/import": FACILITATOR_BAD,  # no file
    "POST /decks/preview": FACILITATOR_BAD,  # an empty card: its problems are listed
    "GET /decks/<deck_id>": FACILITATOR,  # every facilitator sees and uses every deck
    "GET /decks/<deck_id>/export.yaml": FACILITATOR,
    "POST /decks/<deck_id>/duplicate": FACILITATOR,
    "GET /decks/<deck_id>/cards/<card_id>/preview": FACILITATOR,
    "POST /decks/<deck_id>": DECK_CHANGE_BAD,  # an empty form: let in (owner, administrator), then refused
    "POST /decks/<deck_id>/delete": DECK_CHANGE,
    "GET /decks/<deck_id>/cards/new": DECK_CHANGE,
    "GET /decks/<deck_id>/cards/<card_id>": DECK_CHANGE,
    "POST /decks/<deck_id>/cards/new": DECK_CHANGE_BAD,
    "POST /decks/<deck_id>/cards/<card_id>": DECK_CHANGE_BAD,
    "POST /decks/<deck_id>/cards/<card_id>/move": DECK_CHANGE,
    "POST /decks/<deck_id>/cards/<card_id>/delete": DECK_CHANGE,
}

# Socket.IO: "ok" (let in: accepted, or refused by the rules or the payload, never for who sent it), "forbidden"
# (refused for who sent it), "refused" (the console's connection itself is refused).
PHONE = {"stranger": "refused", "participant": "ok", "owner": "forbidden", "co": "forbidden", "other": "refused",
         "admin": "forbidden"}
CONSOLE = {"stranger": "refused", "participant": "forbidden", "owner": "ok", "co": "ok", "other": "refused",
           "admin": "ok"}
ANY_PAGE = {**CONSOLE, "participant": "ok"}
CONSOLE_EVENTS = ("add_team", "rename_team", "rename_player", "move_player", "remove_player", "allow_back",
                  "make_captain", "set_team_size", "deal_card", "start_timer", "extend_timer", "stop_timer",
                  "lock_round", "reveal", "spotlight", "score_team", "publish_scores", "set_leaderboard",
                  "review_commitment", "set_join_address", "link_devices", "end_workshop", "revoke_links")
SOCKET = {
    "join_workshop": PHONE, "join_team": PHONE, "create_team": PHONE, "submit_pick": PHONE, "lock_in": PHONE,
    "leave_commitment": PHONE,
    "sync": ANY_PAGE,
    **dict.fromkeys(CONSOLE_EVENTS, CONSOLE),
}
AUTHZ_CODES = {"forbidden", "not_your_workshop", "sign_in", "not_connected"}


class World:
    """The app's facilitators signed in, one browser each, and fresh workshops and decks to try things on."""

    def __init__(self, app):
        self.app = app
        self.svc = app.extensions["aandacht"]
        self.accounts = app.extensions["aandacht.accounts"]
        url = app.config["DATABASE_URL"]
        for email, name in ((OWNER, "Olga Owner"), (CO, "Cor Co"), (OTHER, "Otto Other")):
            add_user(url, email, name)
        self.emails = {"owner": OWNER, "co": CO, "other": OTHER, "admin": FACILITATOR_EMAIL}
        self.who = {actor: self.accounts.by_email(email) for actor, email in self.emails.items()}
        self.clients = {"stranger": app.test_client(), "participant": app.test_client()}
        for actor, email in self.emails.items():
            self.clients[actor] = signed_in_client(app, email)
        for client in self.clients.values():
            with client.session_transaction() as sess:
                sess["csrf"] = "token"
        self.victims = 0

    def workshop(self):
        """A new workshop of Olga's (made through the create form, signed in as her), co-run by Cor."""
        deck = self.svc.decks["aandacht-basis"]
        response = self.clients["owner"].post("/workshops", data={
            "csrf_token": "token", "title": "Matrix", "deck_id": deck.id, "language": "en",
            "card": [deck.cards[0].id, deck.cards[1].id], "timer_seconds": "60", "team_size": "4",
            "teams_open": "on", "teams": ""})
        assert response.status_code == 303, response.get_data(as_text=True)
        key = response.headers["Location"].rsplit("/f/", 1)[1]
        workshop_id = self.svc.store.workshop_id_by_key("facilitator", key)
        self.svc.add_co_facilitator(workshop_id, self.who["owner"], CO, self.accounts)
        return workshop_id, key

    def deck(self) -> str:
        """A new deck of Olga's: her copy of the built-in one."""
        response = self.clients["owner"].post("/decks/aandacht-basis/duplicate", data={"csrf_token": "token"})
        assert response.status_code == 303
        return response.headers["Location"].split("/decks/", 1)[1].split("?", 1)[0]

    def victim(self) -> str:
        """A facilitator to remove or make an administrator."""
        self.victims += 1
        return self.accounts.create_user(f"victim{self.victims}@example.org", "Vic", "a long password").id

    def request(self, actor: str, method: str, rule: str):
        """One request of ``actor`` on ``rule``, its placeholders filled with fresh things to act on."""
        values, data, extra = {}, {"csrf_token": "token"}, {}
        if "<key>" in rule or "<workshop_id>" in rule or "<code>" in rule:
            workshop_id, key = self.workshop()
            state = self.svc.state(workshop_id)
            values.update(workshop_id=workshop_id, key=key, code=state.workshop.code)
            if rule.startswith("/s/"):
                values["key"] = self.svc.screen_key(workshop_id, self.svc.store.link_generation(workshop_id), key)
            if rule.startswith("/account/"):
                values["key"] = "0" * 64  # somebody's session key: ending an unknown one changes nothing
        if "<deck_id>" in rule:
            values["deck_id"] = self.deck()
            values["card_id"] = self.svc.decks[values["deck_id"]].cards[0].id
            data["version"] = str(self.svc.decks.info(values["deck_id"]).version)
        if "<user_id>" in rule:
            values["user_id"] = self.who["co"].id if "co-facilitators" in rule else self.victim()
        if rule == "/people/<user_id>/admin":
            data["admin"] = "1"
        values.setdefault("filename", "css/app.css")
        values.setdefault("name", "console")
        values.setdefault("token", "t" * 32)
        path = rule
        for name, value in values.items():
            path = path.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
        if rule == "/workshops":
            deck = self.svc.decks["aandacht-basis"]
            data.update(title="Mine", deck_id=deck.id, language="en", card=[deck.cards[0].id], timer_seconds="60",
                        team_size="4", teams_open="on", teams="")
        elif rule == "/people":
            self.victims += 1
            data.update(email=f"new{self.victims}@example.org", name="New", password="a long password")
        elif rule == "/w/<workshop_id>/co-facilitators":
            data["email"] = OTHER
        elif rule == "/play/resume":
            data, extra = None, {"json": {"tokens": {}}}
        elif rule == "/signin":
            data = {"csrf_token": "token"}
        client = self.clients[actor]
        if rule == "/signout" and method == "POST":  # signing out: a browser of its own, so the others stay in
            client = self.fresh(actor)
        if method == "GET":
            return client.get(path)
        return client.post(path, data=data, **extra)

    def fresh(self, actor: str):
        """A new browser of ``actor`` (signed in for a facilitator)."""
        client = signed_in_client(self.app, self.emails[actor]) if actor in self.emails else self.app.test_client()
        with client.session_transaction() as sess:
            sess["csrf"] = "token"
        return client


def outcome(response) -> str:
    """What a response says, in the matrix's words."""
    status, location = response.status_code, response.headers.get("Location", "")
    if status in (301, 302, 303):
        return "signin" if "/signin" in location else "ok"
    if status == 403 and "Only a signed-in facilitator can do this" in response.get_data(as_text=True):
        return "signin"
    return {403: "forbidden", 400: "bad", 404: "missing"}.get(status, "ok" if status < 300 else str(status))


@pytest.fixture
def world(app):
    return World(app)


def routes(app) -> list[str]:
    """Every "METHOD rule" the app answers."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(f"{method} {rule.rule}")
    return sorted(found)


def test_every_route_is_in_the_matrix(app):
    """A new route must get its row (and its rights) here."""
    unlisted = sorted(set(routes(app)) - set(HTTP))
    assert not unlisted, f"routes without a row in the authorisation matrix: {unlisted}"
    assert not set(HTTP) - set(routes(app)), "rows for routes that no longer exist"


def test_the_http_matrix(world):
    """Every route for every actor: the outcome in the table."""
    wrong = []
    for route in routes(world.app):
        method, rule = route.split(" ", 1)
        for actor in ACTORS:
            response = world.request(actor, method, rule)
            got = outcome(response)
            if got != HTTP[route][actor]:
                wrong.append(f"{route} as {actor}: {got} ({response.status_code}), expected {HTTP[route][actor]}")
    assert not wrong, "\n".join(wrong)


def test_a_workshop_made_by_a_signed_in_facilitator_is_theirs_and_in_their_history_only(world):
    workshop_id, _key = world.workshop()
    assert world.svc.store.workshop_access(workshop_id) == (world.who["owner"].id, [world.who["co"].id])
    for actor, listed in (("owner", True), ("co", True), ("other", False), ("admin", False)):
        page = world.clients[actor].get("/").get_data(as_text=True)
        assert (f"/w/{workshop_id}" in page) is listed, actor
    page = world.fresh("co").get("/").get_data(as_text=True)  # the co-facilitator's other device
    assert "Your workshops" in page and f"/w/{workshop_id}/report" in page and 'data-testid="co-run"' in page


# --- Socket.IO ------------------------------------------------------------------------------------------------


def socket_events() -> set[str]:
    """Every event the server handles (its handlers, as registered on the Socket.IO server)."""
    return {event for event in socketio.server.handlers["/"] if event not in ("connect", "disconnect")}


def test_every_socket_event_is_in_the_matrix(app):
    unlisted = socket_events() - set(SOCKET)
    assert not unlisted, f"socket events without a row in the authorisation matrix: {sorted(unlisted)}"
    assert not set(SOCKET) - socket_events()


def connect(world, actor: str, workshop_id: str, key: str):
    """The actor's page on the workshop: a phone with a player token for the participant, a console by its
    secret link from the actor's own browser for everyone else (None when the connection is refused)."""
    if actor == "participant":
        code = world.svc.state(workshop_id).workshop.code
        guest = socketio.test_client(world.app, auth={"role": "player", "code": code})
        token = ok(guest, "join_workshop", {"name": "Pat"})["token"]
        guest.disconnect()
        page = socketio.test_client(world.app, auth={"role": "player", "code": code, "token": token},
                                    flask_test_client=world.clients["participant"])
    else:
        page = socketio.test_client(world.app, auth={"role": "facilitator", "key": key},
                                    flask_test_client=world.clients[actor])
    return page if page.is_connected() else None


PAYLOADS = {"join_workshop": {"name": "Sam"}, "create_team": {"name": "Tigers"}, "add_team": {"name": "Lions"},
            "set_join_address": {"url": None}, "leave_commitment": {"text": "Listen first"},
            "set_leaderboard": {"visible": True}}


def test_the_socket_matrix(world):
    """Every event for every actor on a workshop of its own (``revoke_links`` last: it closes the other consoles)."""
    wrong = []
    for actor in ACTORS:
        workshop_id, key = world.workshop()
        page = connect(world, actor, workshop_id, key)
        for event in sorted(SOCKET, key=lambda e: e == "revoke_links"):
            expected = SOCKET[event][actor]
            if page is None:
                got = "refused"
            else:
                answer = ack(page, event, PAYLOADS.get(event, {}))
                code = (answer or {}).get("error", {}).get("code") if not (answer or {}).get("ok") else None
                got = "forbidden" if code in AUTHZ_CODES else "ok"
            if got != expected:
                wrong.append(f"{event} as {actor}: {got}, expected {expected}")
        if page is not None:
            page.disconnect()
    assert not wrong, "\n".join(wrong)


def test_a_console_by_key_connects_from_the_device_that_opened_it_or_a_facilitator_with_rights(world):
    workshop_id, key = world.workshop()
    auth = {"role": "facilitator", "key": key}
    refused = socketio.test_client(world.app, auth=auth, flask_test_client=world.clients["stranger"])
    assert not refused.is_connected()
    other = socketio.test_client(world.app, auth=auth, flask_test_client=world.clients["other"])
    assert not other.is_connected()
    # Olga opens the link on her laptop, then signs out there: the laptop still holds the console (its device
    # cookie), its report and CSV; deleting needs signing in again
    laptop = world.fresh("owner")
    assert laptop.get(f"/f/{key}").status_code == 200
    page = laptop.get("/signout").get_data(as_text=True)
    assert laptop.post("/signout", data={"csrf_token": form_token(page)}).status_code == 303
    with laptop.session_transaction() as sess:
        assert "_user_id" not in sess
        sess["csrf"] = "token"
    assert laptop.get(f"/f/{key}").status_code == 200
    assert laptop.get(f"/f/{key}/report").status_code == 200
    assert laptop.get(f"/f/{key}/export.csv").status_code == 200
    assert outcome(laptop.post(f"/f/{key}/delete", data={"csrf_token": "token"})) == "signin"
    assert laptop.get(f"/w/{workshop_id}").status_code == 302  # by id: only signed in
    console = socketio.test_client(world.app, auth=auth, flask_test_client=laptop)
    assert console.is_connected()
    ok(console, "add_team", {"name": "Still mine"})
    answer = ok(console, "revoke_links")  # a console by its device may renew the links
    assert world.svc.store.workshop_id_by_key("facilitator", key) is None and answer["console_url"].startswith("/f/")
    assert laptop.get(f"/f/{key}").status_code == 410  # the old link: replaced, for everybody


def test_a_removed_co_facilitator_is_disconnected_here_and_refused_at_the_next_command_elsewhere(world):
    workshop_id, _key = world.workshop()
    by_id = {"role": "facilitator", "workshop": workshop_id}
    here = socketio.test_client(world.app, auth=by_id, flask_test_client=world.clients["co"])
    elsewhere = socketio.test_client(world.app, auth=by_id, flask_test_client=world.fresh("co"))
    assert here.is_connected() and elsewhere.is_connected()
    ok(here, "add_team", {"name": "Cor's"})
    # the second console as if it were on another process: this one forgets it while the co-facilitator is removed
    mine = [c for c in world.svc.publisher.connections.values() if c.workshop_id == workshop_id and c.account]
    elsewhere_conn = world.svc.publisher.connections.pop(mine[-1].sid)

    owner = world.clients["owner"]
    page = owner.get(f"/w/{workshop_id}").get_data(as_text=True)
    assert 'data-testid="co-facilitators"' in page and "Cor Co" in page and "cor@example.org" in page
    response = owner.post(f"/w/{workshop_id}/co-facilitators/{world.who['co'].id}/remove",
                          data={"csrf_token": "token", "next": f"/w/{workshop_id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith("?co=removed#co-facilitators")
    assert world.svc.co_facilitators(workshop_id) == []
    assert not here.is_connected()  # closed on this process at once

    world.svc.publisher.connections[elsewhere_conn.sid] = elsewhere_conn
    answer = ack(elsewhere, "add_team", {"name": "Too late"})
    assert answer["error"]["code"] == "not_your_workshop"
    assert answer["error"]["message"] == "You are not a facilitator of this workshop."
    assert not socketio.test_client(world.app, auth=by_id, flask_test_client=world.clients["co"]).is_connected()
    assert world.clients["co"].get(f"/w/{workshop_id}").status_code == 404
    assert f"/w/{workshop_id}" not in world.clients["co"].get("/").get_data(as_text=True)


def test_co_facilitators_are_added_by_e_mail_in_the_facilitators_words_in_both_languages(world):
    workshop_id, key = world.workshop()
    owner = world.clients["owner"]

    def add(email: str, lang: str = "en") -> str:
        response = owner.post(f"/w/{workshop_id}/co-facilitators", data={"csrf_token": "token", "email": email,
                                                                          "next": f"/f/{key}"})
        assert response.status_code == 303 and response.headers["Location"].startswith(f"/f/{key}?co=")
        page = owner.get(response.headers["Location"], headers={"Accept-Language": lang})
        return page.get_data(as_text=True)

    assert "Added: they now see this workshop" in add(OTHER)
    assert world.svc.co_facilitators(workshop_id) == [world.who["co"].id, world.who["other"].id]
    assert "This facilitator is a co-facilitator already." in add(" OTTO@example.org ")
    assert "This facilitator owns the workshop already." in add(OWNER)
    assert "There is no facilitator with this e-mail address." in add("nobody@example.org")
    with owner.session_transaction() as sess:
        sess["lang"] = "nl"
    assert "Er is geen begeleider met dit e-mailadres." in add("nobody@example.org")
    with owner.session_transaction() as sess:
        sess["lang"] = "en"
    # Otto now runs it, on his own devices, and sees it in his history; a co-facilitator does not share it further
    assert world.clients["other"].get(f"/w/{workshop_id}").status_code == 200
    assert f"/w/{workshop_id}" in world.fresh("other").get("/").get_data(as_text=True)
    co_page = world.clients["co"].get(f"/w/{workshop_id}").get_data(as_text=True)
    assert 'data-testid="co-facilitators"' not in co_page
    refused = world.clients["co"].post(f"/w/{workshop_id}/co-facilitators", data={"csrf_token": "token",
                                                                                    "email": FACILITATOR_EMAIL})
    assert refused.status_code == 403
    assert "Only the workshop&#39;s owner or an administrator" in refused.get_data(as_text=True)
    with world.clients["co"].session_transaction() as sess:
        sess["lang"] = "nl"
    refused = world.clients["co"].post(f"/w/{workshop_id}/co-facilitators", data={"csrf_token": "token",
                                                                                    "email": FACILITATOR_EMAIL})
    assert refused.status_code == 403 and "Alleen de eigenaar van de workshop" in refused.get_data(as_text=True)


def test_deck_pages_for_another_facilitator_say_why_in_both_languages_and_the_list_names_owners(world):
    deck_id = world.deck()
    assert world.svc.decks.owner(deck_id) == world.who["owner"].id
    other = world.clients["other"]
    refused = other.post(f"/decks/{deck_id}/delete", data={"csrf_token": "token"})
    assert refused.status_code == 403 and deck_id in world.svc.decks
    assert "Only the one who made this deck, or an administrator" in refused.get_data(as_text=True)
    with other.session_transaction() as sess:
        sess["lang"] = "nl"
    refused = other.get(f"/decks/{deck_id}/cards/new")
    assert refused.status_code == 403 and "Alleen wie deze stapel maakte" in refused.get_data(as_text=True)
    with other.session_transaction() as sess:
        sess["lang"] = "en"
    listing = other.get("/decks").get_data(as_text=True)
    row = listing[listing.index(f'data-deck-id="{deck_id}"'):]
    row = row[:row.index("</tr>")]
    assert "by Olga Owner" in row and ">View<" in row and ">Edit<" not in row and "Duplicate" in row
    mine = world.clients["owner"].get("/decks").get_data(as_text=True)
    row = mine[mine.index(f'data-deck-id="{deck_id}"'):]
    row = row[:row.index("</tr>")]
    assert ">yours<" in row and ">Edit<" in row
    page = other.get(f"/decks/{deck_id}").get_data(as_text=True)
    assert 'data-testid="not-yours"' in page and 'id="deck-form"' not in page and 'id="add-card"' not in page
    # an import that names Olga's deck with "replace" does not overwrite it: the id is taken
    text = world.svc.decks.source(deck_id)
    response = other.post("/decks/import", data={"csrf_token": "token", "replace": "on",
                                                 "file": (io.BytesIO(text.encode()), "x.yaml")})
    assert response.status_code == 400 and world.svc.decks.owner(deck_id) == world.who["owner"].id
    copy = other.post(f"/decks/{deck_id}/duplicate", data={"csrf_token": "token"})
    copy_id = copy.headers["Location"].split("/decks/", 1)[1].split("?", 1)[0]
    assert world.svc.decks.owner(copy_id) == world.who["other"].id  # a duplicate is the duplicater's


