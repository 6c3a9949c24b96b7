"""Facilitator accounts on the web: sign-in and sign-out, the first-run set-up link, one's own sessions, the
administrator's page of facilitators, and the gate in front of every facilitator page.

The session layer is Flask-Login with ``session_protection="strong"`` and its "alternative token" pattern: what it
keeps in the signed cookie (``get_id``) is the id of a server-side sign-in session (``game.accounts``), and the
user loader looks that session up. So a session can be ended from anywhere (signing out, "sign out everywhere else",
an administrator removing a facilitator, a password reset, the command line) and the browser holding it is signed
out on its next request.

The gate (``init_app``): participant pages are always open; until an administrator exists every other page but the
set-up link answers "not set up yet"; after that the console and the big screen keep opening by their secret links,
the sign-in pages are open, and every other endpoint needs a signed-in facilitator (an administrator for the
``admin_required`` ones). An endpoint nobody marked is treated as a facilitator's: a new route fails closed.
"""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import urlsplit

import flask_babel
import flask_login
from babel import dates as babel_dates
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _, ngettext

from ..accounts import PASSWORD_MIN, AccountError, Accounts, User
from ..rights import Facilitator
from ..store import hash_secret
from .i18n import N_
from .links import acting_facilitator
from .security import _csrf_ok, client_address, csrf_token

bp = Blueprint("auth", __name__)

# Always open: a participant's phone, the assets every page loads, the health check.
PARTICIPANT_ENDPOINTS = frozenset({
    "static", "bundle", "pages.play", "pages.play_resume", "pages.join_redirect", "pages.room", "pages.qr",
    "pages.healthz",
    "bench_counters", "bench_memory",  # the benchmark's, served only with AANDACHT_BENCH=1 (game/benchcount.py)
})
SETUP_ENDPOINTS = frozenset({"auth.setup"})
# The benchmark's view counters and memory reading (only under AANDACHT_BENCH=1, game/benchcount.py), read by
# bench/run.py from every process without signing in.
BENCH_ENDPOINTS = frozenset({"bench_counters", "bench_memory"})
# Open once set up: signing in, and the console and big screen by their secret links (the projector has no account).
# The console's link, its report and CSV decide themselves (``game.web.pages.require_console_key``): the device that
# opened the console keeps them, anyone else signs in with rights; the big screen's link is a bearer link.
SIGNIN_ENDPOINTS = frozenset({"auth.signin", "auth.signout"})
SECRET_LINK_ENDPOINTS = frozenset({"pages.console", "pages.screen", "pages.report", "pages.export_csv"})
KEEP_ON_SIGNIN = ("lang", "workshops")  # a browser's language and its workshop list survive signing in

# An account problem in a facilitator's words (game.accounts.AccountError codes).
ACCOUNT_ERRORS = {
    "email_invalid": N_("Enter an e-mail address, like name@example.org."),
    "name_empty": N_("Enter a name."),
    "name_long": N_("The name is too long."),
    "password_empty": N_("Enter a password."),
    "password_short": N_("The password must be at least %(n)s characters long."),
    "password_long": N_("The password is too long."),
    "email_taken": N_("There is already an account with this e-mail address."),
    "last_admin": N_("This is the only administrator; make someone else an administrator first."),
    "setup_used": N_("This set-up link was used already. Sign in instead."),
    "no_user": N_("This account does not exist (any more)."),
}


class SignedIn(flask_login.UserMixin):
    """Flask-Login's user: ``get_id`` is the server-side session's id, never the account's."""

    def __init__(self, session_id: str, user: User):
        self.session_id = session_id
        self.facilitator = Facilitator(user.id, user.email, user.name, user.is_admin)

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the sign-in session's id."""
        return self.session_id


def accounts() -> Accounts:
    """The app's accounts."""
    return current_app.extensions["aandacht.accounts"]


def account_error(error: AccountError) -> str:
    """An account problem in the page's language."""
    text = ACCOUNT_ERRORS.get(error.code)
    return _(text, n=PASSWORD_MIN) if text else error.message


