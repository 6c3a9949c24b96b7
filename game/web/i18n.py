"""Languages: Dutch and English through message catalogs (Flask-Babel).

English is the source language: every text in the templates, the pages and the JavaScript is an English msgid,
marked with ``_()``; ``game/translations/nl/LC_MESSAGES/messages.po`` holds the Dutch (compiled to ``.mo`` by the
set-up, or at start when missing or older). A page's language is the workshop's for the big screen, the phone and the
report; on the start page, the console and the deck pages it is the facilitator's choice (``?lang=``, remembered in
the session cookie, else the browser's Accept-Language). The phone's, the screen's and the console's JavaScript get
the same catalog's Dutch as a script (``CatalogScript``, one per page, inside the page's script bundle), built from
the ``.po`` file: one source of truth.
A phone's player may read another language than the workshop's: see ``translations`` in the team view.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session, url_for

from ..store import REPO
from .assets import Asset, prepare

LANGUAGES = ("nl", "en")
SOURCE_LANGUAGE = "en"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
TRANSLATIONS = REPO / "game" / "translations"


def po_path(lang: str) -> Path:
    """The catalog of one language."""
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def N_(text: str) -> str:
    """Marks an English text for the catalog where it is defined (pybabel extract); it is translated where shown."""
    return text


def page_language(lang: str | None) -> str:
    """Set the language of this page (the workshop's); returns it."""
    g.page_lang = lang if lang in LANGUAGES else SOURCE_LANGUAGE
    flask_babel.refresh()  # a text translated earlier in this request must not fix the language
    return g.page_lang


def browser_language() -> str:
    """The visitor's language from ``?lang=`` or the browser's Accept-Language, without the session cookie."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default=SOURCE_LANGUAGE)


def chosen_language() -> str:
    """The start page's and the console's language: ``?lang=`` (remembered in the session), else the remembered
    choice, else the browser's Accept-Language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if session.get("lang") != asked:
            session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return browser_language()


def select_locale() -> str:
    """Flask-Babel's locale selector: the page's language if the view set one, else the visitor's choice."""
    lang = g.get("page_lang")
    return lang if lang else chosen_language()


def current_language() -> str:
    """The language this request's texts are in."""
    return str(flask_babel.get_locale() or SOURCE_LANGUAGE)


def texts_in(lang: str, msgids: dict[str, str], params: dict[str, dict] | None = None) -> dict[str, str]:
    """Catalog texts in ``lang`` rather than this page's language (the deck editor previews the phone and the big
    screen in either language): ``{key: English msgid}`` -> ``{key: translation}``, with each key's "{name}"
    placeholders filled from ``params[key]``."""
    with flask_babel.force_locale(lang if lang in LANGUAGES else SOURCE_LANGUAGE):
        texts = {key: flask_babel.gettext(msgid) for key, msgid in msgids.items()}
    for key, values in (params or {}).items():
        texts[key] = re.sub(r"\{(\w+)\}", lambda m, values=values: str(values.get(m.group(1), m.group(0))), texts[key])
    return texts


def language_links() -> list[dict]:
    """The nl/en switch of a page that lets the visitor choose: this address with ``?lang=``."""
    here = current_language()
    if request.method == "GET" and request.endpoint:
        endpoint, args = request.endpoint, {**request.args.to_dict(), **(request.view_args or {})}
    else:  # a form that came back with errors: switching reloads the start page
        endpoint, args = "pages.home", {}
    return [
        {
            "lang": lang,
            "label": lang.upper(),
            "name": LANGUAGE_NAMES[lang],
            "url": url_for(endpoint, **{**args, "lang": lang}),
            "current": lang == here,
        }
        for lang in LANGUAGES
    ]


# --- the JavaScript catalog ------------------------------------------------------------------------------------------


# The scripts each page loads that hold texts: a phone downloads only the phone's words, not the console's.
PAGE_SCRIPTS = {
    "play": ("common.js", "i18n.js", "play.js"),
    "screen": ("common.js", "i18n.js", "screen.js"),
    "console": ("common.js", "i18n.js", "console.js"),
}


def js_catalog(lang: str, page: str | None = None) -> dict:
    """The translations of the texts marked in the JavaScript (their location is a .js file), from the .po file;
    with ``page``, only those of the scripts that page loads (``PAGE_SCRIPTS``).

    A singular maps msgid -> translation; a plural maps the singular msgid -> [translated forms]. Fuzzy and
    untranslated entries are left out (the English shows instead)."""
    with open(po_path(lang), "rb") as f:
        catalog = read_po(f, locale=lang)
    scripts = PAGE_SCRIPTS[page] if page else None

    def used(path: str) -> bool:
        return path.endswith(".js") and (scripts is None or path.rsplit("/", 1)[-1] in scripts)

    out: dict[str, object] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not any(used(path) for path, _line in message.locations):
            continue
        if isinstance(message.id, (tuple, list)):
            forms = [s for s in message.string if s]
            if len(forms) == len(message.string):
                out[message.id[0]] = forms
        elif message.string:
            out[message.id] = message.string
    return out


def js_catalog_script(page: str | None = None) -> bytes:
    """The script that hands the JavaScript every language's catalog: ``Aandacht.CATALOGS[lang]``."""
    catalogs = {lang: js_catalog(lang, page) for lang in LANGUAGES if lang != SOURCE_LANGUAGE}
    data = json.dumps(catalogs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data = data.replace("<", "\\u003c")  # nothing in it can close a script element
    return (
        "/* generated from game/translations/<lang>/LC_MESSAGES/messages.po: edit those, not this */\n"
        "(function (A) { var c = " + data + "; A.CATALOGS = A.CATALOGS || {};"
        " for (var k in c) A.CATALOGS[k] = c[k]; })(window.Aandacht = window.Aandacht || {});\n"
    ).encode("utf-8")


class CatalogScript:
    """The catalog scripts, one per page, each built once per version of the .po files."""

    def __init__(self):
        self._stamp: tuple | None = None
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, page: str) -> Asset:
        """The page's script as served (rebuilt when a .po file changed on disk)."""
        stamp = tuple(
            (lang, po_path(lang).stat().st_mtime_ns) for lang in LANGUAGES if lang != SOURCE_LANGUAGE
        )
        with self._lock:
            if stamp != self._stamp:
                self._assets, self._stamp = {}, stamp
            if page not in self._assets:
                self._assets[page] = prepare(js_catalog_script(page))
            return self._assets[page]


def compile_catalogs() -> list[str]:
    """Compile each .po file whose .mo is missing or older (the set-up does it; this covers a test run or a
    server started without it). Returns the languages compiled."""
    done = []
    for lang in LANGUAGES:
        po = po_path(lang)
        if not po.exists():
            continue
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            continue
        with open(po, "rb") as f:
            catalog = read_po(f, locale=lang)
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            write_mo(f, catalog)  # fuzzy entries are left out, as pybabel compile does
        os.replace(tmp, mo)
        done.append(lang)
    return done


def init_app(app: Flask) -> CatalogScript:
    """Wire Flask-Babel and the template helpers; return the catalog scripts (for the pages' script bundles)."""
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    flask_babel.Babel(app, locale_selector=select_locale)
    scripts = CatalogScript()
    app.extensions["aandacht.i18n"] = scripts

    @app.context_processor
    def _helpers():
        """``lang`` (this page's language; a view may pass another, e.g. a card preview's) and ``ui_lang`` (the
        language of the page's own words), and ``language_links()`` in every template."""
        here = current_language()
        return {"lang": here, "ui_lang": here, "language_links": language_links}

    return scripts
