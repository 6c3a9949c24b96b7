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
    assert rows[0][:-1] == CSV_HEADER[:-1] and rows[0][-1].startswith("at (")  # the time zone named
    table = rows[1 : rows.index([])]  # then the commitments
    kinds = [r[0] for r in table]
    assert kinds.count("pick") == 4 and kinds.count("answer") == 4  # 2 teams x 2 cards, each captain's pick
    answers = [dict(zip(CSV_HEADER, r, strict=True)) for r in table if r[0] == "answer"]
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


def test_history_lists_the_facilitators_workshops_until_they_are_deleted(app, client, clock):
    from .conftest import create_workshop

    first = create_workshop(client, title="Monday group")
    clock.advance(60)
    second = create_workshop(client, title="Tuesday group")
    home = client.get("/").get_data(as_text=True)
    assert home.index("Tuesday group") < home.index("Monday group")  # newest first
    for key in (first, second):
        wid = app.extensions["aandacht"].store.workshop_id_by_key("facilitator", key)
        assert f"/w/{wid}/report" in home and f"/w/{wid}/export.csv" in home
    assert app.test_client().get("/").get_data(as_text=True).count("Monday group") == 0  # nobody signed in
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


# --- the report tells the same figures as the big screen; the CSV opens in Excel ---------------------------------

# (attention, ease, resolution, ownership, proportion, flag, bonus) per card and team: the room's averages fall on
# a half (5/4 = 1.25, 3/4 = 0.75), three of the four published scores are flagged, and one total is negative (-1)
SCORES = {
    0: {"Front": (3, 2, 1, 0, 2, False, 1), "Café": (0, 0, 0, 0, 0, True, 0)},
    1: {"Front": (1, 1, 1, 1, 1, True, 0), "Café": (1, 0, 1, 1, 0, True, 0)},
}
DIMS = ("attention", "ease", "resolution", "ownership", "proportion")


def scored(app, client, language: str = "en", **form):
    """Two teams through two cards with the SCORES above (whys and a name a spreadsheet would run), ended, with
    one approved, one hidden and one waiting commitment. Returns (key, facilitator, screen client, state getter)."""
    from game.service import screen_key_from

    from .conftest import create_workshop

    key = create_workshop(client, language=language, **form)
    f = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    screen = socketio.test_client(app, auth={"role": "screen", "key": screen_key_from(key)})
    code = last_state(f)["workshop"]["code"]
    svc = app.extensions["aandacht"]
    workshop_id = svc.store.workshop_id_by_code(code)
    phones = {}
    for name, team, why in (("Ann", "Front", "=cmd|' /C calc'!A0"), ("@x", "Café", "-1+2"), ("Cas", None, "")):
        phone = socketio.test_client(app, auth={"role": "player", "code": code})
        ok(phone, "join_workshop", {"name": name})
        if team:
            ok(phone, "create_team", {"name": team})
        phones[name] = (phone, why)
    front = next(t for t in svc.state(workshop_id).teams.values() if t.name == "Front").id
    ok(f, "move_player", {"player_id": next(p.id for p in svc.state(workshop_id).players.values() if p.name == "Cas"),
                          "team_id": front})
    teams = {t.name: t.id for t in svc.state(workshop_id).teams.values()}
    for index in (0, 1):
        ok(f, "deal_card", {"round": index})
        card = svc.state(workshop_id).card_of(svc.state(workshop_id).current_round)
        for n, name in enumerate(("Ann", "@x")):
            phone, why = phones[name]
            ok(phone, "lock_in", {"round": index, "response_id": card.responses[n].id, "why": why})
        ok(f, "reveal", {"round": index})
        for team, (*points, flag, bonus) in SCORES[index].items():
            ok(f, "score_team", {"round": index, "team_id": teams[team], **dict(zip(DIMS, points, strict=True)),
                                 "flag": flag, "bonus": bonus})
        ok(f, "publish_scores", {"round": index})
    ok(f, "end_workshop")
    for name, text in (("Ann", "=Greet every guest by name"), ("@x", "+1+1 smiles a day"), ("Cas", "Ask, then act")):
        ok(phones[name][0], "leave_commitment", {"text": text})
    ids = {p.name: p.id for p in svc.state(workshop_id).players.values()}
    ok(f, "review_commitment", {"player_id": ids["Ann"], "approved": True})
    ok(f, "review_commitment", {"player_id": ids["@x"], "approved": False})
    return key, f, screen, lambda: svc.state(workshop_id)


def shown_by_javascript(value) -> str:
    """What static/js/common.js's formatScore shows for a value: (Math.round(v * 10) / 10).toFixed(1)."""
    import math

    return "–" if value is None else f"{math.floor(value * 10 + 0.5) / 10:.1f}"


