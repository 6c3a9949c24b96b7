"""With several processes each serves its own sockets: a publication builds and sends only the views of the rooms
with a socket in this process (on 3 processes, a third of a keynote's 600 team views each, not all of them in
every process). The server here is real (the service, the publisher, the engine); the Socket.IO transport is the
recorder of tests/test_pacing.py."""

from __future__ import annotations

import pytest

from game.engine import Settings, commands as c
from game.engine.state import FACILITATOR, GUEST, Actor, Role
from game.publish import GAME_STATE, Connection
from game.service import Service

from .test_pacing import open_page, recorded_service


@pytest.fixture
def three_teams(tmp_path):
    svc, transport = recorded_service(tmp_path / "local.sqlite3")
    wid = svc.create_workshop("Local", "aandacht-basis", ["spilled-tea"], Settings(team_size=2),
                              ["Red", "Blue", "Green"]).workshop.id
    teams = {t.name: t.id for t in svc.state(wid).teams.values()}
    for pid, team in (("ann", "Red"), ("bob", "Blue"), ("cem", "Green")):
        svc.execute(wid, GUEST, c.JoinWorkshop(pid, pid.title()), {pid: "token-" + pid})
        svc.execute(wid, Actor(Role.PLAYER, pid), c.JoinTeam(teams[team]))
    yield svc, transport, wid, teams
    svc.store.engine.dispose()


def phone(svc: Service, wid: str, player_id: str) -> Connection:
    return open_page(svc, wid, f"sid-{player_id}", "player", player_id=player_id)


def test_a_publication_builds_and_sends_only_the_team_views_of_phones_in_this_process(three_teams):
    svc, transport, wid, teams = three_teams
    open_page(svc, wid, "console", "facilitator", paced=False)
    phone(svc, wid, "ann")  # only Red has a phone here; Blue's and Green's are on other processes
    published = []
    publish = svc.publisher.publish
    svc.publisher.publish = lambda state, views, version=None: published.append(views) or publish(state, views, version)
    transport.got.clear()

    svc.execute(wid, FACILITATOR, c.DealCard(0))
    svc.execute(wid, Actor(Role.PLAYER, "bob"), c.SubmitPick(0, "b", "b1", 1))
    assert [views.teams.built() for views in published] == [1, 1]  # Red's view, for its phone; no other team's
    assert set(transport.got) == {"console", "sid-ann"}  # nothing emitted to a room without a socket here
    assert [v["card"]["id"] for v in transport.of("sid-ann", GAME_STATE)] == ["spilled-tea"]  # Bob's pick: not Red's
    console = transport.of("console", GAME_STATE)[-1]
    assert {t["name"]: t["picks"] for t in console["teams"]} == {"Red": {}, "Blue": {"bob": "b"}, "Green": {}}

    transport.got.clear()
    phone(svc, wid, "bob")  # Blue's phone comes to this process: it gets its view, then every change of it
    assert transport.of("sid-bob", GAME_STATE)[-1]["picks"] == {"bob": "b"}
    svc.execute(wid, Actor(Role.PLAYER, "bob"), c.SubmitPick(0, "c", "b2", 2))
    assert transport.of("sid-bob", GAME_STATE)[-1]["picks"] == {"bob": "c"}
    assert published[-1].teams.built() == 2 and len(published[-1].teams) == 3
    assert dict(published[-1].teams)[teams["Green"]]["team"]["name"] == "Green"  # built when asked for
