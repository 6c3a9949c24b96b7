"""HTTP pages: create a workshop, the facilitator console, the big screen and the phone."""

from __future__ import annotations

import hashlib
import io

import flask_babel
import segno
from babel import dates as babel_dates
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..engine import GameError, Phase, Settings
from ..engine.rules import NAME_MAX
from ..net import candidate_bases, is_loopback, reachable_base
from ..report import csv_export, report_data, report_zone, soft_hyphens, valid_zone
from ..rights import NOT_THE_OWNER, NOT_YOUR_WORKSHOP, can_manage_co_facilitators
from ..service import CODE_ALPHABET, CODE_LENGTH, RunAgainRefused, Service, deck_language_error, normalise_code
from ..store import REPO
from ..stories import story_name
from .auth import _unauthorized, facilitator_required
from .i18n import N_, browser_language, chosen_language, page_language
from .links import acting_facilitator, device_of, remember_device
from .security import _csrf_ok, client_address, csrf_token, guard

bp = Blueprint("pages", __name__)

SOCKET_IO_CLIENT = REPO / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"  # from npm, by the set-up
TITLE_MAX = 80
MAX_TEAMS = 200


def service() -> Service:
    """The application's service."""
    return current_app.extensions["aandacht"]


def public_url(workshop_id: str | None = None) -> str:
    """The address phones use: PUBLIC_URL when set, else the one the facilitator chose for the workshop, else the
    address this page was opened on (with this machine's best LAN address instead of a loopback one)."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    chosen = service().store.join_base(workshop_id) if workshop_id else None
    return chosen or reachable_base(request.host_url)


def join_choices(workshop_id: str) -> dict:
    """What the console's join-address chooser offers: ``fixed`` when PUBLIC_URL decides, the ``chosen`` address
    (None: automatic), and the ``offered`` ones (this machine's addresses with the port this page was opened on)."""
    if current_app.config.get("PUBLIC_URL"):
        return {"fixed": True, "chosen": None, "offered": []}
    offered = candidate_bases(request.host_url)
    chosen = service().store.join_base(workshop_id)
    if chosen and all(o["url"] != chosen for o in offered):  # chosen earlier, gone from this machine since
        offered.append({"url": chosen, "address": chosen, "interface": "", "virtual": False, "gone": True})
    return {"fixed": False, "chosen": chosen, "offered": offered, "automatic": reachable_base(request.host_url)}


def choose_join_address(workshop_id: str, code: str, url: str | None) -> dict:
    """The facilitator picks the address phones join by (None: automatic). Only an offered address is accepted
    (a typed URL is not: PUBLIC_URL is for that); every console and big screen of the workshop gets the new link."""
    offered = [] if current_app.config.get("PUBLIC_URL") else candidate_bases(request.host_url)
    if url is not None and url not in [o["url"] for o in offered]:
        raise GameError("bad_address", "Choose one of the addresses offered.")
    svc = service()
    if not svc.store.set_join_base(workshop_id, url):
        raise GameError("no_such_workshop", "This workshop does not exist (any more).")
    link = join_link(workshop_id, code)
    svc.publisher.send_join_link(workshop_id, link)
    return link


def join_link(workshop_id: str, code: str) -> dict:
    """The join link in use now, as ``join_link`` carries it: the link, its QR code, whether it is loopback and the
    facilitator's choice (None: automatic, or PUBLIC_URL decides)."""
    chosen = None if current_app.config.get("PUBLIC_URL") else service().store.join_base(workshop_id)
    return {**_join_links(code, public_url(workshop_id)), "chosen": chosen}


def _deck_choices() -> list[dict]:
    """The decks for the create form, in the facilitator's language."""
    page = chosen_language()
    choices = []
    for deck in service().decks.values():
        lang = deck.language_for(page)  # a one-language deck's texts are in its own language only
        choices.append({
            "id": deck.id,
            "title": deck.title.get(lang),
            "description": deck.description.get(lang),
            "languages": list(deck.languages),
            "cards": [
                {"id": c.id, "title": c.title.get(lang), "sensitive": c.sensitive, "story": story_name(c.story, _)}
                for c in deck.cards
            ],
        })
    return choices


DEFAULT_FORM = {
    "title": "",
    "deck_id": "",
    "language": "nl",
    "timer_seconds": 120,
    "team_size": 6,
    "teams_open": True,
    "teams": "",
}


# Why creating a workshop can still fail after the form was checked, in the facilitator's language.
CREATE_ERRORS = {
    "deck_changed": N_("The deck was changed or deleted meanwhile; choose its cards again."),
    "deck_dutch_only": N_("This deck is in Dutch only; choose Dutch as the workshop's language, or another deck."),
    "deck_english_only": N_("This deck is in English only; choose English as the workshop's language, or another "
                            "deck."),
    "busy": N_("No free room code; try again."),
    "name_refused": N_("A team name is not allowed here; choose another."),
    "invalid": N_("Two teams have the same name; give each team its own."),
    "storage_unavailable": N_("The server cannot save right now; nothing was created. Please try again in a moment."),
}


@bp.get("/")
@facilitator_required
def home():
    """The facilitator's start page: create a workshop."""
    notice = _("The workshop and its participants' data have been deleted.") if request.args.get("deleted") else None
    return _home(errors=[], form={**DEFAULT_FORM, "language": chosen_language()}, notice=notice)


HISTORY_MAX = 30


def _status(w) -> str:
    """Where a workshop is, in words."""
    return _status_of(w.phase.value, w.round_index, len(w.cards))


def _status_of(phase: str, round_index: int, cards: int) -> str:
    """Where a workshop is, in words, from its phase, the index of its current card and its number of cards."""
    if phase == "lobby":
        return _("waiting for players")
    if phase == "finished":
        return _("ended")
    return _("card %(n)s of %(total)s", n=round_index + 1, total=cards)


def _created(created_at: float, time_zone: str) -> str:
    """When a workshop was created, in its time zone, with the month's name in the page's language."""
    zone = report_zone(time_zone)
    created = zone.moment(created_at)
    return babel_dates.format_datetime(
        created, "d MMM yyyy HH:mm", tzinfo=created.tzinfo, locale=flask_babel.get_locale()
    ) + " " + zone.name


def _history() -> list[dict]:
    """The workshops on the start page: the signed-in facilitator's own and co-run ones (from the database, on
    every device), then those this browser created by secret link before accounts (its cookie list) that still
    exist and are not listed already."""
    history, kept, listed = [], [], set()
    svc = service()
    who = acting_facilitator()
    for row in svc.history(who, HISTORY_MAX) if who is not None else []:
        listed.add(row["id"])
        history.append(
            {
                "title": row["title"],
                "phase": row["phase"],
                "status": _status_of(row["phase"], row["round_index"], row["cards"]),
                "created": _created(row["created_at"], (row["settings"] or {}).get("time_zone") or ""),
                "players": row["players"],
                "teams": row["teams"],
                "role": row["role"],
                "console_url": url_for("pages.console_by_id", workshop_id=row["id"]),
                "report_url": url_for("pages.report", workshop_id=row["id"]),
                "export_url": url_for("pages.export_csv", workshop_id=row["id"]),
                "delete_url": url_for("pages.delete_workshop", workshop_id=row["id"]),
                "again_url": url_for("pages.run_again", workshop_id=row["id"]),
            }
        )
    for key in session.get("workshops", []):  # the legacy list: workshops made before accounts, by secret link
        workshop_id = svc.store.workshop_id_by_key("facilitator", key) if isinstance(key, str) else None
        state = svc.state(workshop_id) if workshop_id else None
        if state is None:
            continue  # deleted, past its retention period, or its links were renewed
        kept.append(key)
        if workshop_id in listed:
            continue
        w = state.workshop
        history.append(
            {
                "title": w.title,
                "phase": w.phase.value,
                "status": _status(w),
                "created": _created(w.created_at, w.settings.time_zone),
                "players": len(state.players),
                "teams": len(state.teams),
                "role": "link",
                "console_url": url_for("pages.console", key=key),
                "report_url": url_for("pages.report", key=key),
                "export_url": url_for("pages.export_csv", key=key),
                "delete_url": url_for("pages.delete_workshop", key=key),
            }
        )
    if kept != session.get("workshops", []):
        session["workshops"] = kept
    return history


def _home(errors: list[str], form: dict, notice: str | None = None, status: int = 200):
    """The start page: the create form, and the workshops of this facilitator and this browser that still exist."""
    history = _history()
    page = render_template(
        "home.html",
        decks=_deck_choices(),
        csrf_token=csrf_token(),
        errors=errors,
        form=form,
        notice=notice,
        history=history,
        retention_days=f"{current_app.config['RETENTION_DAYS']:g}",
    )
    return page, status


def _int(form, name: str, low: int, high: int, label: str, errors: list[str]) -> int:
    """Read a whole number from the form within limits, noting an error if it is not one."""
    raw = form.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        errors.append(_("%(label)s must be a whole number.", label=label))
        return low
    if not low <= value <= high:
        errors.append(_("%(label)s must be from %(low)s to %(high)s.", label=label, low=low, high=high))
    return value


def parse_create_form(form, decks) -> tuple[dict, list[str]]:
    """Validate the create form; return the cleaned values and every error found."""
    errors: list[str] = []
    title = " ".join(form.get("title", "").split())
    if not title:
        errors.append(_("Give the workshop a title."))
    elif len(title) > TITLE_MAX:
        errors.append(_("The title can be at most %(n)s characters.", n=TITLE_MAX))
    deck = decks.get(form.get("deck_id", ""))
    if deck is None:
        errors.append(_("Choose a deck."))
    language = form.get("language", "")
    if language not in ("nl", "en"):
        errors.append(_("Choose Dutch or English."))
    elif deck is not None:
        refused = deck_language_error(deck, language)
        if refused:
            errors.append(_(CREATE_ERRORS[refused.code]))
    card_ids = form.getlist("card")
    if deck is not None:
        unknown = [cid for cid in card_ids if deck.card(cid) is None]
        if unknown:
            errors.append(_("Some chosen cards are not in this deck."))
        if len(set(card_ids)) != len(card_ids):
            errors.append(_("A card was chosen twice."))
        if not card_ids:
            errors.append(_("Choose at least one card."))
    timer = _int(form, "timer_seconds", 0, 3600, _("The timer"), errors)
    team_size = _int(form, "team_size", 1, 50, _("The team size"), errors)
    teams = [" ".join(line.split()) for line in form.get("teams", "").splitlines()]
    teams = [t for t in teams if t]
    if len(teams) > MAX_TEAMS:
        errors.append(_("At most %(n)s preset teams.", n=MAX_TEAMS))
    if any(len(t) > NAME_MAX for t in teams):
        errors.append(_("Team names can be at most %(n)s characters.", n=NAME_MAX))
    if len({t.casefold() for t in teams}) != len(teams):
        errors.append(_("Two preset teams have the same name."))
    refused = [t for t in teams if not guard().words.allows(t)]
    if refused:
        errors.append(_("Choose another name for “%(name)s”: it is not allowed here.", name=refused[0]))
    teams_open = form.get("teams_open") in ("on", "1", "true")
    time_zone = form.get("time_zone", "").strip()  # the browser's, set by home.js; anything else: the server's
    if not teams and not teams_open:
        errors.append(_("Preset some teams, or let participants create them."))
    values = {
        "title": title,
        "deck_id": deck.id if deck else "",
        "language": language if language in ("nl", "en") else "nl",
        "card_ids": card_ids,
        "timer_seconds": timer,
        "team_size": team_size,
        "teams_open": teams_open,
        "teams": teams,
        "time_zone": time_zone if valid_zone(time_zone) else "",
    }
    return values, errors


@bp.post("/workshops")
@facilitator_required
def create_workshop():
    """Create a workshop from the form and open its console."""
    svc = service()
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))
    values, errors = parse_create_form(request.form, svc.decks)
    if errors:
        return _home(errors=errors, form={**values, "teams": "\n".join(values["teams"])}, status=400)
    settings = Settings(
        language=values["language"],
        timer_seconds=values["timer_seconds"],
        team_size=values["team_size"],
        teams_open=values["teams_open"],
        time_zone=values["time_zone"],
    )
    try:
        created = svc.create_workshop(values["title"], values["deck_id"], values["card_ids"], settings, values["teams"],
                                      owner=acting_facilitator())
    except GameError as error:
        reason = CREATE_ERRORS.get(error.code)
        return _home(errors=[_(reason) if reason else error.message], form=DEFAULT_FORM, status=400)
    # the workshop is in its owner's history (the database, every device); the browser's own list is only for
    # workshops made before accounts
    return redirect(url_for("pages.console", key=created.facilitator_key), code=303)


