"""Persistence: migrations, saving the difference, loading it back, and the version check,
on SQLite and on the real PostgreSQL of this machine."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from game import db
from game.engine import apply, commands as c
from game.engine.state import FACILITATOR, GUEST, Actor, Role
from game.store import Store, VersionConflict, make_engine


def play(state, store):
    """Create the workshop in the store and save a sequence of commands one by one."""
    store.create_workshop(state.workshop, "facilitator-key", "screen-key")
    version = 0
    tokens = {}
    steps = [
        (FACILITATOR, c.AddTeam("red", "Red")),
        (GUEST, c.JoinWorkshop("ann", "Ann")),
        (GUEST, c.JoinWorkshop("bob", "Bob")),
        (Actor(Role.PLAYER, "ann"), c.JoinTeam("red")),
        (Actor(Role.PLAYER, "bob"), c.CreateTeam("blue", "Blue")),
        (FACILITATOR, c.DealCard(0)),
        (Actor(Role.PLAYER, "ann"), c.SubmitPick(0, "a", "p1")),
        (Actor(Role.PLAYER, "ann"), c.LockIn(0, "b", "why not")),
        (FACILITATOR, c.LockRound(0)),
        (FACILITATOR, c.Reveal(0)),
        (FACILITATOR, c.ScoreTeam(0, "red", 3, 3, 2, 3, 3, False, 1)),
        (FACILITATOR, c.PublishScores(0)),
        (FACILITATOR, c.RenameTeam("blue", "Blauw")),
    ]
    for i, (actor, command) in enumerate(steps):
        new = apply(state, actor, command, 5000.0 + i)
        if isinstance(command, c.JoinWorkshop):
            tokens = {command.player_id: f"token-{command.player_id}"}
        with store.transaction() as session:
            version = store.save(session, state, new, version, tokens)
        state, tokens = new, {}
    return state, version


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A migrated store on SQLite or on a fresh PostgreSQL database."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    db.upgrade(engine)
    yield Store(engine)
    engine.dispose()


def test_migrations_create_every_table(store):
    tables = set(inspect(store.engine).get_table_names())
    assert {"workshops", "teams", "players", "rounds", "picks", "answers", "scores", "commitments",
            "removed_players", "alembic_version"} <= tables
    assert db.is_current(store.engine)


def test_save_and_load_round_trip(store, state):
    final, version = play(state, store)
    loaded, loaded_version = store.load(final.workshop.id)
    assert loaded_version == version == 13
    assert loaded == final


def test_commitments_round_trip(store, state):
    final, version = play(state, store)
    steps = [
        (FACILITATOR, c.EndWorkshop()),
        (Actor(Role.PLAYER, "ann"), c.LeaveCommitment("Greet every guest by name")),
        (FACILITATOR, c.ReviewCommitment("ann", True)),
    ]
    for i, (actor, command) in enumerate(steps):
        new = apply(final, actor, command, 9000.0 + i)
        with store.transaction() as session:
            version = store.save(session, final, new, version)
        final = new
    loaded = store.load(final.workshop.id)[0]
    assert loaded == final and loaded.commitments["ann"].approved is True


def test_lookups(store, state):
    final, _ = play(state, store)
    wid = final.workshop.id
    assert store.workshop_id_by_code("ABCDEF") == wid
    assert store.workshop_id_by_key("facilitator", "facilitator-key") == wid
    assert store.workshop_id_by_key("screen", "screen-key") == wid
    assert store.workshop_id_by_key("screen", "facilitator-key") is None
    assert store.player_by_token(wid, "token-ann") == "ann"
    assert store.player_by_token(wid, "token-nobody") is None
    assert store.code_in_use("ABCDEF") and not store.code_in_use("ZZZZZZ")


def test_a_stale_version_is_refused_and_nothing_is_written(store, state):
    final, version = play(state, store)
    changed = apply(final, FACILITATOR, c.RenameTeam("red", "Rood"), 9000.0)
    with pytest.raises(VersionConflict), store.transaction() as session:
        store.save(session, final, changed, version - 1)
    assert store.load(final.workshop.id)[0].teams["red"].name == "Red"


def test_removed_player_is_deleted(store, state):
    final, version = play(state, store)
    changed = apply(final, FACILITATOR, c.RemovePlayer("ann"), 9000.0)
    with store.transaction() as session:
        store.save(session, final, changed, version)
    loaded = store.load(final.workshop.id)[0]
    assert "ann" not in loaded.players and (0, "ann") not in loaded.picks and "ann" not in loaded.commitments
    assert loaded.answers[(0, "red")].why == "why not"  # the team's answer stays


def test_removed_participants_and_devices_round_trip(store, state):
    """A removed participant's phone stays refused after a restart (a fresh store), until allowed back."""
    final, version = play(state, store)
    joined = apply(final, GUEST, c.JoinWorkshop("cas", "Cas", "device-cas"), 9000.0)
    removed = apply(joined, FACILITATOR, c.RemovePlayer("cas"), 9001.0)
    with store.transaction() as session:
        version = store.save(session, final, joined, version, {"cas": "token-cas"})
        version = store.save(session, joined, removed, version)
    assert store.load(final.workshop.id)[0].players["ann"].device == ""
    loaded = Store(store.engine).load(final.workshop.id)[0]
    assert loaded == removed and loaded.removed["cas"].name == "Cas" and loaded.removed_device("device-cas")
    assert store.player_by_token(final.workshop.id, "token-cas") is None  # the removed phone's token is gone
    back = apply(loaded, FACILITATOR, c.AllowBack("cas"), 9002.0)
    with store.transaction() as session:
        store.save(session, loaded, back, version)
    assert store.load(final.workshop.id)[0].removed == {}
    store.delete_workshop(final.workshop.id)
    assert store.load(final.workshop.id) is None


