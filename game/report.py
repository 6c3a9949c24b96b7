"""The workshop report and the CSV export, built from the state (no web, no database).

The report is what people take home: per card what every team chose, why, its points and the
lesson; per team its profile over the rubric; the commitments; and insights for management
drawn from the numbers.
"""

from __future__ import annotations

import csv
import gettext as stdlib_gettext
import io
import os
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .engine import DIMENSIONS, State
from .engine.views import debrief, extremes, half_up, leaderboard
from .stories import story_name


def N_(text: str) -> str:
    """Marks a text for the message catalog (pybabel extract) where it is defined; translated where it is shown."""
    return text


DIMENSION_NAMES = {  # in English, the catalog's source language; the report shows them translated
    "attention": N_("Attention"),
    "ease": N_("Ease"),
    "resolution": N_("Resolution"),
    "ownership": N_("Ownership"),
    "proportion": N_("Proportion"),
}

DIMENSION_SHORT = {  # the column labels the console's key table uses; the report explains them in a legend
    "attention": N_("Att"),
    "ease": N_("Ease"),
    "resolution": N_("Res"),
    "ownership": N_("Own"),
    "proportion": N_("Prop"),
}


SOFT_HYPHEN = "\u00ad"
LONG_WORD = re.compile(r"[^\W\d_]{14,}")  # a word this long may be wider than a column of the printed table
VOWEL = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûü]", re.IGNORECASE)
CONSONANT = re.compile(r"[bcdfghjklmnpqrstvwxzç]", re.IGNORECASE)


def soft_hyphens(text: str | None) -> str:
    """``text`` with soft hyphens in its long words, before each consonant that starts a syllable (the rule of
    static/js/common.js's keepWordsWhole): a table column too narrow for such a word on a printed page breaks it
    there with a printed hyphen instead of pushing the rubric columns off the paper. Soft hyphens show only where a
    line breaks; the page's other words are untouched."""

    def breaks(match: re.Match) -> str:
        word, out, vowel_seen = match.group(0), [], False
        for i, c in enumerate(word):
            after = word[i + 1] if i + 1 < len(word) else ""
            if (vowel_seen and 2 <= i <= len(word) - 2 and CONSONANT.match(c) and VOWEL.match(after)
                    and not (c.lower() == "h" and word[i - 1].lower() == "c")):
                out.append(SOFT_HYPHEN)
            out.append(c)
            vowel_seen = vowel_seen or bool(VOWEL.match(c))
        return "".join(out)

    return LONG_WORD.sub(breaks, text or "")


ZONE_NAME_MAX = 64


def valid_zone(name) -> ZoneInfo | None:
    """The IANA time zone ``name`` names (``Europe/Amsterdam``, as a browser's
    ``Intl.DateTimeFormat().resolvedOptions().timeZone`` gives it), or None when it is not one."""
    if not isinstance(name, str) or not name or len(name) > ZONE_NAME_MAX or name.startswith(("/", ".")):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _server_zone_name() -> str | None:
    """This machine's IANA time zone: ``TZ``, or where ``/etc/localtime`` points; None when neither names one."""
    name = os.environ.get("TZ", "").lstrip(":")
    if valid_zone(name):
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return None
    name = target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else ""
    return name if valid_zone(name) else None


