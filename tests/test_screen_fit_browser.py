"""The big screen on a projector cannot scroll: a leaderboard of more teams than fit shows its first rows and how
many teams it leaves out (static/js/screen.js ``fitBoard``), in Debian's Chromium on the real server."""

from __future__ import annotations

import re

import socketio

from game.decks import default_scenarios_dir, load_decks

from .conftest import connect_console, create_live_workshop, live_console_http
from .test_browser import watch

TEAMS = 14
DIMENSIONS = ("attention", "ease", "resolution", "ownership", "proportion")


def scored_workshop(base: str, teams: int) -> tuple[str, list]:
    """A workshop with ``teams`` preset teams, a player in each, its first card scored and published; returns the
    big screen's URL and the socket clients (to disconnect)."""
    deck = load_decks(default_scenarios_dir())["aandacht-basis"]
    names = "\n".join(f"Team {i + 1}" + " Zwaluwen" * (i % 3) for i in range(teams))  # some names wrap
    key = create_live_workshop(base, title="Keynote", card=[c.id for c in deck.cards[:2]], timer_seconds="0",
                               team_size="5", teams_open=None, teams=names)
    console_page = live_console_http(base).get(f"{base}/f/{key}", timeout=30).text  # signed in: a new device
    screen = base + re.search(r'href="(/s/[^"]+)"', console_page).group(1)
    code = re.search(r"/j/([A-Z0-9]+)", console_page).group(1)

    console = socketio.Client()
    views: list[dict] = []
    console.on("game_state", views.append)
    connect_console(console, base, key)
    clients = [console]
    console.call("sync", {})
    team_ids = [team["id"] for team in views[-1]["teams"]]
    assert len(team_ids) == teams
    for i, team_id in enumerate(team_ids):
        phone = socketio.Client()
        phone.connect(base, auth={"role": "player", "code": code}, transports=["websocket"])
        clients.append(phone)
        assert phone.call("join_workshop", {"name": f"Player {i}"})["ok"]
        assert phone.call("join_team", {"team_id": team_id})["ok"]
    for event in ("deal_card", "lock_round", "reveal"):
        assert console.call(event, {"round": 0})["ok"], event
    for i, team_id in enumerate(team_ids):  # every team another total: 14, 13, ... (ties would do as well)
        points = dict.fromkeys(DIMENSIONS, 0) | dict.fromkeys(DIMENSIONS[:4 - i % 5], 3)
        score = {"round": 0, "team_id": team_id, **points, "flag": False, "bonus": i % 3}
        assert console.call("score_team", score)["ok"]
    assert console.call("publish_scores", {"round": 0})["ok"]
    return screen, clients


def board(page) -> tuple[list[int], int, int]:
    """The ranks of the rows shown, the number of teams the 'more' line names (0 without one), and how far the
    page runs below the screen in pixels."""
    page.wait_for_selector("[data-testid=leaderboard] .lb-row")
    page.wait_for_timeout(300)  # a resize's refit runs after the layout
    ranks = [int(r) for r in page.locator("[data-testid=leaderboard] .lb-row:visible").evaluate_all(
        "rows => rows.map(r => r.dataset.rank)")]
    more = page.locator("[data-testid=leaderboard-more]")
    left_out = int(re.match(r"\d+", more.inner_text()).group(0)) if more.count() else 0
    overflow = page.evaluate("document.scrollingElement.scrollHeight - window.innerHeight")
    return ranks, left_out, overflow


def test_a_long_leaderboard_fits_the_projector_and_says_how_many_teams_it_leaves_out(live_server, browser):
    errors: list[str] = []
    screen_url, clients = scored_workshop(live_server.url, TEAMS)
    small_url, small_clients = scored_workshop(live_server.url, 4)
    clients += small_clients
    try:
        shown = {}
        for width, height in ((1280, 720), (1920, 1080)):
            page = watch(browser.new_page(viewport={"width": width, "height": height}), errors, f"screen {width}")
            page.goto(screen_url)
            page.wait_for_selector("body[data-phase='scored']", state="attached")
            ranks, left_out, overflow = board(page)
            assert overflow <= 0, (width, overflow)  # nothing below the projector's edge
            assert ranks and left_out == TEAMS - len(ranks), (width, ranks, left_out)
            assert ranks == sorted(ranks) and ranks[0] == 1  # the top of the board, in order
            assert "each phone shows its team's place" in page.inner_text("[data-testid=leaderboard-more]")
            shown[width] = len(ranks)
        assert shown[1920] >= 3  # a full HD projector shows a podium's worth at least

        page.set_viewport_size({"width": 1280, "height": 720})  # the projector's resolution changed: fitted again
        page.wait_for_timeout(300)
        ranks, left_out, overflow = board(page)
        assert overflow <= 0 and len(ranks) == shown[1280] and left_out == TEAMS - shown[1280]

        page.goto(small_url)  # a board that fits: every row, no line
        page.wait_for_selector("body[data-phase='scored']", state="attached")
        ranks, left_out, overflow = board(page)
        assert len(ranks) == 4 and left_out == 0 and overflow <= 0
    finally:
        for client in clients:
            client.disconnect()
    assert not errors, errors