def test_deadlines_survive_a_restart(store, state):
    s = apply(state, FACILITATOR, c.AddTeam("red", "Red"), 1.0)
    store.create_workshop(state.workshop, "k1", "k2")
    with store.transaction() as session:
        version = store.save(session, state, s, 0)
    s2 = apply(s, GUEST, c.JoinWorkshop("ann", "Ann"), 2.0)
    s3 = apply(s2, Actor(Role.PLAYER, "ann"), c.JoinTeam("red"), 3.0)
    s4 = apply(s3, FACILITATOR, c.DealCard(0), 100.0)
    with store.transaction() as session:
        version = store.save(session, s, s2, version, {"ann": "t"})
        version = store.save(session, s2, s4, version)
    fresh = Store(store.engine)  # a new process would build a new store
    assert fresh.active_deadlines() == [(state.workshop.id, 0, 160.0)]


def test_delete_workshop(store, state):
    final, _ = play(state, store)
    store.delete_workshop(final.workshop.id)
    assert store.load(final.workshop.id) is None
    assert store.workshop_id_by_code("ABCDEF") is None


def test_downgrade_and_upgrade_again(tmp_path):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade(engine)
    cfg = db.alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "workshops" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    assert db.is_current(engine)
    engine.dispose()


def insert_old_workshop(conn) -> None:
    """Workshop 'w0' as an early schema stored it (only the columns every schema since 0001 has)."""
    conn.exec_driver_sql(
        "INSERT INTO workshops (id, code, facilitator_key_hash, screen_key_hash, title, deck_id, cards, settings,"
        " phase, round_index, leaderboard_visible, created_at, version)"
        " VALUES ('w0', 'QQQQQQ', 'f', 's', 'Old', 'd', '[]', '{}', 'lobby', -1, 1, 1.0, 0)"
    )


def test_upgrade_keeps_data_from_an_older_schema(tmp_path, state):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = db.alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        insert_old_workshop(conn)
    db.upgrade(engine)
    assert db.is_current(engine)
    assert Store(engine).workshop_id_by_code("QQQQQQ") == "w0"
    engine.dispose()


def test_the_facilitators_time_zone_is_kept_with_the_workshop(store, state):
    """The time zone the report and the CSV give their times in lives in the workshop's settings (JSON): no new
    column; a workshop saved before it existed loads with none (the report then takes the server's)."""
    import json
    from dataclasses import replace

    from sqlalchemy import text

    zoned = replace(state, workshop=replace(state.workshop, settings=replace(state.workshop.settings,
                                                                             time_zone="Europe/Amsterdam")))
    final, _version = play(zoned, store)
    loaded, _ = store.load(final.workshop.id)
    assert loaded.workshop.settings.time_zone == "Europe/Amsterdam" and loaded == final
    with store.transaction() as session:  # as an older version wrote it: no time_zone key in the settings
        old = {k: v for k, v in final.workshop.settings.to_dict().items() if k != "time_zone"}
        session.execute(text("UPDATE workshops SET settings = :s WHERE id = :w"),
                        {"s": json.dumps(old), "w": final.workshop.id})
    assert store.load(final.workshop.id)[0].workshop.settings.time_zone == ""