LINK_REPLACED = N_("This link was replaced; ask the facilitator for the new one.")


def _workshop_for_key(role: str, key: str):
    """The state behind a facilitator or screen key, or 404 (410 for a key a newer generation of links replaced)."""
    svc = service()
    if len(key) > 100:
        abort(404)
    workshop_id = svc.store.workshop_id_by_key(role, key)
    state = svc.state(workshop_id) if workshop_id else None
    if state is None:
        if workshop_id is None and svc.store.replaced_link(key) is not None:
            abort(410, description=_(LINK_REPLACED))
        abort(404, description=_("This link does not open a workshop. Check the address."))
    return state


def _workshop_for_facilitator(workshop_id: str):
    """The state of a workshop the signed-in facilitator may run (owner, co-facilitator, administrator), or 404:
    a stranger learns nothing of which workshops exist. (The accounts send a visitor who is not signed in to the
    sign-in page before this.)"""
    svc = service()
    if len(workshop_id) > 32 or not svc.may_run(workshop_id, acting_facilitator()):
        abort(404, description=_("This link does not open a workshop. Check the address."))
    state = svc.state(workshop_id)
    if state is None:
        abort(404, description=_("This link does not open a workshop. Check the address."))
    return state


class Refused(Exception):
    """A request refused with a response of its own (sign in first, or a 403 page): see ``require_console_key``."""

    def __init__(self, response):
        super().__init__("refused")
        self.response = response


