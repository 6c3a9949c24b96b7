"""Shared fixtures: a small deck for the rules, an app on a fresh SQLite file, Socket.IO test clients."""

from __future__ import annotations

import os

import pytest

# TESTS ONLY: cheap argon2 parameters (game.accounts.password_hasher), for this process and every server it starts:
# hundreds of tests create and sign in a facilitator. One test checks the real parameters replace them at sign-in.
os.environ.setdefault("AANDACHT_TEST_CHEAP_HASHES", "1")

from game.engine import Card, Response, RubricKey, Settings, Text, Workshop, new_state


def text(s: str) -> Text:
    """The same text in both languages, marked so a test can tell which one it saw."""
    return Text(nl=f"{s} (nl)", en=s)


def make_card(card_id: str, best: str = "b") -> Card:
    """A card with responses a-d; ``best`` has the highest key, ``d`` is flagged."""
    keys = {
        "a": RubricKey(2, 1, 1, 1, 1),
        "b": RubricKey(1, 1, 1, 1, 1),
        "c": RubricKey(1, 0, 1, 0, 1),
        "d": RubricKey(0, 1, 0, 0, 1, flag=True),
    }
    keys[best] = RubricKey(3, 3, 3, 3, 3)
    return Card(
        id=card_id,
        story="000_ad21fe9a2b2a9b6c",
        sensitive=False,
        title=text(f"Title {card_id}"),
        situation=text(f"Situation {card_id}"),
        question=text(f"Question {card_id}"),
        responses=tuple(
            Response(id=r, text=text(f"Response {r}"), key=keys[r], feedback=text(f"Feedback {r}"), best=(r == best))
            for r in "abcd"
        ),
        lesson=text(f"Lesson {card_id}"),
        debrief=text(f"Debrief {card_id}"),
    )


def make_open_card(card_id: str) -> Card:
    """An open card: no responses, teams write their own answer."""
    return Card(
        id=card_id,
        story="000_ad21fe9a2b2a9b6c",
        sensitive=False,
        title=text(f"Title {card_id}"),
        situation=text(f"Situation {card_id}"),
        question=text(f"Question {card_id}"),
        responses=(),
        lesson=text(f"Lesson {card_id}"),
        debrief=text(f"Debrief {card_id}"),
        kind="open",
        notes=text(f"Notes {card_id}"),
    )


@pytest.fixture
def cards():
    """Three test cards with different best responses."""
    return (make_card("one", "b"), make_card("two", "c"), make_card("three", "a"))


@pytest.fixture
def state(cards):
    """A fresh workshop in the lobby, English, 60 s timer, teams of up to 3."""
    workshop = Workshop(
        id="w1",
        code="ABCDEF",
        title="Test workshop",
        deck_id="test",
        cards=cards,
        settings=Settings(language="en", timer_seconds=60, team_size=3, teams_open=True),
        created_at=1000.0,
    )
    return new_state(workshop)


class FakeClock:
    """A clock the test moves by hand; like a real one it also moves a millisecond each time it is read."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        self.now += 0.001
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    """A hand-moved clock for the app."""
    return FakeClock()


# --- facilitators: made through the command line, signed in through /signin ------------------------------

# The facilitator every app fixture and every LiveServer has (an administrator): create_workshop,
# create_live_workshop and signed_in_client sign in as them.
FACILITATOR_EMAIL = "fran@example.org"
FACILITATOR_NAME = "Fran Facilitator"
FACILITATOR_PASSWORD = "correct horse battery"


def cli_user(database_url: str, *args: str, password: str | None = None) -> tuple[int, str, str]:
    """Run ``python -m game user ARGS`` in this process (``game.cli.run``) on ``database_url``, with ``password`` on
    standard input; returns (exit code, stdout, stderr)."""
    import contextlib
    import io
    import sys

    from game.cli import run

    out, err = io.StringIO(), io.StringIO()
    before, stdin = os.environ.get("DATABASE_URL"), sys.stdin
    os.environ["DATABASE_URL"] = database_url
    sys.stdin = io.StringIO("" if password is None else password + "\n")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = run(["user", *args])
            except SystemExit as exit_:  # argparse refusing the arguments
                code = exit_.code
    finally:
        sys.stdin = stdin
        if before is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = before
    return code, out.getvalue(), err.getvalue()


def add_user(database_url: str, email: str, name: str = "Someone", password: str = FACILITATOR_PASSWORD,
             admin: bool = False) -> None:
    """Create a facilitator through the command line (in this process), as the issue asks of the tests."""
    code, out, err = cli_user(database_url, "add", email, "--name", name, *(["--admin"] if admin else []),
                              "--password-stdin", password=password)
    assert code == 0, out + err


def add_live_user(env: dict, email: str = FACILITATOR_EMAIL, name: str = FACILITATOR_NAME,
                  password: str = FACILITATOR_PASSWORD, admin: bool = True, exist_ok: bool = True) -> None:
    """Create a facilitator with ``python -m game user add`` in a subprocess, on the database of ``env`` (one that
    exists already is fine with ``exist_ok``: a second server on the same database)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "game", "user", "add", email, "--name", name,
                           *(["--admin"] if admin else []), "--password-stdin"],
                          input=password + "\n", env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    if exist_ok and done.returncode == 1 and "already an account" in done.stderr:
        return
    assert done.returncode == 0, done.stdout + done.stderr