def current_facilitator() -> Facilitator | None:
    """The signed-in facilitator of this request (``game.rights.Facilitator``, what the rights rules take), or
    None. ``create_app`` points ``FACILITATOR_LOOKUP`` (``game.web.links.acting_facilitator``) here."""
    user = flask_login.current_user
    return user.facilitator if user and user.is_authenticated else None


def is_set_up() -> bool:
    """Whether an administrator exists. Once true it stays true (the last administrator cannot be removed), so each
    process asks the database only until it is."""
    state = current_app.extensions["aandacht.auth"]
    if not state["set_up"]:
        state["set_up"] = accounts().admin_exists()
    return state["set_up"]


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (so a sign-in link cannot send anyone elsewhere), else None."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\r\n\t") or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _refuse(status: int, title: str, text: str, signin: bool = False):
    """A short page saying why this request is refused."""
    return render_template("refused.html", title=title, text=text, signin=signin), status


def _unauthorized():
    """A stranger on a facilitator's page: a page (GET) goes to sign-in and comes back; anything else is refused."""
    if request.method in ("GET", "HEAD"):
        back = safe_next(request.full_path.rstrip("?") if request.query_string else request.path)
        return redirect(url_for("auth.signin", next=back) if back and back != "/" else url_for("auth.signin"))
    return _refuse(403, _("Sign in first"), _("Only a signed-in facilitator can do this. Sign in and try again."),
                   signin=True)


def _not_admin():
    """A facilitator on an administrator's page."""
    return _refuse(403, _("For administrators"), _("Only an administrator can do this."))


def facilitator_required(view):
    """The view needs a signed-in facilitator (GET: sign in first and come back; POST: 403)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if acting_facilitator() is None:
            return _unauthorized()
        return view(*args, **kwargs)

    wrapped.access = "facilitator"
    return wrapped


def admin_required(view):
    """The view needs a signed-in administrator."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        who = acting_facilitator()
        if who is None:
            return _unauthorized()
        if not who.is_admin:
            return _not_admin()
        return view(*args, **kwargs)

    wrapped.access = "admin"
    return wrapped


def _gate():
    """Before every request (see the module's docstring)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PARTICIPANT_ENDPOINTS or endpoint in SETUP_ENDPOINTS or \
            endpoint in BENCH_ENDPOINTS:
        return None  # None: a 404 follows
    if not is_set_up():
        return render_template("not_set_up.html"), 503
    if endpoint in SIGNIN_ENDPOINTS or endpoint in SECRET_LINK_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    access = getattr(view, "access", None)
    if access == "admin":
        return None  # the decorator decides (403 for a facilitator)
    if acting_facilitator() is None:
        return _unauthorized()
    return None


def _load(session_id: str):
    """Flask-Login's user loader: the sign-in session with this id, if it has not ended and this cookie comes from
    the browser and address it was signed in from.

    Flask-Login's "strong" protection only marks a *permanent* session "not fresh" when its browser or address
    changes (its ``_session_protection_failed``); our cookie is permanent (signed in across browser restarts, and
    the workshop list outlives the browser), so the binding is checked here as "strong" does for other sessions."""
    manager = current_app.login_manager
    if session.get("_id") != manager._session_identifier_generator():
        for key in ("_user_id", "_id", "_fresh"):
            session.pop(key, None)
        return None
    user = accounts().session_user(session_id)
    return SignedIn(session_id, user) if user is not None else None


def init_app(app: Flask, accounts_: Accounts) -> None:
    """Wire the accounts, Flask-Login and the gate into the app."""
    app.extensions["aandacht.accounts"] = accounts_
    app.extensions["aandacht.auth"] = {"set_up": False}
    manager = flask_login.LoginManager()
    manager.session_protection = "strong"  # another address or browser with this cookie: signed out
    manager.user_loader(_load)
    manager.unauthorized_handler(_unauthorized)
    manager.init_app(app)
    app.before_request(_gate)

    @app.context_processor
    def _who():
        """``facilitator`` and its form token for the pages' header."""
        who = current_facilitator() if request.endpoint not in PARTICIPANT_ENDPOINTS else None
        return {"facilitator": who, "csrf_token_value": csrf_token}

    app.register_blueprint(bp)