@bp.app_errorhandler(Refused)
def _refused(error: Refused):
    """Answer a ``Refused`` with its response."""
    return error.response


def not_yours():
    """A signed-in facilitator without rights on a workshop: a clear page in their language."""
    return render_template("refused.html", title=_("Not your workshop"), text=_(NOT_YOUR_WORKSHOP)), 403


def holds_console(workshop_id: str) -> bool:
    """Whether this device opened the workshop's console link of its current generation (its device cookie)."""
    return bool(device_of(workshop_id, "facilitator", service().store.link_generation(workshop_id) or 0))


def require_console_key(state, device_ok: bool = True):
    """The rule of a console link ``/f/<key>`` (and its socket): the device that opened it keeps it (with
    ``device_ok``), else a signed-in facilitator with rights (owner, co-facilitator, administrator); a stranger
    signs in first, another facilitator is refused. Returns ``state``."""
    workshop_id = state.workshop.id
    if device_ok and holds_console(workshop_id):
        return state
    who = acting_facilitator()
    if who is None:
        raise Refused(_unauthorized())
    if not service().may_run(workshop_id, who):
        raise Refused(not_yours())
    return state


def _workshop_for(key: str | None, workshop_id: str | None, device_ok: bool = True):
    """The console's workshop: by its secret key (``/f/<key>``: the device that opened it, or a signed-in
    facilitator with rights), or by id for its facilitators (``/w/<id>``)."""
    if key is not None:
        return require_console_key(_workshop_for_key("facilitator", key), device_ok)
    if acting_facilitator() is None:
        raise Refused(_unauthorized())
    return _workshop_for_facilitator(workshop_id)


