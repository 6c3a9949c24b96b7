"""The socket handlers through Flask-SocketIO's test client: rooms, acknowledgements and
what each role receives, over a whole workshop with three teams and two cards."""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from game.service import screen_key_from
from game.web.realtime import socketio

from .conftest import create_workshop


def states(client):
    """The game_state payloads a test client received since the last call."""
    return [m["args"][0] for m in client.get_received() if m["name"] == "game_state"]


def last_state(client):
    """The newest game_state a client received (and forget the rest)."""
    received = states(client)
    assert received, "no game_state received"
    return received[-1]


def ack(client, event, payload=None):
    """Emit and return the acknowledgement."""
    return client.emit(event, payload if payload is not None else {}, callback=True)


def ok(client, event, payload=None):
    """Emit, assert it was accepted, return the acknowledgement."""
    answer = ack(client, event, payload)
    assert answer and answer.get("ok"), (event, answer)
    return answer


class Room:
    """A facilitator, a screen and phones connected to one workshop."""

    def __init__(self, app, client):
        self.app = app
        self.key = create_workshop(client)
        self.state = app.extensions["aandacht"].state
        self.facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": self.key})
        self.screen = socketio.test_client(app, auth={"role": "screen", "key": screen_key_from(self.key)})
        assert self.facilitator.is_connected() and self.screen.is_connected()
        self.code = last_state(self.facilitator)["workshop"]["code"]
        self.workshop_id = app.extensions["aandacht"].store.workshop_id_by_code(self.code)
        self.phones = {}

    def phone(self, name, token=None):
        """Connect a phone and join with a name; return (client, ack)."""
        phone = socketio.test_client(self.app, auth={"role": "player", "code": self.code, "token": token})
        assert phone.is_connected()
        answer = ok(phone, "join_workshop", {"name": name}) if token is None else None
        self.phones[name] = phone
        return phone, answer

    def drain(self):
        for c in [self.facilitator, self.screen, *self.phones.values()]:
            c.get_received()


@pytest.fixture
def room(app, client):
    return Room(app, client)


def test_connect_refuses_bad_keys_and_codes(app, room):
    for auth in (
        {"role": "facilitator", "key": "wrong"},
        {"role": "screen", "key": room.key},  # the facilitator key does not open the screen role
        {"role": "player", "code": "ZZZZZZ"},
        {"role": "boss"},
        "not a dict",
        None,
    ):
        c = socketio.test_client(app, auth=auth)
        assert not c.is_connected()


def test_phone_code_is_forgiving(app, room):
    phone = socketio.test_client(app, auth={"role": "player", "code": room.code.lower(), "token": None})
    assert phone.is_connected()
    received = phone.get_received()
    assert received[0]["name"] == "player_info" and received[0]["args"][0] == {"player": None}
    assert received[1]["args"][0]["role"] == "guest"


def play_round(room, round_index, picks, locks):
    """Deal a card; ``picks`` and ``locks`` map phone names to response ids (in the phone's shuffled order)."""
    f = room.facilitator
    ok(f, "deal_card", {"round": round_index})
    for name, response in picks.items():
        ok(
            room.phones[name],
            "submit_pick",
            {"round": round_index, "response_id": response, "pick_id": f"{name}-{round_index}"},
        )
    for name, (response, why) in locks.items():
        ok(room.phones[name], "lock_in", {"round": round_index, "response_id": response, "why": why})