def _start_session(user: User) -> None:
    """Sign ``user`` in on this browser: the old cookie's contents go (but its language and workshop list), a fresh
    server-side session and a fresh form token start (no session fixation)."""
    kept = {key: session[key] for key in KEEP_ON_SIGNIN if key in session}
    old = flask_login.current_user
    if old and old.is_authenticated:
        accounts().end_session(old.session_id)
    session.clear()
    session.update(kept)
    session_id = accounts().start_session(user.id, request.headers.get("User-Agent", ""))
    flask_login.login_user(SignedIn(session_id, user))
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = True


def _wait_words(seconds: float) -> str:
    """When to try again, in minutes."""
    minutes = max(1, int((seconds + 59) // 60))
    return ngettext("Too many failed sign-ins. Try again in %(num)s minute.",
                    "Too many failed sign-ins. Try again in %(num)s minutes.", minutes)


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Sign in with e-mail and password; limited per account and per address."""
    target = safe_next(request.values.get("next")) or url_for("pages.home")
    if request.method == "GET":
        if current_facilitator() is not None:
            return redirect(target)
        return _signin_page(target)
    if not _csrf_ok():
        return _signin_page(target, _("The form expired; please sign in again."), status=400)
    email, password = request.form.get("email", "").strip()[:254], request.form.get("password", "")[:1000]
    if not email or not password:
        return _signin_page(target, _("Enter your e-mail address and password."), email, status=400)
    refusal = accounts().refusal(email, client_address())
    if refusal is not None:
        return _signin_page(target, _wait_words(refusal.wait), email, status=429)
    user = accounts().verify(email, password, client_address())
    if user is None:
        return _signin_page(target, _("The e-mail address or the password is wrong."), email, status=401)
    _start_session(user)
    return redirect(target, code=303)


def _signin_page(target: str, error: str | None = None, email: str = "", status: int = 200):
    """The sign-in form."""
    return render_template("signin.html", error=error, email=email, next=target, csrf_token=csrf_token()), status


@bp.route("/signout", methods=["GET", "POST"])
def signout():
    """Sign out (GET asks first: a link alone must not sign anyone out)."""
    if request.method == "GET":
        if current_facilitator() is None:
            return redirect(url_for("auth.signin"))
        return render_template("signout.html", csrf_token=csrf_token())
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))
    user = flask_login.current_user
    if user and user.is_authenticated:
        accounts().end_session(user.session_id)
    flask_login.logout_user()
    lang = session.get("lang")
    session.clear()  # the workshop list too: its console links are secrets, and the next person here is someone else
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.signin", signed_out=1), code=303)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    """The first-run set-up link: the first account, an administrator. Works once; then 404."""
    if not accounts().setup_token_valid(token):
        abort(404, description=_("This set-up link was used already or replaced. Sign in instead."))
    form = {"name": request.form.get("name", ""), "email": request.form.get("email", "")}
    if request.method == "GET":
        return render_template("setup.html", token=token, form=form, errors=[], csrf_token=csrf_token())
    errors = []
    if not _csrf_ok():
        errors.append(_("The form expired; please send it again."))
    elif request.form.get("password", "") != request.form.get("password2", ""):
        errors.append(_("The two passwords are not the same."))
    else:
        try:
            user = accounts().set_up(token, form["email"], form["name"], request.form.get("password", ""))
        except AccountError as error:
            if error.code == "setup_used":
                abort(404, description=account_error(error))
            errors.append(account_error(error))
        else:
            current_app.extensions["aandacht.auth"]["set_up"] = True
            # decks and workshops made before accounts (an upgraded database) go to the first administrator
            current_app.extensions["aandacht"].adopt_orphans(user.id)
            _start_session(user)
            return redirect(url_for("pages.home"), code=303)
    return render_template("setup.html", token=token, form=form, errors=errors, csrf_token=csrf_token()), 400


def _when(moment: float) -> str:
    """A moment as the pages show it."""
    return babel_dates.format_datetime(moment, "d MMM yyyy HH:mm", locale=flask_babel.get_locale())


@bp.get("/account")
@facilitator_required
def account():
    """One's own account: the sessions signed in now, and ending the others."""
    return _account_page()


def _account_page(notice: str | None = None, status: int = 200):
    """The account page."""
    who = current_facilitator()
    own = accounts().sessions(who.id)
    this = hash_secret(flask_login.current_user.session_id)
    rows = [{"key": s.key, "agent": s.agent, "created": _when(s.created_at), "seen": _when(s.seen_at),
             "this": s.key == this} for s in own]
    rows.sort(key=lambda r: not r["this"])
    return render_template("account.html", sessions=rows, notice=notice, csrf_token=csrf_token()), status


@bp.post("/account/sessions/end-others")
@facilitator_required
def end_other_sessions():
    """Sign out everywhere else."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))
    ended = accounts().end_sessions(current_facilitator().id, keep=flask_login.current_user.session_id)
    return _account_page(ngettext("Signed out on %(num)s other device.", "Signed out on %(num)s other devices.",
                                  ended))


@bp.post("/account/sessions/<key>/end")
@facilitator_required
def end_session(key: str):
    """End one of one's own sessions."""
    if not _csrf_ok():
        abort(400, description=_("The form expired; reload the page and try again."))
    accounts().end_session_by_key(key[:64], user_id=current_facilitator().id)
    return redirect(url_for("auth.account"), code=303)


@bp.get("/people")
@admin_required
def people():
    """The administrator's page: every facilitator; add, remove, make administrator."""
    return _people_page()


def _people_page(errors: list[str] | None = None, form: dict | None = None, notice: str | None = None,
                 status: int = 200):
    """The facilitators page."""
    rows = [{"id": u.id, "name": u.name, "email": u.email, "is_admin": u.is_admin, "created": _when(u.created_at),
             "me": u.id == current_facilitator().id} for u in accounts().users()]
    return render_template("people.html", people=rows, errors=errors or [], form=form or {"name": "", "email": ""},
                           notice=notice, csrf_token=csrf_token(), password_min=PASSWORD_MIN), status


@bp.post("/people")
@admin_required
def add_person():
    """Add a facilitator with an initial password (they can be given a new one with ``python -m game user
    password``)."""
    form = {"name": request.form.get("name", ""), "email": request.form.get("email", ""),
            "is_admin": request.form.get("is_admin") == "on"}
    if not _csrf_ok():
        return _people_page([_("The form expired; please send it again.")], form, status=400)
    try:
        user = accounts().create_user(form["email"], form["name"], request.form.get("password", ""),
                                      is_admin=form["is_admin"])
    except AccountError as error:
        return _people_page([account_error(error)], form, status=400)
    return _people_page(notice=_("%(name)s can now sign in as %(email)s.", name=user.name, email=user.email))


@bp.post("/people/<user_id>/remove")
@admin_required
def remove_person(user_id: str):
    """Remove a facilitator: their sessions end at once."""
    if not _csrf_ok():
        return _people_page([_("The form expired; please send it again.")], status=400)
    user = accounts().user(user_id[:32])
    try:
        removed = accounts().remove_user(user_id[:32])
    except AccountError as error:
        return _people_page([account_error(error)], status=400)
    if not removed or user is None:
        return _people_page([account_error(AccountError("no_user", ""))], status=404)
    return _people_page(notice=_("%(name)s was removed and signed out everywhere.", name=user.name))


@bp.post("/people/<user_id>/admin")
@admin_required
def set_admin(user_id: str):
    """Make a facilitator an administrator, or not."""
    if not _csrf_ok():
        return _people_page([_("The form expired; please send it again.")], status=400)
    make = request.form.get("admin") == "1"
    try:
        changed = accounts().set_admin(user_id[:32], make)
    except AccountError as error:
        return _people_page([account_error(error)], status=400)
    if not changed:
        return _people_page([account_error(AccountError("no_user", ""))], status=404)
    return redirect(url_for("auth.people"), code=303)


def setup_link_lines(accounts_: Accounts, base: str) -> list[str]:
    """What the server prints at start while no administrator exists: a fresh one-time set-up link (it replaces any
    earlier one). Nothing once set up."""
    token = accounts_.new_setup_token()
    if token is None:
        return []
    return ["Aandacht is not set up yet. Open this one-time link to create the administrator's account",
            "(it works once; only this terminal shows it):",
            f"  {base.rstrip('/')}/setup/{token}"]