def _console_urls(key: str | None, workshop_id: str) -> dict:
    """The addresses a console links to, under its secret key or its id."""
    by = {"key": key} if key is not None else {"workshop_id": workshop_id}
    return {
        "report_url": url_for("pages.report", **by),
        "export_url": url_for("pages.export_csv", **by),
        "delete_url": url_for("pages.delete_workshop", **by),
    }


def _join_links(code: str, base: str) -> dict:
    """Where phones join a room: the address to type, the QR code's image (its address changes with the join
    address, so no browser shows a cached QR code of the old one) and whether no phone can reach it."""
    join_url = f"{base}/j/{code}"
    version = hashlib.sha256(base.encode()).hexdigest()[:10]
    return {"join_url": join_url, "qr_url": url_for("pages.qr", code=code, v=version),
            "join_loopback": is_loopback(join_url)}


def _valid_code(code: str) -> str | None:
    """The normalised room code, or None when it cannot be one."""
    normal = normalise_code(code)
    if len(normal) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in normal):
        return None
    return normal


@bp.get("/f/<key>")
def console(key: str):
    """The facilitator's console, opened by its secret link: on a device that opened it before (its device cookie),
    or by a signed-in facilitator with rights; this device then holds it (``game.web.links``)."""
    return _console(_workshop_for(key, None).workshop, key)