def test_the_chosen_join_address_is_kept_with_the_workshop(store, state):
    final, version = play(state, store)
    wid = final.workshop.id
    assert store.join_base(wid) is None  # found automatically until the facilitator chooses
    assert store.set_join_base(wid, "http://192.168.1.20:5000") is True
    again = Store(store.engine)  # another process (or the server after a restart) reads the same
    assert again.join_base(wid) == "http://192.168.1.20:5000"
    assert again.load(wid)[1] == version  # not a change of the game: no page's view is out of date by it
    assert store.set_join_base(wid, None) is True
    assert again.join_base(wid) is None
    assert store.set_join_base("nope", "http://10.0.0.5") is False


def test_a_captain_is_stored_and_a_leaving_captain_clears_it(store, state):
    final, version = play(state, store)
    steps = [
        (GUEST, c.JoinWorkshop("cas", "Cas")),
        (Actor(Role.PLAYER, "cas"), c.JoinTeam("red")),
        (FACILITATOR, c.MakeCaptain("cas")),
    ]
    for i, (actor, command) in enumerate(steps):
        new = apply(final, actor, command, 9000.0 + i)
        with store.transaction() as session:
            version = store.save(session, final, new, version, {"cas": "token-cas"} if i == 0 else None)
        final = new
    loaded = Store(store.engine).load(final.workshop.id)[0]
    assert loaded == final and loaded.teams["red"].captain_id == "cas" and loaded.captain("red").id == "cas"
    new = apply(final, FACILITATOR, c.RemovePlayer("cas"), 9100.0)
    with store.transaction() as session:
        store.save(session, final, new, version)
    loaded = Store(store.engine).load(final.workshop.id)[0]
    assert loaded.teams["red"].captain_id is None and loaded.captain("red").id == "ann"


def test_teams_from_before_captains_were_stored_keep_the_earliest_as_captain(tmp_path):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'captains.sqlite3'}")
    cfg = db.alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        insert_old_workshop(conn)
        conn.exec_driver_sql("INSERT INTO teams (id, workshop_id, name, created_at) VALUES ('t', 'w0', 'Red', 1.0)")
        for pid, at in (("bob", 3.0), ("ann", 2.0)):
            conn.exec_driver_sql(
                "INSERT INTO players (id, workshop_id, token_hash, name, team_id, joined_at, team_joined_at)"
                f" VALUES ('{pid}', 'w0', 'h-{pid}', '{pid.title()}', 't', {at}, {at})"
            )
    db.upgrade(engine)
    loaded = Store(engine).load("w0")[0]
    assert loaded.teams["t"].captain_id is None and loaded.captain("t").id == "ann"
    engine.dispose()


def test_a_stopped_timers_time_left_and_a_new_team_size_are_stored(store, state):
    s = apply(state, FACILITATOR, c.AddTeam("red", "Red"), 1.0)
    store.create_workshop(state.workshop, "k1", "k2")
    steps = [
        (GUEST, c.JoinWorkshop("ann", "Ann")),
        (Actor(Role.PLAYER, "ann"), c.JoinTeam("red")),
        (FACILITATOR, c.DealCard(0)),
        (FACILITATOR, c.StopTimer(0)),
        (FACILITATOR, c.SetTeamSize(9)),
    ]
    with store.transaction() as session:
        version = store.save(session, state, s, 0)
    for i, (actor, command) in enumerate(steps):
        new = apply(s, actor, command, 100.0 + i * 10)
        with store.transaction() as session:
            version = store.save(session, s, new, version, {"ann": "t"} if i == 0 else None)
        s = new
    loaded = Store(store.engine).load(s.workshop.id)[0]
    assert loaded == s
    assert loaded.current_round.timer_left == 50.0 and loaded.workshop.settings.team_size == 9