def test_a_whole_workshop_three_teams_two_cards(app, room, clock):
    f, screen = room.facilitator, room.screen
    ok(f, "add_team", {"name": "Tea Team"})
    ann, joined = room.phone("Ann")
    assert joined["player"]["name"] == "Ann" and len(joined["token"]) >= 32
    bob, _ = room.phone("Bob")
    cas, _ = room.phone("Cas")
    dee, _ = room.phone("Dee")
    guest_view = last_state(ann)
    assert guest_view["role"] == "guest" and guest_view["teams"][0]["name"] == "Tea Team"
    tea = guest_view["teams"][0]["id"]
    ok(ann, "join_team", {"team_id": tea})
    ok(bob, "join_team", {"team_id": tea})
    blue = ok(cas, "create_team", {"name": "Blue"})["team_id"]
    green = ok(dee, "create_team", {"name": "Green"})["team_id"]
    assert last_state(ann)["role"] == "team"
    lobby = last_state(screen)
    assert [t["name"] for t in lobby["teams"]] == ["Tea Team", "Blue", "Green"]
    assert lobby["teams"][0]["members"] == ["Ann", "Bob"]
    room.drain()

    # card 1: a participant cannot run the round
    assert ack(ann, "deal_card", {"round": 0})["error"]["code"] == "forbidden"
    ok(f, "deal_card", {"round": 0})
    team_view = last_state(ann)
    assert team_view["workshop"]["phase"] == "collecting"
    card = team_view["card"]
    assert "key" not in card["responses"][0] and team_view["reveal"] is None
    assert last_state(screen)["timer"]["remaining"] == 60
    ids = [r["id"] for r in card["responses"]]
    state = room.state(room.workshop_id)
    best = state.card_of(state.current_round).best_response().id
    worst = next(i for i in ids if i != best)

    ok(bob, "submit_pick", {"round": 0, "response_id": worst, "pick_id": "b1"})
    ok(bob, "submit_pick", {"round": 0, "response_id": worst, "pick_id": "b1"})  # a re-sent pick
    mates = last_state(ann)
    assert mates["picks"] == {member_id(mates, "Bob"): worst}
    assert states(cas)[-1]["picks"] == {}  # the other team sees nothing of it
    assert ack(bob, "lock_in", {"round": 0, "response_id": worst})["error"]["code"] == "not_captain"
    ok(ann, "lock_in", {"round": 0, "response_id": best, "why": "<b>guest</b> first"})
    ok(cas, "lock_in", {"round": 0, "response_id": worst, "why": ""})
    screen_view = last_state(screen)
    assert set(screen_view["locked_team_ids"]) == {tea, blue}
    assert "guest" not in repr(screen_view) and screen_view["reveal"] is None
    # green never locks in and makes no pick; the timer runs out
    clock.advance(61)
    assert app.extensions["aandacht"].expire_due() == 1
    assert last_state(f)["workshop"]["phase"] == "locked"
    ok(f, "reveal", {"round": 0})
    revealed = last_state(cas)
    assert revealed["reveal"]["best_id"] == best
    assert {r["id"]: r["count"] for r in revealed["reveal"]["responses"]}[best] == 1
    fac = last_state(f)
    scores = {t["id"]: t["score"] for t in fac["teams"]}
    card_key = {r["id"]: r for r in fac["card"]["responses"]}
    assert scores[tea]["total"] == card_key[best]["total"]
    assert scores[green]["total"] == 0
    ok(
        f,
        "score_team",
        {
            "round": 0,
            "team_id": green,
            "attention": 1,
            "ease": 0,
            "resolution": 0,
            "ownership": 0,
            "proportion": 0,
            "flag": False,
            "bonus": 0,
        },
    )
    ok(
        f,
        "score_team",
        {
            "round": 0,
            "team_id": tea,
            **{d: card_key[best]["key"][d] for d in fac["dimensions"]},
            "flag": False,
            "bonus": 2,
        },
    )
    ok(f, "publish_scores", {"round": 0})
    board = last_state(screen)["leaderboard"]
    assert board[0]["team_id"] == tea and board[0]["points"] == card_key[best]["total"] + 2
    assert last_state(ann)["score"]["bonus"] == 2

    # card 2, with the leaderboard hidden from the room
    ok(f, "set_leaderboard", {"visible": False})
    room.drain()
    ok(f, "deal_card", {"round": 1})
    assert ack(f, "deal_card", {"round": 1})["error"]["code"] == "stale"  # a second device pressed it too
    round2 = last_state(dee)["card"]
    ok(dee, "lock_in", {"round": 1, "response_id": round2["responses"][0]["id"]})
    ann.get_received()
    assert (
        ack(ann, "submit_pick", {"round": 0, "response_id": round2["responses"][0]["id"]})["error"]["code"] == "stale"
    )
    assert last_state(ann)["workshop"]["round"] == 1  # a stale sender gets its view brought up to date
    ok(f, "extend_timer", {"round": 1, "seconds": 30})
    ok(f, "lock_round", {"round": 1})
    ok(f, "reveal", {"round": 1})
    ok(f, "end_workshop")
    final = last_state(screen)
    assert final["workshop"]["phase"] == "finished" and final["podium"]
    assert last_state(ann)["leaderboard"] is not None  # the podium shows everything at the end
    assert ack(f, "deal_card", {"round": 2})["error"]["code"] == "finished"


def member_id(view, name):
    """The id of a team member by name."""
    return next(m["id"] for m in view["team"]["members"] if m["name"] == name)