def test_the_report_shows_the_figures_the_big_screen_shows(app, client):
    """Averages on a half and flags the facilitator set: the report's numbers are the screen's, digit for digit."""
    import re

    key, _f, screen, _state = scored(app, client)
    screen_view = last_state(screen)
    view = screen_view["debrief"]
    html = client.get(f"/f/{key}/report").get_data(as_text=True)

    # the room's profile: 5/4 shows as 1.3 on the screen (half up) and in the report, not 1.2 in one of them
    room_svg = html[html.index('id="room-profile"'):]
    room_svg = room_svg[: room_svg.index("</svg>")]
    report_room = re.findall(r'class="value">([^<]+) / 3<', room_svg)
    assert report_room == [shown_by_javascript(view["room"][d]) for d in DIMS]
    assert report_room == ["1.3", "0.8", "0.8", "0.5", "0.8"]

    # each team's profile and its flags ("−1" column on the screen, "answers serving the organisation" here)
    for team in view["teams"]:
        figure = html[html.index(f'data-team="{team["name"]}"'):]
        figure = figure[: figure.index("</figure>")]
        shown = [shown_by_javascript(team["profile"][d]) for d in DIMS]
        assert re.findall(r'class="value">([^<]+) / 3<', figure) == shown
        flags = re.search(r"(\d+) answers? serving the organisation", figure)
        assert int(flags.group(1)) == team["flags"]
    assert sum(t["flags"] for t in view["teams"]) == 3
    assert "3 answers served the organisation rather than the customer" in html  # the facilitator's flags, published
    assert f"Weakest: Ownership ({shown_by_javascript(view['room']['ownership'])} of 3)" in html
    assert "Strongest dimension: Attention (1.3 of 3)" in html

    # the leaderboard: the same points (one of them negative after a flag on zero points)
    points = {row["name"]: row["points"] for row in screen_view["leaderboard"]}
    assert points == {"Front": 13, "Café": 1}
    for name, total in points.items():
        assert re.search(rf"{name} — {total} points?<", html)


def test_an_automatic_answer_after_lock_round_is_not_called_the_timer(app, client):
    """The facilitator's "Lock round" takes a team's last pick: the report says the round was locked, not "timer"."""
    from .conftest import create_workshop

    key = create_workshop(client, card=["spilled-tea", "too-many-helpers"])
    f = socketio.test_client(app, auth={"role": "facilitator", "key": key})
    code = last_state(f)["workshop"]["code"]
    ann = socketio.test_client(app, auth={"role": "player", "code": code})
    ok(ann, "join_workshop", {"name": "Ann"})
    ok(ann, "create_team", {"name": "Red"})
    ok(f, "deal_card", {"round": 0})
    ok(ann, "submit_pick", {"round": 0, "response_id": "b"})
    ok(f, "lock_round", {"round": 0})
    assert last_state(f)["workshop"]["locked_by"] == "facilitator"
    html = client.get(f"/f/{key}/report").get_data(as_text=True)
    assert "last pick when the round was locked" in html
    assert ">timer<" not in html and "time ran out" not in html
    dutch = client.get(f"/f/{create_workshop(client, language='nl')}/report")  # the words exist in Dutch too
    assert dutch.status_code == 200
    from babel.support import Translations

    from game.web.i18n import TRANSLATIONS

    nl = Translations.load(str(TRANSLATIONS), ["nl"])
    for msgid in ("last pick when the round was locked", "last pick when the time ran out"):
        assert nl.gettext(msgid) != msgid


def read_csv(client, key: str, **params) -> tuple[bytes, list[list[str]], str]:
    """The export's bytes, its rows (read with the separator it uses) and that separator."""
    response = client.get(f"/f/{key}/export.csv", query_string=params)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    text = raw.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")
    return raw, list(csv.reader(io.StringIO(text), delimiter=dialect.delimiter)), dialect.delimiter


def test_csv_of_an_english_workshop_keeps_numbers_and_neutralises_formulas(app, client):
    key, *_ = scored(app, client)
    raw, rows, delimiter = read_csv(client, key)
    assert raw.startswith(b"\xef\xbb\xbf") and delimiter == ","  # the BOM: Excel reads UTF-8
    assert rows[0][:3] == ["kind", "round", "card"] and rows[0][-1].startswith("at (")
    answers = [dict(zip(CSV_HEADER, r, strict=True)) for r in rows[1:] if r and r[0] == "answer"]
    kitchen = [a for a in answers if a["team"] == "Café"]
    assert [a["total"] for a in kitchen] == ["-1", "2"]  # a negative total stays a number, not "'-1"
    assert {a["why"] for a in kitchen} == {"'-1+2"}  # text that Excel would compute is neutralised
    assert {a["why"] for a in answers if a["team"] == "Front"} == {"'=cmd|' /C calc'!A0"}
    assert {a["player"] for a in kitchen} == {"'@x"}
    cells = [cell for r in rows for cell in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not c.lstrip("-").isdigit())]


def test_csv_includes_every_commitment_with_its_approval(app, client):
    key, *_ = scored(app, client)
    _raw, rows, _delimiter = read_csv(client, key)
    blank = rows.index([])
    header, commitments = rows[blank + 1], rows[blank + 2:]
    assert header[:5] == ["kind", "team", "player", "commitment", "status"] and header[5].startswith("at (")
    by_player = {r[2]: r for r in commitments}
    assert by_player["Ann"][1:5] == ["Front", "Ann", "'=Greet every guest by name", "approved"]
    assert by_player["'@x"][1:5] == ["Café", "'@x", "'+1+1 smiles a day", "hidden"]
    assert by_player["Cas"][1:5] == ["Front", "Cas", "Ask, then act", "waiting"]
    assert all(r[0] == "commitment" and r[5] for r in commitments)