def test_decks_and_workshops_from_before_accounts_go_to_the_first_administrator_and_their_links_keep_working(
        tmp_path, clock):
    """Migrations 0012/0013 on a database of 0011: the deck and the workshop have no owner until the set-up link
    makes the first administrator, who then owns both (``adopt_orphans``); the workshop's old console link opens for
    them (generation 0: the screen key from the console key's text), the screen link for the projector, and both are
    renewed like any other."""
    import json

    from alembic import command

    from game.decks import default_scenarios_dir, load_deck
    from game.library import deck_to_data, dump_deck
    from game.service import screen_key_from
    from game.store import hash_secret
    from game.web import create_app
    from game.web.realtime import socketio

    from .conftest import form_token, make_card

    url = f"sqlite:///{tmp_path / 'before-accounts.sqlite3'}"
    engine = make_engine(url)
    cfg = db.alembic_config(str(engine.url))
    deck = load_deck(next(default_scenarios_dir().glob("*.yaml")))
    data = {**deck_to_data(deck), "id": "old-deck"}
    old_key = "an-old-random-console-key"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
        conn.exec_driver_sql("INSERT INTO decks (id, title, yaml, created_at, updated_at, version)"
                             " VALUES ('old-deck', 'Old', ?, 1.0, 1.0, 1)", (dump_deck(data),))
        conn.exec_driver_sql(
            "INSERT INTO workshops (id, code, facilitator_key_hash, screen_key_hash, title, deck_id, cards, settings,"
            " phase, round_index, leaderboard_visible, created_at, updated_at, version)"
            " VALUES ('w0', 'QQQQQQ', ?, ?, 'Old', 'old-deck', ?, '{}', 'lobby', -1, 1, ?, ?, 0)",
            (hash_secret(old_key), hash_secret(screen_key_from(old_key)), json.dumps([make_card("one").to_dict()]),
             clock.now, clock.now),
        )
    engine.dispose()

    app = create_app({"TESTING": True, "DATABASE_URL": url, "ASYNC_MODE": "threading", "SECRET_KEY": "test-secret",
                      "CLOCK": clock, "PUBLIC_URL": "http://aandacht.test"})
    svc = app.extensions["aandacht"]
    try:
        assert db.is_current(svc.store.engine)
        assert svc.store.deck_owner("old-deck") is None and svc.decks.owner("old-deck") is None
        assert svc.store.workshop_access("w0") == (None, []) and svc.store.link_generation("w0") == 0
        assert svc.store.preset_teams("w0") is None
        client = app.test_client()
        assert client.get(f"/f/{old_key}").status_code == 503  # not set up: only the set-up link answers

        token = app.extensions["aandacht.accounts"].new_setup_token()  # what the server prints at start
        page = client.get(f"/setup/{token}").get_data(as_text=True)
        done = client.post(f"/setup/{token}", data={"csrf_token": form_token(page), "name": "Ada Admin",
                                                    "email": "ada@example.org", "password": "a long password",
                                                    "password2": "a long password"})
        assert done.status_code == 303
        admin = app.extensions["aandacht.accounts"].user_by_email("ada@example.org")
        assert admin.is_admin
        assert svc.decks.owner("old-deck") == admin.id and svc.store.workshop_access("w0") == (admin.id, [])
        assert svc.adopt_orphans("someone-else") == (0, 0)  # nothing is left without an owner

        console = client.get(f"/f/{old_key}")  # the administrator's, on a device that never opened it
        assert console.status_code == 200 and f"/s/{screen_key_from(old_key)}" in console.get_data(as_text=True)
        projector = app.test_client()  # no account: the screen link is a bearer link
        assert projector.get(f"/s/{screen_key_from(old_key)}").status_code == 200
        socket = socketio.test_client(app, auth={"role": "facilitator", "key": old_key}, flask_test_client=client)
        assert socket.is_connected()
        assert app.test_client().get(f"/f/{old_key}").status_code == 302  # a stranger signs in first
        assert any(row["id"] == "w0" for row in svc.history(admin))  # in the administrator's history

        links = svc.revoke_links("w0")  # renewed: generation 1, derived keys; the old ones say "replaced"
        assert links.generation == 1 and svc.store.link_generation("w0") == 1
        assert client.get(f"/f/{old_key}").status_code == 410
        assert client.get(f"/f/{links.facilitator_key}").status_code == 200
        assert client.get(f"/s/{links.screen_key}").status_code == 200
    finally:
        svc.store.engine.dispose()