def test_a_second_workshop_hears_nothing_of_the_first(app, client, room):
    other = Room(app, client)
    other.drain()
    room.phone("Ann")
    ok(room.facilitator, "add_team", {"name": "Only here"})
    assert other.facilitator.get_received() == [] and other.screen.get_received() == []


def test_a_phone_that_reloads_comes_back_as_the_same_player(app, room):
    ann, joined = room.phone("Ann")
    ok(ann, "create_team", {"name": "Red"})
    ann.disconnect()
    again, _ = room.phone("Ann again", token=joined["token"])
    received = again.get_received()
    info = next(m["args"][0] for m in received if m["name"] == "player_info")
    assert info["player"]["id"] == joined["player"]["id"] and info["player"]["team_id"]
    view = [m["args"][0] for m in received if m["name"] == "game_state"][-1]
    assert view["role"] == "team" and view["team"]["name"] == "Red"
    assert ack(again, "join_workshop", {"name": "Dup"})["error"]["code"] == "already_joined"
    assert len(room.state(room.workshop_id).players) == 1


def test_bad_payloads_get_clear_errors(room):
    ann, _ = room.phone("Ann")
    f = room.facilitator
    cases = [
        (ann, "join_team", "nonsense", "invalid"),
        (ann, "join_team", {}, "invalid"),
        (ann, "join_team", {"team_id": 5}, "invalid"),
        (ann, "join_team", {"team_id": "x", "extra": 1}, "invalid"),
        (ann, "create_team", {"name": "x" * 201}, "too_long"),
        (ann, "create_team", {"name": "x" * 40}, "too_long"),
        (ann, "submit_pick", {"round": True, "response_id": "a"}, "invalid"),
        (ann, "submit_pick", {"round": 0, "response_id": "a"}, "stale"),
        (f, "deal_card", {"round": "0"}, "invalid"),
        (f, "deal_card", {"round": 0}, "no_teams"),
        (f, "score_team", {"round": 0}, "invalid"),
        (f, "set_leaderboard", {"visible": "yes"}, "invalid"),
        (f, "submit_pick", {"round": 0, "response_id": "a"}, "forbidden"),
        (room.screen, "add_team", {"name": "x"}, "forbidden"),
    ]
    for sender, event, payload, code in cases:
        answer = ack(sender, event, payload)
        assert answer["ok"] is False and answer["error"]["code"] == code, (event, payload, answer)
        assert answer["error"]["message"]
    guest = socketio.test_client(room.app, auth={"role": "player", "code": room.code})
    assert ack(guest, "submit_pick", {"round": 0, "response_id": "a"})["error"]["code"] == "not_joined"


def test_facilitator_devices_stay_in_sync(app, room):
    laptop, phone = room.facilitator, socketio.test_client(app, auth={"role": "facilitator", "key": room.key})
    phone.get_received()
    ok(laptop, "add_team", {"name": "Red"})
    assert last_state(phone)["teams"][0]["name"] == "Red"


def test_moved_player_changes_room(app, room):
    ann, joined = room.phone("Ann")
    red = ok(ann, "create_team", {"name": "Red"})["team_id"]
    blue = ok(room.facilitator, "add_team", {"name": "Blue"})["team_id"]
    ann.get_received()
    ok(room.facilitator, "move_player", {"player_id": joined["player"]["id"], "team_id": blue})
    received = ann.get_received()
    info = [m["args"][0] for m in received if m["name"] == "player_info"][-1]
    assert info["player"]["team_id"] == blue
    assert [m["args"][0] for m in received if m["name"] == "game_state"][-1]["team"]["id"] == blue
    ok(room.facilitator, "remove_player", {"player_id": joined["player"]["id"]})
    received = ann.get_received()
    assert [m["args"][0] for m in received if m["name"] == "player_info"][-1] == {"player": None, "removed": True}
    assert red


def infos(client):
    """The player_info payloads a test client received since the last call."""
    return [m["args"][0] for m in client.get_received() if m["name"] == "player_info"]