def test_csv_of_a_dutch_workshop_is_for_a_dutch_excel(app, client):
    key, *_ = scored(app, client, language="nl")
    raw, rows, delimiter = read_csv(client, key)
    assert raw.startswith(b"\xef\xbb\xbf") and delimiter == ";"  # a Dutch Excel splits on ';'
    assert rows[0][:9] == ["soort", "ronde", "kaart", "team", "deelnemer", "antwoord", "beste", "waarom", "automatisch"]
    assert rows[0][9:14] == ["aandacht", "gemak", "oplossing", "eigenaarschap", "maat"]
    assert rows[0][14:18] == ["vlag", "bonus", "totaal", "gepubliceerd"] and rows[0][18].startswith("tijd (")
    answers = [dict(zip(CSV_HEADER, r, strict=True)) for r in rows[1:] if r and r[0] == "teamantwoord"]
    assert len(answers) == 4 and {a["published"] for a in answers} == {"ja"}
    assert sorted(a["total"] for a in answers) == ["-1", "2", "4", "9"]
    assert rows[rows.index([]) + 1][:5] == ["soort", "team", "deelnemer", "voornemen", "status"]
    statuses = {r[2]: r[4] for r in rows[rows.index([]) + 2:]}
    assert statuses == {"Ann": "goedgekeurd", "'@x": "verborgen", "Cas": "wacht"}
    assert "Café".encode() in raw  # UTF-8, which the BOM tells Excel


def test_csv_cells_numbers_and_decimal_comma():
    from game.report import _cell

    assert [_cell(v) for v in (-2, "-2", 0, "3", "1.5")] == ["-2", "-2", "0", "3", "1.5"]
    assert [_cell(v) for v in ("=cmd", "+1+1", "@x", "-1+2", "-", "\tx", "-2 euro")] == [
        "'=cmd", "'+1+1", "'@x", "'-1+2", "'-", "'\tx", "'-2 euro"]
    assert _cell(1.5, decimal_comma=True) == "1,5" and _cell(1.5) == "1.5" and _cell(-0.25, True) == "-0,25"
    assert _cell(None) == "" and _cell("Café") == "Café"


def test_report_and_csv_times_are_in_the_facilitators_time_zone(app, client, clock):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    key, *_ = scored(app, client, time_zone="America/New_York")
    created = datetime.fromtimestamp(clock.now, tz=UTC)
    local = created.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    html = client.get(f"/f/{key}/report").get_data(as_text=True)
    assert "times in America/New_York" in html and local in html
    _raw, rows, _d = read_csv(client, key)
    assert rows[0][-1] == "at (America/New_York)"
    assert all(r[-1].startswith(local[:10]) for r in rows[1:] if r and r[0] in ("pick", "answer"))


def test_a_time_zone_that_is_not_one_falls_back_to_the_servers(app, client):
    from game.report import report_zone

    from .conftest import create_workshop

    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "x" * 200, ""):
        key = create_workshop(client, time_zone=bad)
        svc = app.extensions["aandacht"]
        state = svc.state(svc.store.workshop_id_by_key("facilitator", key))
        assert state.workshop.settings.time_zone == ""
        html = client.get(f"/f/{key}/report").get_data(as_text=True)
        assert f"times in {report_zone().name}" in html
    # an older workshop (none stored) takes the one the console's link sends, if it is one
    html = client.get(f"/f/{key}/report", query_string={"tz": "Asia/Tokyo"}).get_data(as_text=True)
    assert "times in Asia/Tokyo" in html and "tz=Asia/Tokyo" in html  # the CSV link keeps it
    html = client.get(f"/f/{key}/report", query_string={"tz": "No/Where"}).get_data(as_text=True)
    assert f"times in {report_zone().name}" in html


def test_the_start_page_lists_a_workshop_at_its_facilitators_time(app, client, clock):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from .conftest import create_workshop

    create_workshop(client, title="Tokyo group", time_zone="Asia/Tokyo")
    local = datetime.fromtimestamp(clock.now, tz=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    home = client.get("/").get_data(as_text=True)
    assert f"{local.hour:02d}:{local.minute:02d} Asia/Tokyo" in home and " UTC" not in home


def test_soft_hyphens_only_in_long_words_and_the_text_reads_the_same():
    from game.report import SOFT_HYPHEN, soft_hyphens

    text = "Nachtportiersdienstverleningen: koffie & thee, 20240101123456789 of Klantvriendelijkheidsonderzoek"
    out = soft_hyphens(text)
    assert out.replace(SOFT_HYPHEN, "") == text
    assert out.split(SOFT_HYPHEN)[:2] == ["Nacht", "por"]  # before a consonant that starts a syllable
    assert "koffie & thee, 20240101123456789 of " in out  # short words and numbers untouched
    assert soft_hyphens(None) == ""
