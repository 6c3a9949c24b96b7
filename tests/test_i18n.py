"""Languages: the Dutch catalog is complete and up to date, pages render in the workshop's or the visitor's language,
the JavaScript gets the same catalog, and a phone can read a card in the other language without learning a secret."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from game.engine import apply, build_views, commands as c
from game.engine.state import FACILITATOR, GUEST, Actor, Role
from game.service import screen_key_from
from game.web.i18n import LANGUAGES, SOURCE_LANGUAGE, js_catalog, po_path

from .conftest import REPO, create_workshop, signed_in_client
from .test_fuzz import leaks

PYTHON_FORMAT = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdif]")
BRACES = re.compile(r"\{(\w+)\}")
TARGETS = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


def catalog(lang: str):
    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> tuple[set, set]:
    return set(PYTHON_FORMAT.findall(text)), set(BRACES.findall(text))


@pytest.mark.parametrize("lang", TARGETS)
def test_catalog_is_complete_and_placeholders_match(lang):
    problems = []
    messages = [m for m in catalog(lang) if m.id]
    assert len(messages) > 150
    for m in messages:
        ids = list(m.id) if isinstance(m.id, (list, tuple)) else [m.id]
        strings = list(m.string) if isinstance(m.string, (list, tuple)) else [m.string]
        if m.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = placeholders(ids[-1])  # the plural (or only) msgid names every placeholder
        for s in strings:
            got = placeholders(s)
            # a singular form may say "one" instead of the number: {n} or %(num)s can be left out there
            if got != wanted and not (len(strings) > 1 and s is strings[0] and got <= wanted):
                problems.append(f"placeholders {got} != {wanted}: {ids[0]!r} -> {s!r}")
        if "<" in ids[0] and re.findall(r"</?\w+", ids[0]) != re.findall(r"</?\w+", strings[0]):
            problems.append(f"markup differs: {ids[0]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", TARGETS)
def test_catalog_holds_every_marked_text(lang, tmp_path):
    """Every _() in the templates, the Python and the JavaScript is in the catalog: pybabel extract finds no new one."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(pot), "."], cwd=REPO, check=True, capture_output=True
    )
    with open(pot, "rb") as f:
        extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f) if m.id}
    known = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog(lang) if m.id and not m.fuzzy}
    missing = sorted(map(str, extracted - known))
    assert not missing, "run pybabel extract + update (README, Languages) and translate:\n" + "\n".join(missing)
    assert not {m.id for m in catalog(lang) if m.id and not m.locations}, "entries no template or script uses"


def test_every_javascript_text_is_marked():
    """i18n.js: each text is _() or ngettext() (translated through the catalog); a plain string holds no words."""
    source = (REPO / "static" / "js" / "i18n.js").read_text()
    body = source[source.index("var TEXTS = {") : source.index("\n  };", source.index("var TEXTS = {"))]
    entries = re.findall(r"^    (\w+): (.+?),?$", body, re.M)
    assert len(entries) > 150
    unmarked = [
        key
        for key, value in entries
        if not value.startswith(("_(", "ngettext(", "function ("))
        and not (value.startswith('"') and not re.search(r"[A-Za-z]", value))
    ]
    assert not unmarked, f"texts without _(): {unmarked}"
    assert "TEXTS.nl" not in source and "nl: {" not in source  # no second, hand-kept Dutch table


def test_javascript_catalog_is_the_po_files_dutch(client):
    nl = js_catalog("nl")
    assert nl["Lock in our answer"] == "Dit is ons antwoord"
    assert nl["{n} point"] == ["{n} punt", "{n} punten"]
    assert "Create workshop" not in nl  # only what the scripts use
    phone = js_catalog("nl", "play")
    assert phone["Lock in our answer"] == "Dit is ons antwoord"
    console_only = set(js_catalog("nl", "console")) - set(phone)
    assert console_only and not console_only & set(phone)  # a phone never downloads the console's words
    home = client.get("/play").get_data(as_text=True)
    src = re.search(r'src="(/bundle/play\.js\?v=\w+)"', home).group(1)  # the catalog is part of the page's bundle
    response = client.get(src)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "immutable" in response.headers["Cache-Control"]
    assert '"Lock in our answer":"Dit is ons antwoord"' in response.get_data(as_text=True)
    catalog = client.application.extensions["aandacht.i18n"].get("play").body.decode("utf-8")
    assert '"Lock in our answer":"Dit is ons antwoord"' in catalog and "</" not in catalog