@bp.get("/w/<workshop_id>")
def console_by_id(workshop_id: str):
    """The console of a workshop the signed-in facilitator runs (owner, co-facilitator, administrator), from
    their history on any device: its socket is authorised by the session, not by a key."""
    return _console(_workshop_for_facilitator(workshop_id).workshop, None)


# What became of adding or removing a co-facilitator (``?co=`` on the console), in the facilitator's words.
CO_FACILITATOR_WORDS = {
    "added": N_("Added: they now see this workshop in their history and can run its console."),
    "removed": N_("Removed: their console of this workshop stops working."),
    "no_such_user": N_("There is no facilitator with this e-mail address. An administrator adds facilitators."),
    "already_owner": N_("This facilitator owns the workshop already."),
    "already_co_facilitator": N_("This facilitator is a co-facilitator already."),
    "no_such_co_facilitator": N_("This facilitator is not a co-facilitator of the workshop."),
    "forbidden": NOT_THE_OWNER,
}


def _co_facilitators(w) -> dict | None:
    """The console's co-facilitators panel: for the owner or an administrator signed in, the co-facilitators
    (names from the accounts) and what the last change did; None for anyone else."""
    svc, who = service(), acting_facilitator()
    access = svc.store.workshop_access(w.id)
    if access is None or not can_manage_co_facilitators(who, access[0]):
        return None
    users = current_app.extensions["aandacht.accounts"]
    people = []
    for user_id in access[1]:
        user = users.user(user_id)
        people.append({"id": user_id, "name": user.name if user else "?", "email": user.email if user else ""})
    outcome = request.args.get("co", "")
    words = CO_FACILITATOR_WORDS.get(outcome)
    return {"people": people, "message": _(words) if words else None, "ok": outcome in ("added", "removed"),
            "add_url": url_for("pages.add_co_facilitator", workshop_id=w.id)}


