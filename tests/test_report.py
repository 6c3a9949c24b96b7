"""The printable report and the CSV export: built from a played workshop, drawn without any network."""

from __future__ import annotations

import csv
import io

from game.report import CSV_HEADER, csv_export, report_data
from game.web.realtime import socketio

from .test_sockets import Room, last_state, ok


def played(app, client):
    """A workshop with two teams through two cards, scores published, ended, with commitments."""
    room = Room(app, client)
    f = room.facilitator
    ann, _ = room.phone("Ann")
    bob, _ = room.phone("=HYPERLINK(x)")  # a name a spreadsheet would run as a formula
    ok(ann, "create_team", {"name": "<b>Front</b> desk"})
    ok(bob, "create_team", {"name": "Kitchen"})
    for index in (0, 1):
        ok(f, "deal_card", {"round": index})
        state = room.state(room.workshop_id)
        card = state.card_of(state.current_round)
        best = card.best_response().id
        other = next(r.id for r in card.responses if not r.best)
        ok(ann, "lock_in", {"round": index, "response_id": best, "why": "Guest first, <script>x</script>"})
        ok(bob, "lock_in", {"round": index, "response_id": other, "why": "-1 cheaper"})
        ok(f, "reveal", {"round": index})
        ok(f, "publish_scores", {"round": index})
    ok(f, "end_workshop")
    ok(ann, "leave_commitment", {"text": "Greet every guest by name"})
    ok(bob, "leave_commitment", {"text": "Hidden one"})
    players = {m["name"]: m["player_id"] for m in last_state(f)["commitments"]}
    ok(f, "review_commitment", {"player_id": players["Ann"], "approved": True})
    ok(f, "review_commitment", {"player_id": players["=HYPERLINK(x)"], "approved": False})
    return room


def test_report_shows_cards_teams_commitments_and_insights(app, client):
    room = played(app, client)
    page = client.get(f"/f/{room.key}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    state = room.state(room.workshop_id)
    for rnd in state.rounds:
        card = state.card_of(rnd)
        assert card.title.en in html and card.lesson.en in html
    assert "&lt;b&gt;Front&lt;/b&gt; desk" in html and "<b>Front</b>" not in html  # text, never markup
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Greet every guest by name" in html and "Hidden one" not in html  # only approved commitments
    assert "Insights for management" in html and "The best response was chosen 2 out of 4" in html
    assert html.count('class="bar"') >= 5 and "http" not in html.split("<body>")[1].split("Download")[0]
    assert client.get("/f/not-a-key/report").status_code == 404


def test_report_data_profiles_match_the_debrief(app, client):
    room = played(app, client)
    state = room.state(room.workshop_id)
    data = report_data(state)
    assert [t["name"] for t in data["teams"]] == ["<b>Front</b> desk", "Kitchen"]
    front = data["teams"][0]["profile"]
    assert all(front[d] == 3.0 for d in front)  # the best response on both cards scores 3 everywhere
    assert data["leaderboard"][0]["name"] == "<b>Front</b> desk"
    assert data["insights"] and data["commitments"] == [
        {"name": "Ann", "team": "<b>Front</b> desk", "text": "Greet every guest by name"}]


def test_csv_has_every_pick_and_score_and_no_formulas(app, client):
    room = played(app, client)
    response = client.get(f"/f/{room.key}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_HEADER
    kinds = [r[0] for r in rows[1:]]
    assert kinds.count("pick") == 4 and kinds.count("answer") == 4  # 2 teams x 2 cards, each captain's pick
    answers = [dict(zip(CSV_HEADER, r)) for r in rows[1:] if r[0] == "answer"]
    assert {a["why"] for a in answers} == {"Guest first, <script>x</script>", "'-1 cheaper"}
    assert all(a["total"] != "" and a["published"] == "yes" for a in answers)
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    assert "'=HYPERLINK(x)" in text
    assert csv_export(room.state(room.workshop_id)) == text


def test_a_participant_cannot_open_the_report(app, client):
    room = played(app, client)
    code = room.code
    assert client.get(f"/j/{code}/report").status_code == 404
    phone = socketio.test_client(app, auth={"role": "player", "code": code})
    assert phone.is_connected()  # phones have no report: only the facilitator's secret link opens it


def test_history_lists_this_browsers_workshops_until_they_are_deleted(app, client):
    from .conftest import create_workshop

    first = create_workshop(client, title="Monday group")
    second = create_workshop(client, title="Tuesday group")
    home = client.get("/").get_data(as_text=True)
    assert home.index("Tuesday group") < home.index("Monday group")  # newest first
    for key in (first, second):
        assert f"/f/{key}/report" in home and f"/f/{key}/export.csv" in home
    assert app.test_client().get("/").get_data(as_text=True).count("Monday group") == 0  # another browser
    with client.session_transaction() as sess:
        token = sess["csrf"]
    assert client.post(f"/f/{first}/delete", data={"csrf_token": token}).status_code == 303
    home = client.get("/").get_data(as_text=True)
    assert "Monday group" not in home and "Tuesday group" in home
    assert client.get(f"/f/{second}/report").status_code == 200  # reopened: the report can be made again


def test_an_open_card_s_own_answers_are_in_the_report_and_the_csv(app, client):
    from .conftest import create_workshop

    key = create_workshop(client, card=["own-words-train"])
    f = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    code = last_state(f)["workshop"]["code"]
    ann = socketio.test_client(app, auth={"role": "player", "code": code})
    ok(ann, "join_workshop", {"name": "Ann"})
    red = ok(ann, "create_team", {"name": "Red"})["team_id"]
    ok(f, "deal_card", {"round": 0})
    ok(ann, "submit_pick", {"round": 0, "text": "A first draft"})
    ok(ann, "lock_in", {"round": 0, "text": "=Say sorry, then clear the cups", "why": "act"})
    ok(f, "reveal", {"round": 0})
    ok(f, "spotlight", {"round": 0, "team_id": red})
    ok(f, "publish_scores", {"round": 0})
    html = client.get(f"/f/{key}/report").get_data(as_text=True)
    assert "=Say sorry, then clear the cups" in html and "own words" in html and "spotlight" in html
    assert "Best response:" not in html and "An open card" in html
    rows = list(csv.reader(io.StringIO(client.get(f"/f/{key}/export.csv").get_data(as_text=True))))
    texts = [row[CSV_HEADER.index("response")] for row in rows[1:]]
    kinds = [row[0] for row in rows[1:]]
    assert kinds == ["pick", "answer"]  # the captain's pick became the locked-in answer; its draft is gone
    assert texts == ["'=Say sorry, then clear the cups"] * 2  # the team's own words, neutralised for spreadsheets