def test_home_page_switches_with_lang_and_remembers_it(client):
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Create a workshop" in english
    dutch = client.get("/?lang=nl").get_data(as_text=True)
    assert '<html lang="nl">' in dutch and "Maak een workshop" in dutch and "Create a workshop" not in dutch
    assert 'data-testid="lang-nl" aria-current="true"' in dutch and 'href="/?lang=en"' in dutch
    again = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Maak een workshop" in again  # remembered in the session cookie over the browser's preference
    assert "Create a workshop" in client.get("/?lang=en").get_data(as_text=True)
    assert "Create a workshop" in client.get("/").get_data(as_text=True)
    assert "Create a workshop" in client.get("/?lang=xx").get_data(as_text=True)


def test_home_page_follows_the_browser_language_until_chosen(app):
    fresh = signed_in_client(app)
    assert "Maak een workshop" in fresh.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    german = signed_in_client(app).get("/", headers={"Accept-Language": "de-DE"})
    assert "Create a workshop" in german.get_data(as_text=True)


def test_form_errors_come_in_the_chosen_language(client):
    client.get("/?lang=nl")
    with client.session_transaction() as sess:
        sess["csrf"] = "token"
    page = client.post("/workshops", data={"csrf_token": "token", "title": "", "timer_seconds": "x"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Geef de workshop een titel." in html and "De timer moet een heel getal zijn." in html
    assert "Give the workshop a title." not in html


def test_workshop_pages_speak_the_workshops_language(client):
    key = create_workshop(client, language="nl")
    client.get("/?lang=en")  # the facilitator's own choice does not change the room's pages
    code = client.get(f"/f/{key}").get_data(as_text=True)
    assert "Deal first card" in code  # the console follows the facilitator's choice
    console_nl = client.get(f"/f/{key}?lang=nl").get_data(as_text=True)
    assert "Eerste kaart delen" in console_nl and '<html lang="nl">' in console_nl
    screen = client.get(f"/s/{screen_key_from(key)}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nl">' in screen and "Doe mee via" in screen and "Join at" not in screen
    room = re.search(r'id="room-code"[^>]*>(\w+)<', screen).group(1)
    phone = client.get(f"/j/{room}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nl">' in phone and 'data-page="play"' in phone and 'data-lang="nl"' in phone
    assert "Zet JavaScript aan om mee te doen." in phone and 'aria-label="Taal"' in phone
    assert 'id="lang-nl" data-lang="nl" lang="nl" aria-pressed="true"' in phone
    assert 'id="lang-en" data-lang="en" lang="en" aria-pressed="false"' in phone
    report = client.get(f"/f/{key}/report").get_data(as_text=True)
    assert '<html lang="nl">' in report and "Inzichten voor het management" in report

    key_en = create_workshop(client, language="en")
    screen_en = client.get(f"/s/{screen_key_from(key_en)}", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en">' in screen_en and "Join at" in screen_en


def test_phone_start_page_follows_the_browser_without_a_cookie(stranger):
    client = stranger  # a phone: nobody signed in on it
    page = client.get("/play", headers={"Accept-Language": "nl"})
    assert "Zet JavaScript aan om mee te doen." in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers  # the phone's pages hold no per-browser secret (and stay gzipped)
    assert "Please turn on JavaScript" in client.get("/play", headers={"Accept-Language": "en"}).get_data(as_text=True)
    missing = client.get("/j/ZZZZZZ", headers={"Accept-Language": "nl"})
    assert missing.status_code == 404 and "Er is geen workshop met deze code." in missing.get_data(as_text=True)


# --- the card in the other language on a phone ---------------------------------------------------------------------


def player(pid: str) -> Actor:
    return Actor(Role.PLAYER, pid)


def play_to(state, stop: str):
    """Two teams, one card dealt; then locked and revealed as far as ``stop``."""
    steps = [
        (GUEST, c.JoinWorkshop("ann", "Ann")),
        (GUEST, c.JoinWorkshop("bob", "Bob")),
        (player("ann"), c.CreateTeam("red", "Red")),
        (player("bob"), c.CreateTeam("blue", "Blue")),
    ]
    if stop != "lobby":
        steps += [(FACILITATOR, c.DealCard(0)), (player("ann"), c.SubmitPick(0, response_id="a", client_id="p1"))]
    if stop in ("locked", "revealed"):
        steps += [(player("ann"), c.LockIn(0, response_id="a", why="fast")), (FACILITATOR, c.LockRound(0))]
    if stop == "revealed":
        steps += [(FACILITATOR, c.Reveal(0))]
    for i, (actor, command) in enumerate(steps):
        state = apply(state, actor, command, 1000.0 + i)
    return state


@pytest.mark.parametrize("stop", ["collecting", "locked"])
def test_translations_carry_the_other_language_and_no_secret_before_the_reveal(state, stop):
    views = build_views(play_to(state, stop), 2000.0)
    red, blue = views.teams["red"], views.teams["blue"]
    tr = red["translations"]
    assert set(tr) == {"nl"}  # an English workshop: the view itself is the English
    assert tr["nl"]["card"]["title"] == "Title one (nl)" and red["card"]["title"] == "Title one"
    assert tr["nl"]["card"]["responses"] == {r: f"Response {r} (nl)" for r in "abcd"}
    assert tr["nl"]["card"]["question"] == "Question one (nl)" and tr["nl"]["card"]["situation"] == "Situation one (nl)"
    assert tr["nl"]["reveal"] is None
    assert leaks(red) == [] and leaks(blue) == []  # no feedback, lesson, best... before the reveal
    assert red["translations"] is blue["translations"]  # built once, shared by every team's view
    assert "translations" not in views.screen and "translations" not in views.guests


def test_translations_carry_the_reveal_after_it(state):
    views = build_views(play_to(state, "revealed"), 2000.0)
    tr = views.teams["red"]["translations"]
    assert tr["nl"]["reveal"]["feedback"] == {r: f"Feedback {r} (nl)" for r in "abcd"}
    assert tr["nl"]["reveal"]["lesson"] == "Lesson one (nl)" and tr["nl"]["reveal"]["debrief"] == "Debrief one (nl)"
    assert views.teams["red"]["reveal"]["lesson"] == "Lesson one"  # the view itself stays in the workshop's language


def test_no_translations_without_a_card(state):
    assert build_views(play_to(state, "lobby"), 2000.0).teams["red"]["translations"] is None


def test_report_sentences_come_from_the_catalog(state):
    from babel.support import Translations

    from game.report import report_data
    from game.web.i18n import TRANSLATIONS, compile_catalogs

    compile_catalogs()  # as the set-up and the app do: a missing or stale .mo is compiled from the .po
    played = play_to(state, "revealed")
    english = report_data(played)
    assert english["dimensions"][0]["name"] == "Attention"
    assert "The best response was chosen 0 out of 1 (0%)." in english["insights"]
    dutch = report_data(played, Translations.load(str(TRANSLATIONS), ["nl"]))
    assert [d["name"] for d in dutch["dimensions"]] == ["Aandacht", "Gemak", "Oplossing", "Eigenaarschap", "Maat"]
    assert "Het beste antwoord werd 0 van de 1 keer gekozen (0%)." in dutch["insights"]
    assert any(line.startswith("1 keer gaf een team geen antwoord") for line in dutch["insights"])


def run_i18n(client, page: str, script: str):
    """Run ``script`` in Node after i18n.js and the catalog the server serves to ``page`` (``A`` is
    window.Aandacht); return what it printed, parsed as JSON."""
    import json
    import shutil

    node = shutil.which("node")
    assert node, "Node.js is part of the set-up (npm ci)"
    catalog_js = client.application.extensions["aandacht.i18n"].get(page).body.decode("utf-8")
    whole = ("global.window = {};" + (REPO / "static" / "js" / "i18n.js").read_text() + catalog_js
             + "var A = window.Aandacht;" + script)
    return json.loads(subprocess.run([node, "-e", whole], check=True, capture_output=True, text=True).stdout)


def test_javascript_lookup_and_the_phones_card_in_another_language(client, state):
    """i18n.js with the served catalog (in Node): Dutch texts, plurals, ordinals, errors, and A.localizeView."""
    import json

    view = build_views(play_to(state, "revealed"), 2000.0).teams["red"]
    out = run_i18n(
        client, "play",
        "var view = " + json.dumps(view) + ";"
        + "var nl = A.localizeView(view, 'nl'), en = A.localizeView(view, 'en');"
        + "console.log(JSON.stringify({"
        + " lock: [A.t('nl', 'lock_btn'), A.t('en', 'lock_btn')],"
        + " points: [A.t('nl', 'points', {n: 1}), A.t('nl', 'points', {n: 3}), A.t('en', 'points', {n: 3})],"
        + " rank: [A.t('nl', 'your_rank', {rank: 2}), A.t('en', 'your_rank', {rank: 2})],"
        + " error: [A.errorText('nl', {code: 'team_full', message: 'Team full.'}),"
        + "  A.errorText('en', {code: 'team_full', message: 'Team full.'})],"
        + " tr: A.tr('nl', 'This workshop has been deleted.'),"
        + " same: en === view, title: nl.card.title, response: nl.card.responses[0],"
        + " feedback: nl.reveal.responses[1].feedback, revealed_text: nl.reveal.responses[1].text,"
        + " lesson: nl.reveal.lesson, untouched: view.card.title}));",
    )
    assert out["lock"] == ["Dit is ons antwoord", "Lock in our answer"]
    assert out["points"] == ["1 punt", "3 punten", "3 points"]
    assert out["rank"] == ["Jullie team is 2e geworden.", "Your team finished 2nd."]
    assert out["error"] == ["Dat team is vol.", "Team full."]
    assert out["tr"] == "Deze workshop is verwijderd."
    assert out["same"] is True  # the workshop's own language: the view as it came
    assert out["title"] == "Title one (nl)" and out["untouched"] == "Title one"
    assert out["response"]["text"].endswith("(nl)") and out["response"]["id"] in "abcd"
    assert out["feedback"] == "Feedback b (nl)" and out["lesson"] == "Lesson one (nl)"
    assert out["revealed_text"] == "Response b (nl)"


def test_every_error_code_has_words_in_the_scripts():
    """A refusal reaches a phone, the screen or the console as {code, message}; the scripts show the code's words
    from the catalog (in the page's language), so every code the server can send has an entry in ERRORS."""
    sent = set()
    for path in (REPO / "game").rglob("*.py"):
        source = path.read_text()
        sent |= set(re.findall(r'(?:GameError|_refuse)\(\s*"([a-z_]+)"', source))
        # a GameError of its own class (StorageUnavailable) names its code where it calls GameError's __init__
        sent |= set(re.findall(r'class \w+\(GameError\):[\s\S]*?super\(\).__init__\(\s*"([a-z_]+)"', source))
    assert {"stale", "wrong_phase", "forbidden", "bad_key", "storage_unavailable"} <= sent
    source = (REPO / "static" / "js" / "i18n.js").read_text()
    body = source[source.index("var ERRORS = {") : source.index("};", source.index("var ERRORS = {"))]
    mapped = set(re.findall(r"^    (\w+): _\(", body, re.M))
    assert not sent - mapped, f"codes without words in i18n.js ERRORS: {sorted(sent - mapped)}"


@pytest.mark.parametrize("page", ["play", "screen", "console"])
def test_storage_unavailable_has_words_in_both_languages_on_every_page(client, page):
    """A command the server cannot store is refused as ``storage_unavailable``: every page (phone, big screen, console)
    shows it in Dutch from its own catalog, and in English as the server says it."""
    import json

    from game.store import StorageUnavailable

    error = StorageUnavailable().to_dict()
    out = run_i18n(client, page, "var error = " + json.dumps(error) + ";"
                   "console.log(JSON.stringify([A.errorText('nl', error), A.errorText('en', error)]));")
    assert out == ["De server kan nu niets opslaan; er is niets veranderd. Probeer het zo opnieuw.",
                   "The server cannot save right now; nothing was changed. Please try again in a moment."]