def test_facilitator_renames_a_participant_and_the_phone_hears_it_at_once(app, room):
    ann, joined = room.phone("Ann")
    ok(ann, "create_team", {"name": "Red"})
    bob, _ = room.phone("Bob")
    room.drain()
    pid = joined["player"]["id"]
    red = room.state(room.workshop_id).players[pid].team_id
    ok(room.facilitator, "rename_player", {"player_id": pid, "name": "Anna"})
    assert infos(ann) == [{"player": {"id": pid, "name": "Anna", "team_id": red}}]
    assert infos(bob) == []  # only the renamed phone hears about itself
    assert last_state(room.facilitator)["teams"][0]["members"][0]["name"] == "Anna"
    refused = ack(room.facilitator, "rename_player", {"player_id": pid, "name": "Fuck face"})
    assert refused["error"]["code"] == "name_refused" and "another name" in refused["error"]["message"]
    assert ack(room.facilitator, "rename_player", {"player_id": pid, "name": "x" * 31})["error"]["code"] == "too_long"
    unknown = ack(room.facilitator, "rename_player", {"player_id": "nope", "name": "Zoe"})
    assert unknown["error"]["code"] == "no_such_player"
    for sender in (ann, bob, room.screen):  # a participant can never act as the facilitator
        assert ack(sender, "rename_player", {"player_id": pid, "name": "Boss"})["error"]["code"] == "forbidden"
    assert room.state(room.workshop_id).players[pid].name == "Anna"


def test_a_removed_phone_is_told_why_and_cannot_join_again_until_allowed_back(app, room):
    def phone(device=None, token=None):
        auth = {"role": "player", "code": room.code, "token": token}
        if device is not None:
            auth["device"] = device
        return socketio.test_client(app, auth=auth)

    ann = phone("device-ann")
    joined = ok(ann, "join_workshop", {"name": "Ann"})
    pid = joined["player"]["id"]
    ann.get_received()
    ok(room.facilitator, "remove_player", {"player_id": pid})
    assert infos(ann) == [{"player": None, "removed": True}]
    assert [r["name"] for r in last_state(room.facilitator)["removed"]] == ["Ann"]
    error = ack(ann, "join_workshop", {"name": "Not Ann"})["error"]
    assert error["code"] == "removed" and "removed you" in error["message"]
    # the same phone reloads (its old token, or none): told again at once, its token opens nothing, no new name
    for again in (phone("device-ann", joined["token"]), phone("device-ann")):
        assert infos(again) == [{"player": None, "removed": True}]
        assert ack(again, "join_workshop", {"name": "Someone new"})["error"]["code"] == "removed"
        assert ack(again, "create_team", {"name": "Mine"})["error"]["code"] == "not_joined"
    other = phone("device-bob")
    assert infos(other) == [{"player": None}]
    ok(other, "join_workshop", {"name": "Bob"})
    assert ack(other, "allow_back", {"player_id": pid})["error"]["code"] == "forbidden"
    ok(room.facilitator, "allow_back", {"player_id": pid})
    assert infos(ann) == [{"player": None}]  # the removed phone may join again now
    assert last_state(room.facilitator)["removed"] == []
    assert ok(ann, "join_workshop", {"name": "Ann"})["player"]["name"] == "Ann"
    assert ack(room.facilitator, "allow_back", {"player_id": pid})["error"]["code"] == "no_such_player"


def test_commitments_pass_the_word_filter_like_names(app, room):
    ann, _ = room.phone("Ann")
    ok(ann, "create_team", {"name": "Red"})
    ok(room.facilitator, "end_workshop", {})
    refused = ack(ann, "leave_commitment", {"text": "Tell my boss to fuck off"})
    assert refused["error"]["code"] == "text_refused" and "commitment" in refused["error"]["message"]
    assert room.state(room.workshop_id).commitments == {}
    ok(ann, "leave_commitment", {"text": "Greet every guest by name"})
    assert [c.text for c in room.state(room.workshop_id).commitments.values()] == ["Greet every guest by name"]