def _console(w, key: str | None):
    """The console page, by secret key or by id; the device that opened it is remembered with the workshop."""
    svc = service()
    generation = svc.store.link_generation(w.id) or 0
    screen_key = svc.screen_key(w.id, generation, key)
    page = render_template(
        "console.html",
        join=join_choices(w.id),
        workshop={"code": w.code, "title": w.title, "id": w.id},
        facilitator_key=key or "",
        # None: a workshop made before link generations, opened by id; renewing its links gives it one
        screen_url=url_for("pages.screen", key=screen_key) if screen_key else None,
        csrf_token=csrf_token(),
        retention_days=f"{current_app.config['RETENTION_DAYS']:g}",
        co=_co_facilitators(w),
        console_path=request.path,
        **_console_urls(key, w.id),
        **_join_links(w.code, public_url(w.id)),
    )
    response = current_app.make_response(page)
    return remember_device(svc, response, w.id, "facilitator", generation) if key is not None else response


def _back_to_console(workshop_id: str, outcome: str):
    """Back to the console the form was sent from (``next``: its ``/f/<key>`` or ``/w/<id>``), saying what
    happened."""
    target = request.form.get("next", "")
    if not (isinstance(target, str) and (target.startswith("/f/") or target.startswith("/w/")) and "?" not in target
            and "//" not in target and len(target) < 200):
        target = url_for("pages.console_by_id", workshop_id=workshop_id)
    return redirect(f"{target}?co={outcome}#co-facilitators", code=303)


@bp.post("/w/<workshop_id>/co-facilitators")
def add_co_facilitator(workshop_id: str):
    """The owner or an administrator adds a co-facilitator by e-mail address (looked up in the accounts): they
    see the workshop in their history on their own devices and run its console with the same rights."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the console and try again."))
    svc, who = service(), acting_facilitator()
    if len(workshop_id) > 32 or not svc.may_run(workshop_id, who):
        abort(404, description=_("This link does not open a workshop. Check the address."))
    email = request.form.get("email", "")[:300]
    try:
        svc.add_co_facilitator(workshop_id, who, email, current_app.extensions["aandacht.accounts"])
    except GameError as error:
        if error.code == "forbidden":
            return not_yours_to_share()
        return _back_to_console(workshop_id, error.code if error.code in CO_FACILITATOR_WORDS else "no_such_user")
    return _back_to_console(workshop_id, "added")


@bp.post("/w/<workshop_id>/co-facilitators/<user_id>/remove")
def remove_co_facilitator(workshop_id: str, user_id: str):
    """The owner or an administrator removes a co-facilitator: the consoles they opened by signing in close on this
    server process and are refused on their next command on any other."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the console and try again."))
    svc, who = service(), acting_facilitator()
    if len(workshop_id) > 32 or not svc.may_run(workshop_id, who):
        abort(404, description=_("This link does not open a workshop. Check the address."))
    try:
        svc.remove_co_facilitator(workshop_id, who, user_id[:64])
    except GameError as error:
        if error.code == "forbidden":
            return not_yours_to_share()
        return _back_to_console(workshop_id, error.code if error.code in CO_FACILITATOR_WORDS else "forbidden")
    svc.publisher.drop_account(workshop_id, user_id)
    return _back_to_console(workshop_id, "removed")


def not_yours_to_share():
    """A co-facilitator tried to change who co-runs the workshop."""
    return render_template("refused.html", title=_("Only the owner"), text=_(NOT_THE_OWNER)), 403


