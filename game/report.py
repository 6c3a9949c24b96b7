"""The workshop report and the CSV export, built from the state (no web, no database).

The report is what people take home: per card what every team chose, why, its points and the
lesson; per team its profile over the rubric; the commitments; and insights for management
drawn from the numbers.
"""

from __future__ import annotations

import csv
import gettext as stdlib_gettext
import io
from datetime import datetime, timezone

from .engine import DIMENSIONS, State
from .engine.views import debrief, leaderboard


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


def _when(ts: float | None) -> str:
    """A timestamp as people read it (UTC)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def report_data(state: State, translations: stdlib_gettext.NullTranslations | None = None) -> dict:
    """Everything the printable report shows; its own sentences through ``translations`` (the page passes the
    workshop language's catalog; without one they stay English)."""
    lang = state.workshop.settings.language
    tr = translations or stdlib_gettext.NullTranslations()
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
                    "score": score.to_dict() if score else None,
                }
            )
        cards.append(
            {
                "index": rnd.index,
                "title": card.title.get(lang),
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
    for c in sorted(state.commitments.values(), key=lambda c: c.at):
        player = state.players.get(c.player_id)
        if player is not None and c.approved is True:
            team = teams.get(player.team_id or "")
            commitments.append({"name": player.name, "team": team.name if team else "", "text": c.text})
    return {
        "title": state.workshop.title,
        "code": state.workshop.code,
        "language": lang,
        "created": _when(state.workshop.created_at),
        "finished": _when(state.workshop.finished_at),
        "players": len(state.players),
        "dimensions": [{"id": d, "name": names[d]} for d in DIMENSIONS],
        "room": summary["room"],
        "teams": summary["teams"],
        "leaderboard": leaderboard(state),
        "cards": cards,
        "commitments": commitments,
        "insights": insights(state, summary, cards, names, tr),
    }


def insights(
    state: State,
    summary: dict,
    cards: list[dict],
    names: dict[str, str],
    tr: stdlib_gettext.NullTranslations | None = None,
) -> list[str]:
    """Plain sentences for management, drawn only from what the room did (in the language of ``tr``)."""
    tr = tr or stdlib_gettext.NullTranslations()
    _, ngettext = tr.gettext, tr.ngettext
    out = []
    room = {d: v for d, v in summary["room"].items() if v is not None}
    if room:
        weakest, strongest = min(room, key=room.get), max(room, key=room.get)
        out.append(
            _(
                "Strongest dimension: %(strongest)s (%(strong).1f of 3). "
                "Weakest: %(weakest)s (%(weak).1f of 3) — the first thing to work on."
            )
            % {
                "strongest": names[strongest],
                "strong": room[strongest],
                "weakest": names[weakest],
                "weak": room[weakest],
            }
        )
        low = [names[d] for d, v in room.items() if v < 1.5]
        if low:
            out.append(_("Below half marks across the room: %(dimensions)s.") % {"dimensions": ", ".join(low)})
    answered = [row for card in cards if not card["open"] for row in card["rows"] if row["response"] is not None]
    if answered:
        best = sum(1 for row in answered if row["best"])
        out.append(
            _("The best response was chosen %(best)d out of %(answered)d (%(percent)d%%).")
            % {"best": best, "answered": len(answered), "percent": 100 * best // len(answered)}
        )
        flagged = sum(1 for row in answered if row["flagged"])
        if flagged:
            out.append(
                ngettext(
                    "%(num)d answer served the organisation rather than the customer (a script, an upsell, "
                    "shifting blame): worth discussing where your procedures push people that way.",
                    "%(num)d answers served the organisation rather than the customer (a script, an upsell, "
                    "shifting blame): worth discussing where your procedures push people that way.",
                    flagged,
                )
                % {"num": flagged}
            )
    for card in cards:
        if card["open"]:
            continue
        rows = [row for row in card["rows"] if row["response"] is not None]
        if len(rows) >= 2 and sum(1 for row in rows if row["best"]) * 2 < len(rows):
            out.append(
                _("Most teams missed the best response on “%(title)s”: %(lesson)s")
                % {"title": card["title"], "lesson": card["lesson"]}
            )
    missing = sum(1 for card in cards for row in card["rows"] if row["response"] is None)
    if missing:
        out.append(
            ngettext(
                "%(num)d time a team gave no answer before the round closed.",
                "%(num)d times a team gave no answer before the round closed.",
                missing,
            )
            % {"num": missing}
        )
    commitments = sum(1 for c in state.commitments.values() if c.approved)
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


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


CSV_HEADER = [
    "kind", "round", "card", "team", "player", "response", "best", "why", "auto",
    *DIMENSIONS, "flag", "bonus", "total", "published", "at",
]


def csv_export(state: State) -> str:
    """Every pick and every score as CSV: one row each, the kind in the first column."""
    lang = state.workshop.settings.language
    teams = {t.id: t.name for t in state.teams.values()}
    players = {p.id: p.name for p in state.players.values()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for rnd in state.rounds:
        card = state.card_of(rnd)
        title = card.title.get(lang)
        published = "yes" if rnd.scored_at is not None else "no"
        picks = sorted((p for p in state.picks.values() if p.round == rnd.index), key=lambda p: (p.team_id, p.at))
        for p in picks:
            response = card.response(p.response_id) if p.response_id else None
            writer.writerow([_cell(v) for v in (
                "pick", rnd.index + 1, title, teams.get(p.team_id, ""), players.get(p.player_id, ""),
                response.text.get(lang) if response else (p.text or p.response_id),
                "yes" if response and response.best else "no",
                "", "", *([""] * len(DIMENSIONS)), "", "", "", published, _when(p.at),
            )])
        for team_id in sorted(teams, key=lambda t: teams[t]):
            answer = state.answers.get((rnd.index, team_id))
            score = state.scores.get((rnd.index, team_id))
            if answer is None and score is None:
                continue
            response = card.response(answer.response_id) if answer and answer.response_id else None
            points = score.points() if score else {}
            writer.writerow([_cell(v) for v in (
                "answer", rnd.index + 1, title, teams[team_id],
                players.get(answer.player_id, "") if answer and answer.player_id else "",
                response.text.get(lang) if response else (answer.text if answer else ""),
                "yes" if response and response.best else "no",
                answer.why if answer else "", "yes" if answer and answer.auto else "no",
                *[points.get(d, "") for d in DIMENSIONS],
                ("yes" if score.flag else "no") if score else "", score.bonus if score else "",
                score.total() if score else "", published, _when(answer.at if answer else None),
            )])
    return out.getvalue()