def form_token(html: str) -> str:
    """The form token of a page."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email: str = FACILITATOR_EMAIL, password: str = FACILITATOR_PASSWORD, next_: str | None = None):
    """Sign a Flask test client in through /signin (the form's own token); returns the POST's response. The app's
    facilitator is made first (through the command line) if the app was built without the ``app`` fixture."""
    app = client.application
    if email == FACILITATOR_EMAIL and app.extensions["aandacht.accounts"].user_by_email(email) is None:
        add_user(app.config["DATABASE_URL"], FACILITATOR_EMAIL, FACILITATOR_NAME, FACILITATOR_PASSWORD, admin=True)
    token = form_token(client.get("/signin").get_data(as_text=True))
    form = {"csrf_token": token, "email": email, "password": password, **({"next": next_} if next_ else {})}
    return client.post("/signin", data=form)


def signed_in_client(app, email: str = FACILITATOR_EMAIL, password: str = FACILITATOR_PASSWORD):
    """A new test client, signed in."""
    client = app.test_client()
    response = sign_in(client, email, password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def live_sign_in(http, base: str, email: str = FACILITATOR_EMAIL, password: str = FACILITATOR_PASSWORD,
                 timeout: float = 30) -> None:
    """Sign a ``requests.Session`` in on a running server."""
    token = form_token(http.get(base + "/signin", timeout=timeout).text)
    response = http.post(base + "/signin", data={"csrf_token": token, "email": email, "password": password},
                         allow_redirects=False, timeout=timeout)
    assert response.status_code == 303, response.text


def live_console_http(base: str, timeout: float = 30):
    """A ``requests.Session`` signed in as the server's facilitator (an administrator), for a python-socketio
    console by key: pass it as ``http_session=`` and connect with ``headers=agent_of(it)`` (the sign-in is bound
    to its browser's User-Agent)."""
    import requests

    http = requests.Session()
    live_sign_in(http, base, timeout=timeout)
    return http


def agent_of(http) -> dict:
    """The handshake headers that say the same browser as ``http``."""
    return {"User-Agent": http.headers["User-Agent"]}


def connect_console(client, base: str, key: str) -> None:
    """Connect a python-socketio ``Client`` over websocket as the console of ``key``, from a browser signed in as
    the server's facilitator (a console by key needs the device that opened it or a sign-in with rights)."""
    http = live_console_http(base)
    client.eio.http = http  # engineio's HTTP session: its cookies go with the websocket handshake
    client.connect(base, auth={"role": "facilitator", "key": key}, transports=["websocket"], headers=agent_of(http))


def signed_in_context(browser, base: str, email: str = FACILITATOR_EMAIL, password: str = FACILITATOR_PASSWORD,
                      **options):
    """A Playwright browser context signed in on a running server: a ``requests.Session`` signs in and its
    cookies are copied in. Flask-Login's "strong" protection ties the session to the address and the browser's
    User-Agent, so the context takes the requests session's User-Agent."""
    import requests

    with requests.Session() as http:
        http.headers["User-Agent"] = options.pop("user_agent", None) or CONTEXT_AGENT
        live_sign_in(http, base, email, password)
        agent = http.headers["User-Agent"]
        cookies = [{"name": c.name, "value": c.value, "url": base} for c in http.cookies]
    context = browser.new_context(user_agent=agent, **options)
    context.add_cookies(cookies)
    return context


CONTEXT_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 "
                 "Safari/537.36")


@pytest.fixture
def app(tmp_path, clock):
    """The app on a fresh SQLite file, in threading mode (no eventlet), with the real decks, and one facilitator
    (an administrator, made through the command line: FACILITATOR_EMAIL / FACILITATOR_PASSWORD)."""
    from game.web import create_app

    url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    add_user(url, FACILITATOR_EMAIL, FACILITATOR_NAME, FACILITATOR_PASSWORD, admin=True)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "ASYNC_MODE": "threading",
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "PUBLIC_URL": "http://aandacht.test",
        }
    )
    yield app
    app.extensions["aandacht"].store.engine.dispose()