@bp.post("/w/<workshop_id>/again")
def run_again(workshop_id: str):
    """Run a workshop again: a new one with the same deck, cards, order, settings and preset teams, owned by the
    signed-in facilitator; its console opens."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))
    svc = service()
    who = acting_facilitator()
    if len(workshop_id) > 32 or not svc.may_run(workshop_id, who):
        abort(404, description=_("This link does not open a workshop. Check the address."))
    try:
        created = svc.run_again(workshop_id, who)
    except GameError as error:
        return _home(errors=[_run_again_error(error)], form={**DEFAULT_FORM, "language": chosen_language()},
                     status=409 if error.code in ("deck_gone", "card_gone") else 400)
    return redirect(url_for("pages.console_by_id", workshop_id=created.workshop.id), code=303)


def _run_again_error(error: GameError) -> str:
    """Why a workshop cannot be run again, in the facilitator's language (the deck or card is named)."""
    if isinstance(error, RunAgainRefused) and error.code == "deck_gone":
        return _("The deck “%(deck)s” no longer exists, so this workshop cannot be run again. Create a new "
                 "workshop with another deck.", **error.params)
    if isinstance(error, RunAgainRefused) and error.code == "card_gone":
        return _("The card “%(card)s” is no longer in the deck “%(deck)s”, so this workshop cannot be run again. "
                 "Create a new workshop and choose its cards.", **error.params)
    reason = CREATE_ERRORS.get(error.code)
    return _(reason) if reason else error.message


bp.app_template_filter("soft_hyphens")(soft_hyphens)  # the report's table: long words break with a hyphen


@bp.get("/f/<key>/report")
@bp.get("/w/<workshop_id>/report")
def report(key: str | None = None, workshop_id: str | None = None):
    """The printable report of a workshop: per card, per team, commitments and insights (for its facilitators
    signed in, and by its secret link for the device that opened the console)."""
    state = _workshop_for(key, workshop_id)
    page_language(state.workshop.settings.language)
    data = report_data(state, flask_babel.get_translations(), _zone(state))
    tz = request.args.get("tz")
    by = {"key": key} if key is not None else {"workshop_id": state.workshop.id}
    export_url = url_for("pages.export_csv", **by, **({"tz": tz} if valid_zone(tz) else {}))
    return render_template("report.html", r=data, export_url=export_url)


def _zone(state):
    """The time zone of a report or an export: the facilitator's, stored with the workshop; for a workshop made
    before that was stored, the one the console's link sends (``?tz=``, the browser's); else the server's."""
    return report_zone(state.workshop.settings.time_zone, request.args.get("tz"))


@bp.get("/f/<key>/export.csv")
@bp.get("/w/<workshop_id>/export.csv")
def export_csv(key: str | None = None, workshop_id: str | None = None):
    """Every pick and score of a workshop, and its commitments, as CSV for a spreadsheet in the workshop's
    language (a Dutch one: ``;`` between cells, Dutch headers)."""
    state = _workshop_for(key, workshop_id)
    page_language(state.workshop.settings.language)
    name = "aandacht-" + "".join(ch if ch.isalnum() else "-" for ch in state.workshop.title.lower())[:40] + ".csv"
    text = csv_export(state, flask_babel.get_translations(), _zone(state))
    return Response(
        "\ufeff" + text,  # the BOM makes spreadsheet programs (Excel) read UTF-8: accents stay accents
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.post("/f/<key>/delete")
@bp.post("/w/<workshop_id>/delete")
@facilitator_required
def delete_workshop(key: str | None = None, workshop_id: str | None = None):
    """The facilitator deletes the workshop and its players' data at once (signed in with rights: a device
    cookie alone does not delete)."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the console and try again."))
    state = _workshop_for(key, workshop_id, device_ok=False)
    service().delete_workshop(state.workshop.id)
    return redirect(url_for("pages.home", deleted=1), code=303)


@bp.get("/s/<key>")
def screen(key: str):
    """The big screen for the projector."""
    w = _workshop_for_key("screen", key).workshop
    page_language(w.settings.language)
    page = render_template(
        "screen.html",
        screen_key=key,
        code=w.code,
        **_join_links(w.code, public_url(w.id)),
    )
    svc = service()  # the projector holds the link from now on (it has no account)
    return remember_device(svc, current_app.make_response(page), w.id, "screen", svc.store.link_generation(w.id) or 0)


@bp.get("/play")
def play():
    """The phone's start page: type the room code."""
    page_language(browser_language())
    return render_template("play.html", code="")


RESUME_MAX = 8  # the rooms a phone asks about at once: a phone takes part in a few workshops, not hundreds


@bp.post("/play/resume")
def play_resume():
    """Which of the phone's stored tokens still lets it in: ``{"tokens": {code: token}}`` (JSON) answers
    ``{"rooms": [{"code", "name", "team"}]}``, newest workshop first, for the tokens that belong to a player still in
    an unfinished workshop with that code. The start page offers "Continue as <name> in <team>" from it.

    Only the token (192 random bits) opens a room here: a code without its token tells nothing and is never looked
    up, so this is no room-code guess and the ``GuessLimiter`` is not asked."""
    data = request.get_json(silent=True)
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict):
        return {"error": "invalid"}, 400
    svc, rooms = service(), []
    for code, token in list(tokens.items())[:RESUME_MAX]:
        if not isinstance(code, str) or not isinstance(token, str) or not token or len(token) > 100:
            continue
        owner = svc.store.token_owner(token)
        if owner is None or svc.workshop_by_code(normalise_code(code)) != owner[0]:
            continue
        state = svc.state(owner[0], recent=True)
        player = state.players.get(owner[1]) if state is not None else None
        if player is None or state.phase is Phase.FINISHED:
            continue
        team = state.teams.get(player.team_id) if player.team_id else None
        rooms.append((state.workshop.created_at,
                      {"code": state.workshop.code, "name": player.name, "team": team.name if team else None}))
    rooms.sort(key=lambda room: room[0], reverse=True)
    return {"rooms": [room for _created, room in rooms]}


