"""Deck pages: list, create, edit, upload, duplicate, export and preview decks and their cards.

The built-in decks (``scenarios/*.yaml``) can be viewed, previewed, exported and duplicated; the
decks facilitators make live in the database (``game.library``). Every save builds the whole deck's
YAML and runs it through the same validation as a deck file, so an invalid deck is never stored;
each problem is shown at the form field its path points to, with the rest of the input kept.
Like creating a workshop, these pages need a signed-in facilitator (``game.web.auth``); every POST carries the
form token.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..decks import (
    CARD_LIMITS,
    DECK_LIMITS,
    NOTES_LIMIT,
    RESPONSE_LIMITS,
    STORY_LIMIT,
    DeckError,
    DeckProblem,
    Msg,
)
from ..engine import GameError
from ..engine.cards import DIMENSIONS, KINDS, LANGUAGES, MAX_POINTS, Card, Deck
from ..library import Conflict, DeckInfo, DeckLibrary, card_to_data, deck_to_data, slugify
from ..rights import NOT_YOUR_DECK
from ..stories import STORY_NAMES, story_name, story_names
from .auth import current_facilitator, facilitator_required
from .i18n import N_, current_language, texts_in
from .links import acting_facilitator
from .pages import Refused, _csrf_ok, csrf_token

bp = Blueprint("decks", __name__)


@bp.before_request
def _signed_in():
    """Every deck page needs a signed-in facilitator (the app's gate says so too; this keeps it true on its own)."""
    if current_facilitator() is None:
        return facilitator_required(lambda: None)()
    return None

SLOTS = 4  # response slots on the card form (a card has 3 or 4 responses)
SLOT_IDS = "abcd"
CARD_TEXTS = ("title", "situation", "question", "lesson", "debrief")
DECK_TEXTS = ("title", "description")
UPLOAD_MAX = 200_000  # bytes of an uploaded deck file
CONFLICT = N_("Someone saved this deck in another tab or on another device since you opened it. Your input is kept "
            "below; save again to keep yours.")

# The phone's and the big screen's own words for the preview: the message catalog's texts (as in static/js/i18n.js),
# in the previewed language (game.web.i18n.texts_in), with the preview's numbers filled in.
PREVIEW_WORDS = {
    "card_of": N_("Card {n} of {total}"),
    "choose_hint": N_("Tap the response your team would choose. Your team-mates see your pick."),
    "time_left": N_("Time left"),
    "responses": N_("Responses"),
    "locked_count": N_("{n} of {total} teams locked in"),
    "why_best": N_("Why this is the best response"),
    "lesson": N_("Lesson"),
    "debrief_question": N_("Talk about it"),
    "join_at": N_("Join at"),
    "code": N_("Code"),
    "best_answer": N_("Best response"),
    "phase": N_("Card {n} of {total}"),
    "phase_reveal": N_("Card {n} of {total} · reveal"),
    "open_label": N_("Your team's answer"),
    "open_placeholder": N_("In a few sentences…"),
    "open_hint": N_("Write it together: what would you do? Your team-mates see your draft."),
    "open_screen_note": N_("Every team writes its own answer on its phones."),
    "what_teams_chose": N_("What the teams chose"),
}


def preview_words(lang: str, total: int) -> dict[str, str]:
    """The preview's phone and screen words in ``lang``: card 1 of ``total``, 0 of 3 teams locked in."""
    first = {"n": 1, "total": total}
    return texts_in(
        lang,
        PREVIEW_WORDS,
        {"card_of": first, "phase": first, "phase_reveal": first, "locked_count": {"n": 0, "total": 3}},
    )


def library() -> DeckLibrary:
    """The app's deck library (the service's decks)."""
    return current_app.extensions["aandacht"].decks


@bp.app_template_filter("fid")
def field_id(name: str) -> str:
    """An HTML id for a form field name: "r2.key.ease" -> "f-r2-key-ease"."""
    return "f-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# The form's fields in words, as the error summary names them (translated where shown).
FIELD_WORDS = {"id": N_("Card id"), "story": N_("Story"), "kind": N_("Kind of card"), "sensitive": N_("Sensitive"),
               "best": N_("The best response"), "responses": N_("Responses"), "title": N_("Title"),
               "situation": N_("Situation"), "question": N_("Question"), "lesson": N_("Lesson"),
               "debrief": N_("Debrief question"), "notes": N_("Your private notes"), "deck.id": N_("Deck id"),
               "deck.title": N_("Deck title"), "deck.description": N_("Deck description"),
               "deck.languages": N_("Languages of the deck")}
RESPONSE_WORDS = {"": N_("Response %(letter)s"), "text": N_("Response %(letter)s"),
                  "feedback": N_("Feedback on response %(letter)s"), "key": N_("Rubric key of response %(letter)s"),
                  "key.flag": N_("Flag of response %(letter)s")}
LANGUAGE_WORDS = {"nl": N_("Dutch"), "en": N_("English")}
DIMENSION_WORDS = {d: N_(d.capitalize()) for d in DIMENSIONS}  # "Attention"... as the form's labels


@bp.app_template_filter("field_label")
def field_label(name: str) -> str:
    """Words for a form field name, in the page's language: "r1.key.ease" -> "Response B: Ease",
    "title.nl" -> "Title (Dutch)"."""
    parts = name.split(".")
    language = f" ({_(LANGUAGE_WORDS[parts.pop()])})" if len(parts) > 1 and parts[-1] in LANGUAGE_WORDS else ""
    response = re.fullmatch(r"r([0-9])", parts[0])
    if response:
        letter = SLOT_IDS[int(response.group(1))].upper()
        rest = ".".join(parts[1:])
        if rest.startswith("key.") and parts[-1] in DIMENSION_WORDS:
            words = f"{_(RESPONSE_WORDS[''], letter=letter)}: {_(DIMENSION_WORDS[parts[-1]])}"
        else:
            words = _(RESPONSE_WORDS.get(rest, RESPONSE_WORDS[""]), letter=letter)
    else:
        key = ".".join(parts)
        words = _(FIELD_WORDS[key]) if key in FIELD_WORDS else key
    return words + language


def _check_csrf() -> None:
    """Refuse a POST without this browser's form token."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))


def _deck_or_404(deck_id: str) -> DeckInfo:
    """A deck and where it lives, or 404."""
    info = library().info(deck_id) if len(deck_id) <= 64 else None
    if info is None:
        abort(404, description=_("There is no deck with this id."))
    return info


def _card_or_404(deck_id: str, card_id: str) -> tuple[DeckInfo, Card]:
    """A deck and one of its cards, or 404."""
    info = _deck_or_404(deck_id)
    card = info.deck.card(card_id)
    if card is None:
        abort(404, description=_("This deck has no such card."))
    return info, card


def _own_deck(deck_id: str) -> DeckInfo:
    """A deck the signed-in facilitator may change (its owner, or an administrator; ``game.rights``); a clear 403
    page in their language for a built-in deck or another facilitator's."""
    info = _deck_or_404(deck_id)
    try:
        library().require_change(deck_id, acting_facilitator())
    except GameError as error:
        title = _("Not your deck") if error.message == NOT_YOUR_DECK else _("A built-in deck")
        raise Refused((render_template("refused.html", title=title, text=_(error.message)), 403)) from None
    return info


def _owner_id() -> str | None:
    """The id of the facilitator making, importing or duplicating a deck: they own it."""
    who = acting_facilitator()
    return who.id if who is not None else None


def _owner_name(owner_id: str | None) -> str | None:
    """The name of a deck's owner, for the list and the deck page (None: built-in, or made before accounts)."""
    if owner_id is None:
        return None
    user = current_app.extensions["aandacht.accounts"].user(owner_id)
    return user.name if user is not None else None


def _version() -> int:
    """The deck version the form was made from."""
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return -1


# --- forms <-> deck data -----------------------------------------------------------------


def _field(form, name: str) -> str:
    """A text field, trimmed."""
    return str(form.get(name, "")).strip()


def _text(form, prefix: str) -> dict:
    """A text from the fields ``prefix.nl`` and ``prefix.en``: the languages filled in (validation asks for the
    deck's languages, in the facilitator's words)."""
    values = {lang: _field(form, f"{prefix}.{lang}") for lang in LANGUAGES}
    return {lang: value for lang, value in values.items() if value}


OWN_STORY = "own"  # the story chooser's choice for the facilitator's own case (written in ``story_own``)


def _story(form) -> str:
    """The card's story from the form: a built-in story chosen in the list, or the facilitator's own words."""
    chosen = _field(form, "story")
    if chosen == OWN_STORY or (chosen and chosen not in STORY_NAMES):
        return _field(form, "story_own") if chosen == OWN_STORY else chosen
    return chosen


def _languages(form, prefix: str = "deck.") -> list[str]:
    """The deck's languages from the form ("nl en", "nl" or "en"; absent: both)."""
    raw = _field(form, prefix + "languages")
    return raw.split() if raw else list(LANGUAGES)


def _points(raw: str):
    """A rubric point as a number when it is one; else the text itself, which validation refuses at the field."""
    return int(raw) if raw.isdigit() and len(raw) < 3 else raw


def card_from_form(form) -> tuple[dict, list[int]]:
    """A card in the deck file's form from the card form, and which slot each response came from.

    An empty response slot is left out (a card has 3 or 4 responses); an open card takes none.
    """
    kind = _field(form, "kind") or "choice"
    data: dict = {"id": _field(form, "id")}
    story = _story(form)
    if story:
        data["story"] = story
    data["sensitive"] = form.get("sensitive") == "on"
    if kind != "choice":
        data["kind"] = kind
    for name in CARD_TEXTS[:3]:
        data[name] = _text(form, name)
    slots: list[int] = []
    if kind != "open":
        responses = []
        for i in range(SLOTS):
            p = f"r{i}"
            text, feedback = _text(form, f"{p}.text"), _text(form, f"{p}.feedback")
            if not text and not feedback:
                continue
            key: dict = {d: _points(_field(form, f"{p}.key.{d}")) for d in DIMENSIONS}
            if form.get(f"{p}.key.flag") == "on":
                key["flag"] = True
            response: dict = {"id": _field(form, f"{p}.id") or SLOT_IDS[i]}
            if _field(form, "best") == str(i):
                response["best"] = True
            response.update(text=text, key=key, feedback=feedback)
            responses.append(response)
            slots.append(i)
        data["responses"] = responses
    for name in CARD_TEXTS[3:]:
        data[name] = _text(form, name)
    notes = _text(form, "notes")
    if any(lang in notes for lang in _languages(form)):  # notes only in a language the deck is not in: none
        data["notes"] = notes
    return data, slots


def _card_id(card: dict, taken: set[str]) -> None:
    """Give a card without an id one made from its English (else Dutch) title, unused in the deck."""
    title = card["title"].get("en") or card["title"].get("nl")
    if card["id"] or not title:
        return
    base = slugify(title) if slugify(title) != "deck" else "card"
    card["id"], n = base, 2
    while card["id"] in taken:
        card["id"], n = f"{base}-{n}", n + 1


def card_values(card: Card | None) -> dict:
    """The card form's field values for a card (or a new one)."""
    values: dict = {"kind": "choice", "sensitive": False}
    for i in range(SLOTS):
        values[f"r{i}.id"] = SLOT_IDS[i]
        for d in DIMENSIONS:
            values[f"r{i}.key.{d}"] = "0"
    if card is None:
        return values
    data = card_to_data(card)
    values.update(id=card.id, sensitive=card.sensitive, kind=card.kind)
    if card.story in STORY_NAMES or not card.story:
        values["story"] = card.story
    else:
        values.update(story=OWN_STORY, story_own=card.story)
    for name in (*CARD_TEXTS, "notes"):
        for lang in ("nl", "en"):
            values[f"{name}.{lang}"] = data.get(name, {}).get(lang, "")
    for i, r in enumerate(data.get("responses", [])):
        p = f"r{i}"
        values[f"{p}.id"] = r["id"]
        if r.get("best"):
            values["best"] = str(i)
        for part in ("text", "feedback"):
            for lang in ("nl", "en"):
                values[f"{p}.{part}.{lang}"] = r[part].get(lang, "")
        for d in DIMENSIONS:
            values[f"{p}.key.{d}"] = str(r["key"][d])
        values[f"{p}.key.flag"] = bool(r["key"].get("flag"))
    return values


def form_values(form) -> dict:
    """What was posted, to show it again after a problem (checkboxes as booleans)."""
    values = {k: form.get(k, "") for k in form}
    for name in ("sensitive", *(f"r{i}.key.flag" for i in range(SLOTS))):
        values[name] = form.get(name) == "on"
    values.setdefault("kind", "choice")
    return values


def deck_meta_from_form(form, prefix: str = "deck.") -> dict:
    """A deck's id, languages, title and description from the deck form."""
    return {"id": _field(form, prefix + "id"), "languages": _languages(form, prefix),
            **{name: _text(form, prefix + name) for name in DECK_TEXTS}}


def deck_values(deck: Deck | None) -> dict:
    """The deck form's values for a deck (or a new one: both languages)."""
    if deck is None:
        return {"deck.languages": " ".join(LANGUAGES)}
    values = {"deck.id": deck.id, "deck.languages": " ".join(deck.languages)}
    for name in DECK_TEXTS:
        for lang in ("nl", "en"):
            values[f"deck.{name}.{lang}"] = getattr(getattr(deck, name), lang)
    return values


def shown_languages(values: dict) -> list[str]:
    """The languages whose text fields a deck form shows: the deck's, as chosen on the form."""
    chosen = [lang for lang in str(values.get("deck.languages", "")).split() if lang in LANGUAGES]
    return chosen or list(LANGUAGES)


@bp.app_template_global("story_names")
def story_names_here() -> dict[str, str]:
    """The built-in stories' names in the page's language (the console shows a card's story by its name)."""
    return story_names(_)


@bp.app_template_filter("story_name")
def story_name_here(story: str) -> str:
    """A card's story as the page shows it: a built-in story's name in the page's language, or the facilitator's
    own words as written."""
    return story_name(story, _)


# --- problems -> form fields -------------------------------------------------------------

CARD_ANCHORS = {"id", "story", "kind", "sensitive", "best", "responses", "notes", *CARD_TEXTS}
for _i in range(SLOTS):
    CARD_ANCHORS |= {f"r{_i}", f"r{_i}.text", f"r{_i}.feedback", f"r{_i}.key", f"r{_i}.key.flag",
                     *(f"r{_i}.key.{d}" for d in DIMENSIONS)}
for _name in (*CARD_TEXTS, "notes"):
    CARD_ANCHORS |= {f"{_name}.nl", f"{_name}.en"}
for _i in range(SLOTS):
    CARD_ANCHORS |= {f"r{_i}.{part}.{lang}" for part in ("text", "feedback") for lang in ("nl", "en")}
DECK_ANCHORS = {"deck.id", "deck.languages", *(f"deck.{n}" for n in DECK_TEXTS),
                *(f"deck.{n}.{lang}" for n in DECK_TEXTS for lang in ("nl", "en"))}


def _parent(path: str) -> str:
    """The path one level up: "r1.key.ease" -> "r1.key", "responses[2]" -> "responses"."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _anchor(path: str, anchors: set[str]) -> str | None:
    """The nearest form field or group a problem's path falls in."""
    while path and path not in anchors:
        path = _parent(path)
    return path or None


def card_field(path: str | None, slots: list[int]) -> str | None:
    """The card form's field for a problem's dotted path inside the card, or None."""
    if not path:
        return None
    match = re.match(r"responses\[(\d+)\](.*)", path)
    if match:
        index, rest = int(match.group(1)), match.group(2)
        if index >= len(slots):
            return "responses"
        if rest == ".best":
            return "best"
        path = f"r{slots[index]}{rest}"
    return _anchor(path, CARD_ANCHORS)


def sort_problems(problems: list[DeckProblem], card_labels: set[str], slots: list[int]) -> tuple[dict, list[str]]:
    """Put each problem at its field: the edited card's (labels ``card_labels``) or the deck's; the rest is general."""
    at: dict[str, list[str]] = {}
    general: list[str] = []
    for p in problems:
        if p.card is None:
            name = _anchor(f"deck.{p.field}", DECK_ANCHORS) if p.field else None
        elif p.card in card_labels:
            name = card_field(p.field, slots)
        else:
            name = None
        if name is None:
            text = p.text(_)
            # a facilitator's sentence stands on its own; a file's problem ("is missing") needs its place
            general.append(p.line(_) if p.card is not None else (f"{p.field}: {text}" if p.field and
                                                                  not text[:1].isupper() else text))
        else:
            at.setdefault(name, []).append(p.text(_))
    return at, general


def _card_labels(data: dict, index: int) -> set[str]:
    """How problems name the card at ``index``: its id, or its position when the id is unusable."""
    labels = {f"cards[{index}]"}
    if isinstance(data.get("id"), str) and data["id"].strip():
        labels.add(data["id"].strip())
    return labels


# --- pages -------------------------------------------------------------------------------


def _summary(deck: Deck, builtin: bool) -> dict:
    """A deck's line in the list: with its owner's name and whether the signed-in facilitator may change it."""
    lang = deck.language_for(current_language())  # a one-language deck's texts are in its own language only
    owner_id = None if builtin else library().owner(deck.id)
    who = acting_facilitator()
    return {
        "owner": _owner_name(owner_id),
        "mine": who is not None and owner_id == who.id,
        "may_change": library().may_change(deck.id, who),
        "id": deck.id,
        "title": deck.title.get(lang),
        "description": deck.description.get(lang),
        "languages": list(deck.languages),
        "cards": len(deck.cards),
        "sensitive": sum(1 for c in deck.cards if c.sensitive),
        "open": sum(1 for c in deck.cards if c.is_open),
        "builtin": builtin,
    }


def _list_page(problems: list[DeckProblem] | None = None, status: int = 200, notice: str | None = None,
               total: int | None = None):
    """The deck list, with the problems of a refused upload (``total``: how many there are, listed or not)."""
    lib = library()
    decks = [_summary(d, d.id in lib.builtin) for d in lib.values()]
    rows = [{"file": p.file, "card": p.card, "field": p.field, "message": p.text(_)} for p in problems or []]
    return render_template("decks.html", decks=decks, problems=rows, csrf_token=csrf_token(),
                           problem_count=len(rows) if total is None else total, notice=notice or _notice()), status


def _notice() -> str | None:
    """A short message after a redirect (?done=...)."""
    if request.args.get("done") == "deleted":
        return _("The deck has been deleted. Workshops made from it keep their cards.")
    return None


@bp.get("/decks")
def deck_list():
    """Every deck, built-in and own, with its card counts and actions; upload a deck file."""
    return _list_page()


def _refused_upload(filename: str, template: str, **params):
    """The deck list with one problem of an upload that is not a deck file at all."""
    return _list_page([DeckProblem(filename, None, None, Msg(template, params))], 400)


@bp.post("/decks/import")
def import_deck():
    """Upload a .yaml deck: stored only when it has no problem at all; else every problem is listed."""
    _check_csrf()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused_upload(_("(no file)"), N_("choose a .yaml deck file to upload"))
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    raw = upload.read(UPLOAD_MAX + 1)
    if len(raw) > UPLOAD_MAX:
        return _refused_upload(filename, N_("is larger than {kb} kB"), kb=UPLOAD_MAX // 1000)
    if not filename.lower().endswith((".yaml", ".yml")):
        return _refused_upload(filename, N_("must be a .yaml or .yml deck file"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused_upload(filename, N_("is not UTF-8 text"))
    try:
        replace = request.form.get("replace") == "on" and _may_replace(text, filename)
        deck = library().create(text, filename, replace=replace, owner_id=_owner_id())
    except DeckError as exc:
        return _list_page(exc.problems, 400, total=exc.total)
    return redirect(url_for("decks.deck_page", deck_id=deck.id, done="imported"), code=303)


def _may_replace(text: str, filename: str) -> bool:
    """Whether an import may overwrite the stored deck with the same id: only one the facilitator may change
    (another's deck with that id is refused as taken, as without "replace")."""
    try:
        deck = library().check(text, filename)
    except DeckError:
        return False  # its problems are listed by create()
    return library().info(deck.id) is None or library().may_change(deck.id, acting_facilitator())


@bp.get("/decks/new")
def new_deck():
    """The form for a new deck and its first card (a deck needs at least one)."""
    return _new_page(deck_values(None), card_values(None), {}, [])


def _new_page(deck_vals: dict, card_vals: dict, errors: dict, general: list[str], status: int = 200):
    """The new-deck page."""
    return render_template("deck_new.html", deck_values=deck_vals, values=card_vals, errors=errors, general=general,
                           csrf_token=csrf_token(), ctx=_form_context(shown_languages(deck_vals))), status


def _form_context(languages: list[str] | tuple[str, ...] = LANGUAGES) -> dict:
    """What every card form needs: limits, dimensions, the built-in stories, the deck's languages (the text
    fields shown; the others are kept in the form, hidden)."""
    return {
        "card_limits": CARD_LIMITS, "deck_limits": DECK_LIMITS, "notes_limit": NOTES_LIMIT,
        "response_limits": RESPONSE_LIMITS, "dimensions": DIMENSIONS, "max_points": MAX_POINTS,
        "kinds": KINDS, "slots": range(SLOTS), "slot_ids": SLOT_IDS, "stories": story_names(_),
        "own_story": OWN_STORY, "story_limit": STORY_LIMIT, "languages": list(languages),
    }


@bp.post("/decks/new")
def create_deck():
    """Create a deck with its first card; every problem is shown at its field."""
    _check_csrf()
    meta = deck_meta_from_form(request.form)
    if not meta["id"]:
        meta["id"] = library().free_id(meta["title"].get("en") or meta["title"].get("nl") or "deck")
    card, slots = card_from_form(request.form)
    _card_id(card, set())
    text = library().dump({**meta, "cards": [card]})
    try:
        deck = library().create(text, f"{meta['id']}.yaml", owner_id=_owner_id())
    except DeckError as exc:
        errors, general = sort_problems(exc.problems, _card_labels(card, 0), slots)
        return _new_page({k: v for k, v in request.form.items() if k.startswith("deck.")},
                         form_values(request.form), errors, general, 400)
    return redirect(url_for("decks.deck_page", deck_id=deck.id, done="created"), code=303)


DONE = {
    "created": N_("The deck has been saved."),
    "imported": N_("The deck has been imported."),
    "duplicated": N_("This is your copy: edit it as you like."),
    "saved": N_("Saved."),
    "card-saved": N_("The card has been saved."),
    "card-deleted": N_("The card has been deleted."),
    "moved": N_("The order has been saved."),
}


@bp.get("/decks/<deck_id>")
def deck_page(deck_id: str):
    """One deck: its title and description (editable for an own deck) and its cards with their actions."""
    info = _deck_or_404(deck_id)
    done = DONE.get(request.args.get("done", ""))
    return _deck_page(info, deck_values(info.deck), {}, [], notice=_(done) if done else None)


def _deck_page(info: DeckInfo, values: dict, errors: dict, general: list[str], status: int = 200,
               notice: str | None = None, version: int | None = None):
    """Render a deck's page."""
    return render_template("deck.html", info=info, deck=info.deck, summary=_summary(info.deck, info.builtin),
                           values=values, errors=errors, general=general, notice=notice, csrf_token=csrf_token(),
                           version=info.version if version is None else version,
                           deck_limits=DECK_LIMITS, languages=shown_languages(values)), status


def _save(info: DeckInfo, data: dict, version: int) -> Deck:
    """Validate and store a changed own deck (raises DeckError or Conflict)."""
    return library().update(info.deck.id, library().dump(data), version)


@bp.post("/decks/<deck_id>")
def save_deck(deck_id: str):
    """Save an own deck's title and description."""
    _check_csrf()
    info = _own_deck(deck_id)
    meta = deck_meta_from_form(request.form)
    meta["id"] = deck_id  # the id of a stored deck stays
    data = {**meta, "cards": deck_to_data(info.deck)["cards"]}
    kept = {k: v for k, v in request.form.items() if k.startswith("deck.")}
    kept["deck.id"] = deck_id
    try:
        _save(info, data, _version())
    except DeckError as exc:
        errors, general = sort_problems(exc.problems, set(), [])
        general = _card_problems(info.deck, exc.problems) or general
        return _deck_page(info, kept, errors, general, 400, version=_version())
    except Conflict:
        fresh = _own_deck(deck_id)
        return _deck_page(fresh, kept, {}, [_(CONFLICT)], 409)
    return redirect(url_for("decks.deck_page", deck_id=deck_id, done="saved"), code=303)


@bp.post("/decks/<deck_id>/delete")
def delete_deck(deck_id: str):
    """Delete an own deck (workshops made from it keep their own copy of its cards)."""
    _check_csrf()
    _own_deck(deck_id)
    library().delete(deck_id)
    return redirect(url_for("decks.deck_list", done="deleted"), code=303)


@bp.post("/decks/<deck_id>/duplicate")
def duplicate_deck(deck_id: str):
    """Copy any deck (a built-in one too) as a new own deck with a new id."""
    _check_csrf()
    info = _deck_or_404(deck_id)
    data = deck_to_data(info.deck)
    data["id"] = library().free_id(f"{deck_id}-copy")
    data["title"] = {lang: _suffix(title, " (kopie)" if lang == "nl" else " (copy)")
                     for lang, title in data["title"].items()}
    try:
        deck = library().create(library().dump(data), f"{data['id']}.yaml", owner_id=_owner_id())
    except DeckError as exc:
        return _list_page(exc.problems, 400, total=exc.total)
    return redirect(url_for("decks.deck_page", deck_id=deck.id, done="duplicated"), code=303)


def _card_problems(deck: Deck, problems: list[DeckProblem]) -> list[str]:
    """The cards' problems after a change of the deck's languages, by card title: a language is added only when
    every card has its texts in it. Empty when no card has a problem."""
    titles = {c.id: c.title.get(deck.language_for(current_language())) for c in deck.cards}
    lines = [_("Card “%(title)s”: %(problem)s", title=titles.get(p.card, p.card), problem=p.text(_))
             for p in problems if p.card is not None]
    if lines:
        lines.insert(0, _("To add a language, every card needs its texts in it first. Open a card, choose “Also "
                          "show the other language”, write them, and save; then add the language here."))
    return lines


def _suffix(title: str, suffix: str) -> str:
    """A title with a suffix, within the title limit."""
    return title[: DECK_LIMITS["title"] - len(suffix)].rstrip() + suffix


@bp.get("/decks/<deck_id>/export.yaml")
def export_deck(deck_id: str):
    """Download a deck as its .yaml file; importing it again gives the same deck."""
    info = _deck_or_404(deck_id)
    text = library().source(deck_id)
    if text is None:
        abort(404)
    return Response(text, mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{info.filename}"', "Cache-Control": "no-store"})


# --- cards ---------------------------------------------------------------------------------


def _card_page(info: DeckInfo, card_id: str | None, values: dict, errors: dict, general: list[str],
               status: int = 200, version: int | None = None):
    """Render the card form."""
    languages = LANGUAGES if request.values.get("all") == "1" else info.deck.languages
    return render_template("card_edit.html", info=info, deck=info.deck, card_id=card_id, values=values, errors=errors,
                           general=general, csrf_token=csrf_token(), show_all=request.values.get("all") == "1",
                           version=info.version if version is None else version, ctx=_form_context(languages)), status


@bp.get("/decks/<deck_id>/cards/new")
def new_card(deck_id: str):
    """The form for a new card in an own deck."""
    info = _own_deck(deck_id)
    return _card_page(info, None, card_values(None), {}, [])


@bp.get("/decks/<deck_id>/cards/<card_id>")
def edit_card(deck_id: str, card_id: str):
    """The form for one card of a deck the facilitator may change (a built-in deck's card opens its preview;
    another facilitator's deck: 403)."""
    info, card = _card_or_404(deck_id, card_id)
    if info.builtin:
        return redirect(url_for("decks.preview_card", deck_id=deck_id, card_id=card_id))
    _own_deck(deck_id)
    return _card_page(info, card_id, card_values(card), {}, [])


@bp.post("/decks/<deck_id>/cards/new", defaults={"card_id": None})
@bp.post("/decks/<deck_id>/cards/<card_id>")
def save_card(deck_id: str, card_id: str | None):
    """Add a card, or save an edited one in its place; every problem is shown at its field."""
    _check_csrf()
    info = _own_deck(deck_id)
    cards = deck_to_data(info.deck)["cards"]
    card, slots = card_from_form(request.form)
    _card_id(card, {c.id for c in info.deck.cards if c.id != card_id})
    if card_id is None:
        index = len(cards)
        cards.append(card)
    else:
        index = next((i for i, c in enumerate(info.deck.cards) if c.id == card_id), None)
        if index is None:
            abort(404, description=_("This deck has no such card (any more)."))
        cards[index] = card
    try:
        _save(info, deck_to_data(info.deck, cards), _version())
    except DeckError as exc:
        errors, general = sort_problems(exc.problems, _card_labels(card, index), slots)
        return _card_page(info, card_id, form_values(request.form), errors, general, 400, version=_version())
    except Conflict:
        fresh = _own_deck(deck_id)
        return _card_page(fresh, card_id, form_values(request.form), {}, [_(CONFLICT)], 409)
    return redirect(url_for("decks.deck_page", deck_id=deck_id, done="card-saved") + f"#card-{card['id']}", code=303)


@bp.post("/decks/<deck_id>/cards/<card_id>/move")
def move_card(deck_id: str, card_id: str):
    """Move a card one place up or down."""
    _check_csrf()
    info = _own_deck(deck_id)
    cards = list(info.deck.cards)
    index = next((i for i, c in enumerate(cards) if c.id == card_id), None)
    if index is None:
        abort(404)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(cards):
        cards[index], cards[other] = cards[other], cards[index]
        return _change_cards(info, cards, "moved", card_id)
    return redirect(url_for("decks.deck_page", deck_id=deck_id) + f"#card-{card_id}", code=303)


@bp.post("/decks/<deck_id>/cards/<card_id>/delete")
def delete_card(deck_id: str, card_id: str):
    """Delete a card (a deck keeps at least one)."""
    _check_csrf()
    info = _own_deck(deck_id)
    if info.deck.card(card_id) is None:
        abort(404)
    return _change_cards(info, [c for c in info.deck.cards if c.id != card_id], "card-deleted")


def _change_cards(info: DeckInfo, cards: list[Card], done: str, anchor: str | None = None):
    """Save a deck with its cards reordered or one removed."""
    data = deck_to_data(info.deck, [card_to_data(c) for c in cards])
    try:
        _save(info, data, _version())
    except DeckError as exc:
        _errors, general = sort_problems(exc.problems, set(), [])
        return _deck_page(info, deck_values(info.deck), {}, general, 400)
    except Conflict:
        return _deck_page(_own_deck(info.deck.id), deck_values(info.deck), {}, [
            _("Someone changed this deck since you opened it; here it is as it is now. Try again.")], 409)
    target = url_for("decks.deck_page", deck_id=info.deck.id, done=done)
    return redirect(target + (f"#card-{anchor}" if anchor else ""), code=303)


# --- preview ---------------------------------------------------------------------------------


def _choice(source, name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` from the request (the first when it is missing or unknown)."""
    value = source.get(name, allowed[0])
    return value if value in allowed else allowed[0]


def _render_preview(deck: Deck, card: Card, source, info: DeckInfo | None = None, draft: list | None = None):
    """A card as the phone or the big screen shows it: their own page structure and styles (see card_preview.html).

    ``draft`` holds the posted fields of an unsaved card, which the preview bar posts again to switch views."""
    target = _choice(source, "view", ("phone", "screen"))
    lang = _choice(source, "lang", deck.languages)  # a one-language deck is previewed in its language only
    stage = _choice(source, "stage", ("question", "reveal"))
    best = card.best_response()
    return render_template(
        "card_preview.html", info=info, deck=deck, card=card, target=target, lang=lang, stage=stage, draft=draft,
        words=preview_words(lang, len(deck.cards)), total=len(deck.cards), best=best, csrf_token=csrf_token(),
        texts={"title": card.title.get(lang), "situation": card.situation.get(lang),
               "question": card.question.get(lang), "lesson": card.lesson.get(lang),
               "debrief": card.debrief.get(lang), "best": best.text.get(lang) if best else None,
               "best_feedback": best.feedback.get(lang) if best else None},
        responses=[{"id": r.id, "text": r.text.get(lang), "best": r.best} for r in card.responses],
    )


@bp.get("/decks/<deck_id>/cards/<card_id>/preview")
def preview_card(deck_id: str, card_id: str):
    """A saved card as the phone or the big screen shows it, in either language, before or after the reveal."""
    info, card = _card_or_404(deck_id, card_id)
    return _render_preview(info.deck, card, request.args, info=info)


@bp.post("/decks/preview")
def preview_draft():
    """The card being edited, not saved yet, as the phone or the big screen shows it (opens in a new tab).

    The card passes the same validation as a saved one; when it does not, its problems are listed."""
    _check_csrf()
    card, slots = card_from_form(request.form)
    _card_id(card, set())
    meta = deck_meta_from_form(request.form)
    title = {lang: meta["title"].get(lang) or "Aandacht" for lang in ("nl", "en")}
    data = {"id": "preview", "languages": meta["languages"], "title": title, "description": title, "cards": [card]}
    try:
        deck = library().parse(library().dump(data), "preview")
    except DeckError as exc:
        errors, general = sort_problems(exc.problems, _card_labels(card, 0), slots)
        problems = [f"{field_label(name)}: {'; '.join(messages)}" for name, messages in errors.items()]
        return render_template("card_preview_problems.html", problems=problems + general), 400
    fields = [(k, v) for k, values in request.form.lists() for v in values if k not in ("to", "csrf_token")]
    view, lang, stage = (request.form.get("to", "") + "::").split(":")[:3]  # the button pressed: "phone:nl:question"
    return _render_preview(deck, deck.cards[0], {"view": view, "lang": lang, "stage": stage}, draft=fields)