@pytest.fixture
def client(app):
    """An HTTP test client, signed in as the app's facilitator."""
    return signed_in_client(app)


@pytest.fixture
def stranger(app):
    """An HTTP test client nobody signed in."""
    return app.test_client()


def create_workshop(client, **overrides) -> str:
    """Post the create form (signed in as the app's facilitator first, if the client is not signed in); return
    the facilitator key from the redirect."""
    with client.session_transaction() as sess:
        signed_in = "_user_id" in sess
    if not signed_in:
        assert sign_in(client).status_code == 303
    with client.session_transaction() as sess:
        sess["csrf"] = "token"
    app = client.application
    deck = next(iter(app.extensions["aandacht"].decks.values()))
    form = {
        "csrf_token": "token",
        "title": "Service desk training",
        "deck_id": deck.id,
        "language": "en",
        "card": [deck.cards[0].id, deck.cards[1].id],
        "timer_seconds": "60",
        "team_size": "4",
        "teams_open": "on",
        "teams": "",
    }
    form.update(overrides)
    response = client.post("/workshops", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/f/", 1)[1]


# --- PostgreSQL and Redis: throwaway servers of the test session's own ------------------------------------
#
# The tests start ONE PostgreSQL and ONE Redis per session (bench/servers.py: from the distribution's binaries, in
# a temporary directory on free ports on 127.0.0.1, as another user when run as root) and remove them at the end;
# each test still makes its own database and Redis channel on them. Nothing needs to be started by hand.
# AANDACHT_TEST_DATABASE_URL (a PostgreSQL admin URL, e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/postgres;
# the user must be allowed to create databases) and AANDACHT_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) name
# running servers instead. Either way the PostgreSQL, Redis and cluster tests run: a missing server is a failure
# with the command that fixes it, never a skip.

def _throwaway(kind: str):
    """A throwaway server of bench/servers.py (``kind``: its class name) started now; a failure, never a skip,
    when it cannot start."""
    from bench import servers

    try:
        return getattr(servers, kind)()
    except servers.ServerMissing as error:
        pytest.fail(f"{error}\n(or name a running server in AANDACHT_TEST_DATABASE_URL / AANDACHT_TEST_REDIS_URL)")


def _say(request, line: str) -> None:
    """A line on the terminal even with output captured (the set-up times belong in every run's log)."""
    import contextlib

    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, flush=True)


def _session_server(request, variable: str, start, what: str):
    """The URL of the session's server: the one named in ``variable``, or a throwaway one started now (``start()``
    returns it, with ``url`` and ``stop()``) and stopped at the end; the start-up time goes in the run's log."""
    import os
    import time

    named = os.environ.get(variable)
    if named:
        yield named
        return
    started = time.monotonic()
    server = start()
    _say(request, f"\n[aandacht] a throwaway {what(server)} started in {time.monotonic() - started:.2f} s")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin_url(request):
    """The admin URL of the session's PostgreSQL: AANDACHT_TEST_DATABASE_URL, or a throwaway server started now."""
    yield from _session_server(request, "AANDACHT_TEST_DATABASE_URL", lambda: _throwaway("ThrowawayPostgres"),
                               lambda s: f"PostgreSQL on 127.0.0.1:{s.port} (from {s.bin})")


@pytest.fixture(scope="session")
def redis_url(request):
    """The URL of the session's Redis: AANDACHT_TEST_REDIS_URL, or a throwaway server started now."""
    yield from _session_server(request, "AANDACHT_TEST_REDIS_URL", lambda: _throwaway("ThrowawayRedis"),
                               lambda s: f"Redis on 127.0.0.1:{s.port}")