@bp.get("/join")
def join_redirect():
    """A typed code (from a form without JavaScript) goes to its room."""
    code = normalise_code(request.args.get("code", ""))[:CODE_LENGTH]
    return redirect(url_for("pages.room", code=code) if code else url_for("pages.play"))


@bp.get("/j/<code>")
def room(code: str):
    """The phone page of one workshop (the QR code points here).

    Wrong codes are limited per address, the room's own code never is (``GuessLimiter``): a code that is refused
    as limited is not even looked up."""
    limiter, address = guard().limiter, client_address()
    page_language(browser_language())  # until the room is known
    normal = _valid_code(code)
    limited = _("Too many wrong room codes from this network; wait a minute and try again.")
    if limiter.blocked(address) if normal is None else not limiter.allows(address, normal):
        return render_template("play.html", code="", error=limited), 429
    svc = service()
    workshop_id = svc.workshop_by_code(normal) if normal else None
    state = svc.state(workshop_id, recent=True) if workshop_id else None
    if state is None:
        if normal is None or not limiter.knows(address, normal):  # a guess (a known code's workshop was deleted)
            was_limited = limiter.blocked(address)  # a limited address's spare look-up: refused like the rest
            limiter.miss(address)
            if was_limited:
                return render_template("play.html", code="", error=limited), 429
        # the code itself too: a phone that took part under it (it still holds a token) was in a deleted workshop
        missing = normal or ""
        error = _("There is no workshop with this room code.")
        return render_template("play.html", code="", missing=missing, error=error), 404
    limiter.vouch(address, normal)
    if normal != code:
        return redirect(url_for("pages.room", code=normal))
    page_language(state.workshop.settings.language)
    return render_template("play.html", code=normal)


@bp.get("/qr/<code>.svg")
def qr(code: str):
    """The join QR code of a room, as SVG, drawn here (no network needed)."""
    normal = _valid_code(code)
    if normal is None:
        abort(404)
    buf = io.BytesIO()
    join_url = f"{public_url(service().workshop_by_code(normal))}/j/{normal}"  # the workshop's chosen address
    segno.make(join_url, error="m").save(buf, kind="svg", scale=10, border=2, dark="#1d1b19")
    buf.seek(0)
    return send_file(buf, mimetype="image/svg+xml", max_age=300)


@bp.get("/healthz")
def healthz():
    """A liveness check for a proxy or a script."""
    return {"ok": True}