@dataclass(frozen=True)
class Zone:
    """The time zone the report and the CSV give their times in, and its name as they say it."""

    tz: tzinfo | None  # None: the server's local time (its name taken per timestamp)
    name: str

    def moment(self, ts: float) -> datetime:
        """A timestamp as an aware date and time in this zone."""
        return datetime.fromtimestamp(ts, tz=self.tz) if self.tz else datetime.fromtimestamp(ts).astimezone()

    def when(self, ts: float | None) -> str:
        """A timestamp as people read it, in this zone; spreadsheet programs read it as a date and time."""
        return self.moment(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def report_zone(*names: str | None) -> Zone:
    """The first of ``names`` that is a time zone (the workshop's facilitator's, then the one the request sent),
    else the server's own."""
    for name in names:
        zone = valid_zone(name)
        if zone is not None:
            return Zone(zone, name)
    name = _server_zone_name()
    if name:
        return Zone(ZoneInfo(name), name)
    return Zone(None, datetime.now().astimezone().tzname() or "UTC")


def report_data(
    state: State, translations: stdlib_gettext.NullTranslations | None = None, zone: Zone | None = None
) -> dict:
    """Everything the printable report shows; its own sentences through ``translations`` (the page passes the
    workshop language's catalog; without one they stay English); its times in ``zone`` (else the facilitator's
    time zone stored with the workshop, else the server's)."""
    lang = state.workshop.settings.language
    tr = translations or stdlib_gettext.NullTranslations()
    zone = zone or report_zone(state.workshop.settings.time_zone)
    names = {d: tr.gettext(DIMENSION_NAMES[d]) for d in DIMENSIONS}
    summary = debrief(state, lang)
    teams = {t.id: t for t in state.teams_in_order()}
    cards = []
    for rnd in state.rounds:
        card = state.card_of(rnd)
        best = card.best_response()
        rows = []
        for team in state.teams_in_order():
            answer = state.answers.get((rnd.index, team.id))
            score = state.scores.get((rnd.index, team.id))
            if answer is None and score is None:
                continue
            response = card.response(answer.response_id) if answer and answer.response_id else None
            own = answer.text if answer and card.is_open else ""
            rows.append(
                {
                    "team": team.name,
                    "response": response.text.get(lang) if response else (own or None),
                    "own": bool(own),
                    "spotlight": rnd.spotlight == team.id,
                    "best": bool(response and response.best),
                    "flagged": bool(response and response.key.flag),
                    "why": answer.why if answer else "",
                    "auto": bool(answer and answer.auto),
                    "closed_by": rnd.locked_by,  # an automatic answer: the time ran out, or the round was locked
                    "score": score.to_dict() if score else None,
                }
            )
        cards.append(
            {
                "index": rnd.index,
                "title": card.title.get(lang),
                "story": story_name(card.story, tr.gettext),
                "situation": card.situation.get(lang),
                "question": card.question.get(lang),
                "open": card.is_open,
                "best": best.text.get(lang) if best else None,
                "best_feedback": best.feedback.get(lang) if best else None,
                "lesson": card.lesson.get(lang),
                "debrief": card.debrief.get(lang),
                "published": rnd.scored_at is not None,
                "rows": rows,
            }
        )
    commitments = []
    for c in sorted(state.commitments.values(), key=lambda c: (c.at, c.player_id)):
        player = state.players.get(c.player_id)
        if player is not None and c.approved is True:
            team = teams.get(player.team_id or "")
            commitments.append({"name": player.name, "team": team.name if team else "", "text": c.text})
    return {
        "title": state.workshop.title,
        "code": state.workshop.code,
        "language": lang,
        "created": zone.when(state.workshop.created_at),
        "finished": zone.when(state.workshop.finished_at),
        "time_zone": zone.name,
        "players": len(state.players),
        "dimensions": [{"id": d, "name": names[d], "short": tr.gettext(DIMENSION_SHORT[d])} for d in DIMENSIONS],
        "room": summary["room"],
        "teams": summary["teams"],
        "leaderboard": leaderboard(state),
        "cards": cards,
        "commitments": commitments,
        "flags": summary["flags"],
        "insights": insights(summary, len(commitments), names, tr),
    }


def insights(
    summary: dict,
    commitments: int,
    names: dict[str, str],
    tr: stdlib_gettext.NullTranslations | None = None,
) -> list[str]:
    """Plain sentences for management, drawn only from what the room did (in the language of ``tr``).

    Every figure comes from ``summary``, the debrief the big screen, the phones and the console show (its
    averages rounded there, once; its flags the facilitator's published ones; its cards the revealed ones), so
    the report never tells the room another number than the screen did."""
    tr = tr or stdlib_gettext.NullTranslations()
    _, ngettext = tr.gettext, tr.ngettext
    out = []
    room = {d: v for d, v in summary["room"].items() if v is not None}
    if room:
        ex = extremes(summary["room"])
        if ex["even"]:
            out.append(_("Even across all five dimensions: %(value).1f of 3.") % {"value": room[ex["low"][0]]})
        else:
            out.append(
                _(
                    "Strongest dimension: %(strongest)s (%(strong).1f of 3). "
                    "Weakest: %(weakest)s (%(weak).1f of 3) — the first thing to work on."
                )
                % {
                    "strongest": ", ".join(names[d] for d in ex["high"]),
                    "strong": room[ex["high"][0]],
                    "weakest": ", ".join(names[d] for d in ex["low"]),
                    "weak": room[ex["low"][0]],
                }
            )
        low = [names[d] for d, v in room.items() if v < 1.5]
        if low:
            out.append(_("Below half marks across the room: %(dimensions)s.") % {"dimensions": ", ".join(low)})
    chosen = [card for card in summary["cards"] if card["kind"] != "open"]
    answered = sum(r["count"] for card in chosen for r in card["responses"])
    if answered:
        best = sum(r["count"] for card in chosen for r in card["responses"] if r["best"])
        out.append(
            _("The best response was chosen %(best)d out of %(answered)d (%(percent)d%%).")
            % {"best": best, "answered": answered, "percent": half_up(best, answered, 100)}
        )
    if summary["flags"]:
        out.append(
            ngettext(
                "%(num)d answer served the organisation rather than the customer (a script, an upsell, "
                "shifting blame): worth discussing where your procedures push people that way.",
                "%(num)d answers served the organisation rather than the customer (a script, an upsell, "
                "shifting blame): worth discussing where your procedures push people that way.",
                summary["flags"],
            )
            % {"num": summary["flags"]}
        )
    for card in chosen:
        counts = [r["count"] for r in card["responses"]]
        if sum(counts) >= 2 and sum(r["count"] for r in card["responses"] if r["best"]) * 2 < sum(counts):
            out.append(
                _("Most teams missed the best response on “%(title)s”: %(lesson)s")
                % {"title": card["title"], "lesson": card["lesson"]}
            )
    missing = sum(card["no_answer"] for card in summary["cards"])
    if missing:
        out.append(
            ngettext(
                "%(num)d time a team gave no answer before the round closed.",
                "%(num)d times a team gave no answer before the round closed.",
                missing,
            )
            % {"num": missing}
        )
    if commitments:
        out.append(
            ngettext(
                "%(num)d participant made a commitment for their daily work (listed below).",
                "%(num)d participants made a commitment for their daily work (listed below).",
                commitments,
            )
            % {"num": commitments}
        )
    return out


DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def _cell(value, decimal_comma: bool = False) -> str:
    """A CSV cell that a spreadsheet will not run as a formula: a text starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'``, unless the whole cell is a plain number (``-2`` stays a number, ``-1+2``
    does not). Numbers are written with a decimal comma for a Dutch spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if decimal_comma else text
    text = str(value)
    if PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text if text.startswith(DANGEROUS_START) else text


# The columns, by their English header (the catalog's msgids: a Dutch workshop's CSV has Dutch headers).
CSV_HEADER = [
    N_("kind"), N_("round"), N_("card"), N_("team"), N_("player"), N_("response"), N_("best"), N_("why"),
    N_("auto"), N_("attention"), N_("ease"), N_("resolution"), N_("ownership"), N_("proportion"), N_("flag"),
    N_("bonus"), N_("total"), N_("published"), N_("at"),
]
COMMITMENT_HEADER = [N_("kind"), N_("team"), N_("player"), N_("commitment"), N_("status"), N_("at")]
COMMITMENT_STATUS = {True: N_("approved"), False: N_("hidden"), None: N_("waiting")}


def csv_dialect(lang: str) -> tuple[str, bool]:
    """The separator and whether numbers take a decimal comma: what Excel expects in the workshop's language
    (a Dutch Excel splits on ``;`` and reads ``,`` as the decimal sign)."""
    return (";", True) if lang == "nl" else (",", False)


def csv_export(
    state: State, translations: stdlib_gettext.NullTranslations | None = None, zone: Zone | None = None
) -> str:
    """Every pick and every score as CSV, one row each with its kind in the first column; then, after an empty
    row, every commitment with its approval. Headers and words in the language of ``translations`` (the
    workshop's), separated as a spreadsheet in that language expects; times in ``zone`` (else the workshop's),
    named in the ``at`` header."""
    lang = state.workshop.settings.language
    _ = (translations or stdlib_gettext.NullTranslations()).gettext
    zone = zone or report_zone(state.workshop.settings.time_zone)
    delimiter, decimal_comma = csv_dialect(lang)
    yes, no = _("yes"), _("no")
    teams = {t.id: t.name for t in state.teams.values()}
    players = {p.id: p.name for p in state.players.values()}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)

    def header(columns: list[str]) -> list[str]:
        return [_(c) if c != "at" else f"{_(c)} ({zone.name})" for c in columns]

    def row(values) -> None:
        writer.writerow([_cell(v, decimal_comma) for v in values])

    writer.writerow(header(CSV_HEADER))
    for rnd in state.rounds:
        card = state.card_of(rnd)
        title = card.title.get(lang)
        published = yes if rnd.scored_at is not None else no
        picks = sorted(state.picks.in_round(rnd.index).values(), key=lambda p: (p.team_id, p.at))  # its own only
        for p in picks:
            response = card.response(p.response_id) if p.response_id else None
            row((
                _("pick"), rnd.index + 1, title, teams.get(p.team_id, ""), players.get(p.player_id, ""),
                response.text.get(lang) if response else (p.text or p.response_id),
                yes if response and response.best else no,
                "", "", *([""] * len(DIMENSIONS)), "", "", "", published, zone.when(p.at),
            ))
        for team_id in sorted(teams, key=lambda t: teams[t]):
            answer = state.answers.get((rnd.index, team_id))
            score = state.scores.get((rnd.index, team_id))
            if answer is None and score is None:
                continue
            response = card.response(answer.response_id) if answer and answer.response_id else None
            points = score.points() if score else {}
            row((
                _("answer"), rnd.index + 1, title, teams[team_id],
                players.get(answer.player_id, "") if answer and answer.player_id else "",
                response.text.get(lang) if response else (answer.text if answer else ""),
                yes if response and response.best else no,
                answer.why if answer else "", yes if answer and answer.auto else no,
                *[points.get(d, "") for d in DIMENSIONS],
                (yes if score.flag else no) if score else "", score.bonus if score else "",
                score.total() if score else "", published, zone.when(answer.at if answer else None),
            ))
    if state.commitments:
        writer.writerow([])
        writer.writerow(header(COMMITMENT_HEADER))
        for c in sorted(state.commitments.values(), key=lambda c: (c.at, c.player_id)):
            player = state.players.get(c.player_id)
            if player is None:
                continue
            row((
                _("commitment"), teams.get(player.team_id or "", ""), player.name, c.text,
                _(COMMITMENT_STATUS[c.approved]), zone.when(c.at),
            ))
    return out.getvalue()