def test_owners_co_facilitators_history_and_renewed_links_are_stored(store, state):
    """The queries of ownership and the links (game/rights.py, Service.history, Service.revoke_links) on SQLite and
    PostgreSQL: a facilitator's own and co-run workshops newest first with their counts, adopting what has no
    owner, and a new generation of links that keeps the old keys as replaced."""
    from dataclasses import replace

    final, _version = play(state, store)  # owned by nobody: made as before accounts
    wid = final.workshop.id
    mine = replace(state.workshop, id="w2", code="GHJKMN", title="Mine", created_at=2000.0)
    store.create_workshop(mine, "k2", "s2", owner_id="u1", generation=1, preset_teams=["Red", "Blue"])
    theirs = replace(state.workshop, id="w3", code="PQRSTU", title="Theirs", created_at=3000.0)
    store.create_workshop(theirs, "k3", "s3", owner_id="u2", generation=1)
    assert store.add_co_facilitator("w3", "u1", 5.0) and not store.add_co_facilitator("w3", "u1", 6.0)

    rows = store.facilitator_workshops("u1")
    assert [(r["id"], r["role"]) for r in rows] == [("w3", "co-facilitator"), ("w2", "owner")]
    assert rows[1]["cards"] == len(state.workshop.cards) and rows[1]["players"] == 0 and rows[1]["teams"] == 0
    assert store.facilitator_workshops("u2")[0]["id"] == "w3" and store.facilitator_workshops("u3") == []
    assert store.preset_teams("w2") == ["Red", "Blue"] and store.preset_teams(wid) is None

    assert store.workshop_access(wid) == (None, []) and store.adopt_orphans("admin") == (0, 1)
    assert store.workshop_access(wid) == ("admin", []) and store.workshop_access("w3") == ("u2", ["u1"])
    assert [r["players"] for r in store.facilitator_workshops("admin")] == [len(final.players)]

    assert store.record_link_device("d1", "w2", "screen", 1, "Firefox on Linux", 10.0)
    assert not store.record_link_device("d2", "w2", "screen", 0, "Old", 10.0)  # not the current generation
    assert store.replace_links("w2", 1, "k2-new", "s2-new", 20.0)
    assert not store.replace_links("w2", 1, "again", "again", 21.0)  # the generation moved on
    assert store.link_generation("w2") == 2 and store.link_devices("w2") == []
    assert store.workshop_id_by_key("facilitator", "k2") is None and store.replaced_link("k2") == ("w2", "facilitator")
    assert store.replaced_link("s2") == ("w2", "screen") and store.workshop_id_by_key("screen", "s2-new") == "w2"
    assert store.remove_co_facilitator("w3", "u1") and not store.remove_co_facilitator("w3", "u1")
    store.delete_workshop("w2")
    assert store.replaced_link("k2") is None and store.workshop_access("w2") is None


def test_a_bare_postgresql_address_uses_the_installed_driver_and_writes_changed_rows_in_pages(pg_url, monkeypatch):
    """``postgresql://`` (as hosting panels give it) means psycopg 3 to SQLAlchemy 2.1, which is not installed; the
    store names psycopg2, the driver that waits cooperatively under eventlet. Changed rows, one UPDATE executed for
    each, go to the server in pages (psycopg2's execute_batch), not one round trip per row."""
    import psycopg2.extras
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    pages = []
    batch = psycopg2.extras.execute_batch
    monkeypatch.setattr(psycopg2.extras, "execute_batch", lambda cur, sql, args, page_size=100: (
        pages.append(page_size) or batch(cur, sql, args, page_size)))
    bare = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_engine(bare)
    try:
        assert engine.dialect.driver == "psycopg2"
        with engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE paged (id INTEGER PRIMARY KEY, v INTEGER)"))
            conn.execute(text("INSERT INTO paged SELECT g, 0 FROM generate_series(1, 250) g"))
            conn.execute(text("UPDATE paged SET v = :v WHERE id = :id"), [{"id": i, "v": i} for i in range(1, 251)])
            assert conn.execute(text("SELECT count(*) FROM paged WHERE v = id")).scalar() == 250
        assert pages == [100]  # one executemany, sent 100 rows a round trip
    finally:
        engine.dispose()