def database_url_for(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_url(pg_admin_url):
    """A fresh PostgreSQL database on the session's server, dropped afterwards. It must run in CI, never skip."""
    import secrets

    from sqlalchemy import create_engine, text

    name = f"aandacht_test_{secrets.token_hex(6)}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url_for(pg_admin_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


REPO = __import__("pathlib").Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


SHOT_SIZES = ((390, 844), (1280, 800), (1920, 1080))  # a phone, a laptop console, a projector (the set)


def shoot(page, name: str, full_page: bool = True):
    """Save a screenshot of ``page`` as test-artifacts/<name>-<width>x<height>.png and return its path: the
    shared set of screenshots people look at after a browser test (the projector cannot scroll: pass
    ``full_page=False`` for the big screen)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def shoot_sizes(pages: dict, label: str, sizes=SHOT_SIZES) -> None:
    """Screenshot every page of ``pages`` (name -> page; "screen" is the projector) at every size, then put each
    page back at its own size."""
    before = {name: page.viewport_size for name, page in pages.items()}
    for width, height in sizes:
        for page in pages.values():
            page.set_viewport_size({"width": width, "height": height})
        for name, page in pages.items():
            page.wait_for_timeout(250)  # the pages' own fitting after a resize
            shoot(page, f"{label}-{name}", full_page=name != "screen")
    for name, page in pages.items():
        page.set_viewport_size(before[name])


def release(client) -> None:
    """Close the sockets a python-socketio client leaves open.

    python-engineio closes its websocket only on a clean disconnect: when the server dies or refuses the connection
    the socket stays open until the garbage collector finds it (a ResourceWarning in some later test). Polling
    clients get their own ``requests.Session`` (``http_session=``) so that it can be closed here too.
    """
    try:
        if client.connected:
            client.disconnect()
    except Exception:  # the server may be gone already
        pass
    eio = client.eio
    ws = getattr(eio, "ws", None)
    if ws is not None:
        try:
            ws.shutdown()
        except Exception:
            pass
    http = getattr(eio, "http", None)
    if http is not None:
        http.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real server (``python -m game serve``, eventlet) as a subprocess on a free port."""

    def __init__(self, directory, env: dict | None = None, args: tuple[str, ...] = (), facilitator: bool = True):
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "server.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory / 'live.sqlite3'}",
            "AANDACHT_ASYNC_MODE": "eventlet",
            "AANDACHT_PUBLIC_URL": self.url,
            "SECRET_KEY": "live-test",
            **(env or {}),
        }
        self.command = [sys.executable, "-m", "game", "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.proc = None
        self._popen = subprocess.Popen
        # its facilitator (an administrator), made through the command line before the server starts (so it prints
        # no set-up link); facilitator=False: a fresh server that prints one
        self.email, self.name, self.password = FACILITATOR_EMAIL, FACILITATOR_NAME, FACILITATOR_PASSWORD
        if facilitator:
            add_live_user(self.env, self.email, self.name, self.password)
        self.start()

    def sign_in(self, http) -> None:
        """Sign a ``requests.Session`` in as this server's facilitator."""
        live_sign_in(http, self.url, self.email, self.password)

    def start(self) -> None:
        """Start the process and wait until it answers."""
        import time
        import urllib.request

        with open(self.log_path, "ab") as log:
            self.proc = self._popen(self.command, env=self.env, cwd=REPO, stdout=log, stderr=log)
        deadline = time.monotonic() + 60  # a start-up wait, not a speed check
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the process."""
        from bench.servers import stop_process

        stop_process(self.proc)


def create_live_workshop(base: str, timeout: float = 30, **fields) -> str:
    """Create a workshop on a running server over HTTP, as the home page's form does; return the facilitator key.
    ``fields`` replace the form's defaults (``card``: a list of card ids; None leaves a field out, e.g. a
    ``teams_open`` checkbox left unticked)."""
    import re

    import requests

    with requests.Session() as http:
        live_sign_in(http, base, timeout=timeout)  # as the facilitator every LiveServer has
        page = http.get(base + "/", timeout=timeout).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": token, "title": "Live test", "deck_id": "aandacht-basis", "language": "en",
                "card": ["spilled-tea"], "timer_seconds": "60", "team_size": "4", "teams_open": "on", "teams": "",
                **fields}
        form = {name: value for name, value in form.items() if value is not None}
        response = http.post(base + "/workshops", data=form, allow_redirects=False, timeout=timeout)
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert "/f/" in location, location
    return location.rsplit("/f/", 1)[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The real server on SQLite, for a module's tests."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def consoles_sign_in(monkeypatch):
    """A console's socket by key needs the device that opened its link or a signed-in facilitator with rights
    (``game.web.sockets.on_connect``). The tests that connect a console by key without saying from which browser
    (no ``flask_test_client``) connect as the app's facilitator, an administrator, signed in through /signin;
    a test of who may connect passes its own ``flask_test_client``."""
    from game.web.realtime import socketio

    real = socketio.test_client

    def test_client(app, *args, **kwargs):
        auth = kwargs.get("auth") or {}
        if (kwargs.get("flask_test_client") is None and isinstance(auth, dict) and auth.get("role") == "facilitator"
                and auth.get("key")):
            if "test.console_client" not in app.extensions:
                app.extensions["test.console_client"] = signed_in_client(app)
            kwargs["flask_test_client"] = app.extensions["test.console_client"]
        return real(app, *args, **kwargs)

    monkeypatch.setattr(socketio, "test_client", test_client)