def test_an_open_round_from_drafts_to_the_spotlight(app, client):
    """Teams write their own answers: drafts stay in the team, the word filter holds, the facilitator
    scores by hand and puts one answer on the screen."""
    key = create_workshop(client, card=["own-words-train", "spilled-tea"])
    facilitator = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    screen = socketio.test_client(app, auth={"role": "screen", "key": screen_key_from(key)})
    code = last_state(facilitator)["workshop"]["code"]
    phones, ids = {}, {}
    for name in ("Ann", "Bob", "Cas"):
        phones[name] = socketio.test_client(app, auth={"role": "player", "code": code})
        ids[name] = ok(phones[name], "join_workshop", {"name": name})["player"]["id"]
    red = ok(phones["Ann"], "create_team", {"name": "Red"})["team_id"]
    ok(phones["Bob"], "join_team", {"team_id": red})
    blue = ok(phones["Cas"], "create_team", {"name": "Blue"})["team_id"]
    ok(facilitator, "deal_card", {"round": 0})
    for c in (facilitator, screen, *phones.values()):
        c.get_received()

    ann, bob, cas = phones["Ann"], phones["Bob"], phones["Cas"]
    assert ack(bob, "submit_pick", {"round": 0, "response_id": "a"})["error"]["code"] == "invalid"
    ok(bob, "submit_pick", {"round": 0, "text": "Say sorry for the crowd first", "pick_id": "p1", "seq": 1})
    assert last_state(ann)["drafts"] == {ids["Bob"]: "Say sorry for the crowd first"}
    assert "Say sorry" not in str(states(cas)) + str(states(screen))
    refused = ack(cas, "lock_in", {"round": 0, "text": "What a load of shit"})
    assert refused["error"]["code"] == "text_refused" and refused["error"]["message"]
    assert ack(cas, "lock_in", {"round": 0, "text": "x" * 1001})["error"]["code"] == "too_long"  # the payload limit
    assert ack(cas, "lock_in", {"round": 0, "text": "x" * 281})["error"]["code"] == "too_long"
    ok(cas, "lock_in", {"round": 0, "text": "<script>alert(1)</script> Clear the floor, then tickets", "why": "act"})
    assert ack(bob, "lock_in", {"round": 0, "text": "Mine"})["error"]["code"] == "not_captain"
    ok(ann, "lock_in", {"round": 0, "text": "Say sorry for the crowd, pick up the cups, then ask for tickets"})
    view = last_state(facilitator)
    assert view["workshop"]["phase"] == "locked"  # every team locked in
    assert [t["answer"]["text"] for t in view["teams"]] == [
        "Say sorry for the crowd, pick up the cups, then ask for tickets",
        "<script>alert(1)</script> Clear the floor, then tickets",
    ]

    ok(facilitator, "reveal", {"round": 0})
    assert ack(cas, "spotlight", {"round": 0, "team_id": blue})["error"]["code"] == "forbidden"
    assert last_state(facilitator)["teams"][1]["score"]["attention"] == 0  # no key: nothing drafted
    ok(
        facilitator,
        "score_team",
        {
            "round": 0,
            "team_id": blue,
            "attention": 3,
            "ease": 2,
            "resolution": 2,
            "ownership": 3,
            "proportion": 3,
            "bonus": 1,
        },
    )
    ok(facilitator, "spotlight", {"round": 0, "team_id": blue})
    spot = last_state(screen)["reveal"]["spotlight"]
    assert spot == {
        "team_id": blue,
        "name": "Blue",
        "text": "<script>alert(1)</script> Clear the floor, then tickets",
        "why": "act",
    }
    assert last_state(ann)["reveal"]["spotlight"] == spot
    ok(facilitator, "spotlight", {"round": 0, "team_id": None})
    assert last_state(screen)["reveal"]["spotlight"] is None
    ok(facilitator, "publish_scores", {"round": 0})
    assert last_state(cas)["score"]["total"] == 14


# --- captaincy -------------------------------------------------------------------------------------------------


def captain_name(view):
    """The name of the member a team's view marks as captain."""
    return next(m["name"] for m in view["team"]["members"] if m["captain"])


def three_in_red(room):
    """Ann, Bob and Cas in team Red, in that order; Dee alone in Blue. Returns the phones and Red's id."""
    ann, joined = room.phone("Ann")
    room.ann_token = joined["token"]
    red = ok(ann, "create_team", {"name": "Red"})["team_id"]
    bob, _ = room.phone("Bob")
    ok(bob, "join_team", {"team_id": red})
    cas, _ = room.phone("Cas")
    ok(cas, "join_team", {"team_id": red})
    dee, _ = room.phone("Dee")
    ok(dee, "create_team", {"name": "Blue"})
    return ann, bob, cas, dee, red


def test_the_console_makes_anyone_captain_and_a_phone_cannot(app, room):
    ann, bob, cas, dee, red = three_in_red(room)
    f = room.facilitator
    view = last_state(ann)
    assert captain_name(view) == "Ann"
    cas_id = member_id(view, "Cas")
    # a participant's socket is refused, for another player and for themselves
    assert ack(bob, "make_captain", {"player_id": member_id(view, "Bob")})["error"]["code"] == "forbidden"
    assert ack(dee, "make_captain", {"player_id": cas_id})["error"]["code"] == "forbidden"
    assert ack(room.screen, "make_captain", {"player_id": cas_id})["error"]["code"] == "forbidden"
    assert room.state(room.workshop_id).captain(red).name == "Ann"  # nothing changed
    assert ack(f, "make_captain", {"player_id": "nope"})["error"]["code"] == "no_such_player"
    assert ack(f, "make_captain", {"player_id": cas_id, "team_id": red})["error"]["code"] == "invalid"
    ok(f, "make_captain", {"player_id": cas_id})
    assert captain_name(last_state(cas)) == "Cas"
    assert [m["captain"] for m in next(t for t in last_state(f)["teams"] if t["id"] == red)["members"]] == [
        False,
        False,
        True,
    ]
    ok(f, "deal_card", {"round": 0})
    ids = [r["id"] for r in last_state(cas)["card"]["responses"]]
    assert ack(ann, "lock_in", {"round": 0, "response_id": ids[0]})["error"]["code"] == "not_captain"
    ok(cas, "lock_in", {"round": 0, "response_id": ids[0]})


def test_captaincy_passes_after_20_seconds_away_to_the_earliest_connected_member(app, room, clock):
    svc = app.extensions["aandacht"]
    ann, bob, cas, _dee, _red = three_in_red(room)
    ok(room.facilitator, "deal_card", {"round": 0})
    ids = [r["id"] for r in last_state(cas)["card"]["responses"]]
    ok(ann, "submit_pick", {"round": 0, "response_id": ids[0]})
    ann.disconnect()  # the captain's phone goes away (a dead battery) ...
    bob.disconnect()  # ... and so does Bob's, the next to join
    assert svc.captains.check() == 0
    clock.advance(19)
    assert svc.captains.check() == 0  # 19 s: Ann may still come back
    assert captain_name(last_state(cas)) == "Ann"
    clock.advance(1.5)
    assert svc.captains.check() == 1
    view = last_state(cas)
    assert captain_name(view) == "Cas"  # the earliest to join among the connected
    assert svc.captains.check() == 0  # passed once
    ok(cas, "submit_pick", {"round": 0, "response_id": ids[1]})
    ok(room.facilitator, "lock_round", {"round": 0})  # the new captain's pick is the team's answer
    assert last_state(cas)["answer"]["response_id"] == ids[1]


def test_a_captain_back_within_20_seconds_keeps_it_and_a_removed_captain_hands_over_to_a_connected_member(
    app, room, clock
):
    svc = app.extensions["aandacht"]
    ann, bob, cas, _dee, _red = three_in_red(room)
    view = last_state(ann)
    ann_id, bob_id = member_id(view, "Ann"), member_id(view, "Bob")
    ok(room.facilitator, "deal_card", {"round": 0})
    ann.disconnect()
    svc.captains.check()
    clock.advance(15)
    svc.captains.check()
    ann_again = socketio.test_client(app, auth={"role": "player", "code": room.code, "token": room.ann_token})
    assert ann_again.is_connected()
    clock.advance(15)
    assert svc.captains.check() == 0
    assert captain_name(last_state(cas)) == "Ann"
    # Bob's phone is away; the facilitator removes Ann: the rules hand over to Bob, whose phone is away,
    # so captaincy moves on to Cas at once
    bob.disconnect()
    svc.captains.check()
    ok(room.facilitator, "remove_player", {"player_id": ann_id})
    assert captain_name(last_state(cas)) == "Bob"
    assert svc.captains.check() == 1
    assert captain_name(last_state(cas)) == "Cas"
    assert bob_id in svc.state(room.workshop_id).players


def test_a_socket_event_leaves_no_garbage_in_cycles_for_the_full_collection(app, client):
    """Each event runs in a Flask request context for the Socket.IO path, which matches no page. Flask keeps that
    NotFound on the request, and its traceback holds the frames of the event's whole call, the request among their
    locals: a cycle that only a full collection frees, and the server makes those only in quiet moments
    (game/server.py QuietCollector). At 1,000 phones a process, 16 rounds of picks kept some 100,000 objects so."""
    room = Room(app, client)
    phone, _ = room.phone("Fatima")
    room.drain()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable stays in gc.garbage, to be looked at
    try:
        for _ in range(5):
            ack(phone, "sync", {})
        gc.collect()
        kept = Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not {"RequestContext", "NotFound", "frame"} & set(kept), kept.most_common(12)
