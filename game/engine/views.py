"""What each role sees, built from the state.

Secrets are stripped per role: before the reveal a team sees only its own picks and
answer, the screen sees which teams have locked in (never what), and nobody but the
facilitator sees the rubric key. Parts shared by many views are built once.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .cards import DIMENSIONS, Card
from .state import Phase, Round, State, members_by_team

REVEALED_PHASES = (Phase.REVEALED, Phase.SCORED)


@dataclass(frozen=True)
class Views:
    """Every role's whole view after a command (the teams' each built when first asked for: ``TeamViews``)."""

    facilitator: dict
    screen: dict
    guests: dict
    teams: Mapping[str, dict]


class TeamViews(Mapping):
    """Each team's view, by team id in the teams' order, built when it is first asked for.

    A process sends only the teams with a phone connected to it (``game.publish``): with several processes, a team
    none of whose phones is on this one is neither built nor sent here. The facilitator's view takes each team's
    picks, drafts and answer from the same parts (``_Kept``), not from the teams' views."""

    __slots__ = ("_built", "_make", "_order")

    def __init__(self, order: dict[str, object], make: Callable[[str], dict]):
        self._order = order  # team id -> anything: which teams there are, in order
        self._make = make
        self._built: dict[str, dict] = {}

    def __getitem__(self, team_id: str) -> dict:
        view = self._built.get(team_id)
        if view is None:
            if team_id not in self._order:
                raise KeyError(team_id)
            view = self._built.setdefault(team_id, self._make(team_id))
        return view

    def __iter__(self):
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def built(self) -> int:
        """How many of the teams' views have been built so far."""
        return len(self._built)


class _Recent:
    """Something kept per workshop, for the ``workshops`` most recently used ones."""

    def __init__(self, workshops: int = 256):
        self.workshops = workshops
        self._last: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, workshop_id: str, fresh: Callable[[], object], still: Callable[[object], bool] | None = None):
        """The workshop's entry, made by ``fresh`` when it has none or ``still`` says its entry no longer holds; the
        workshop becomes the most recently used."""
        with self._lock:
            kept = self._last.get(workshop_id)
            if kept is None or (still is not None and not still(kept)):
                kept = self._last[workshop_id] = fresh()
            self._last.move_to_end(workshop_id)
            while len(self._last) > self.workshops:
                self._last.popitem(last=False)
        return kept


def shuffled_ids(card: Card, workshop_id: str, round_index: int, team_id: str) -> list[str]:
    """The order a team sees the responses in: shuffled per team, the same on every reload."""
    return list(_ORDERS.order(tuple(r.id for r in card.responses), workshop_id, round_index, team_id))


class _Orders(_Recent):
    """Each workshop's response orders of its newest round, one per team, made when a view first asks.

    Views are built after every command and only the current card is shuffled, so a seeded generator per team and
    build would cost 600 generators per build in a keynote; remembering every round's orders (a cache of 8,192 did)
    kept 16 rounds x 600 teams of past orders, 2.5 MB per process that no view asks for again. A new round of a
    workshop replaces its orders; the ``workshops`` most recently used are remembered."""

    def order(self, ids: tuple[str, ...], workshop_id: str, round_index: int, team_id: str) -> tuple[str, ...]:
        card = (round_index, ids)
        kept = self.entry(workshop_id, lambda: (card, {}), lambda old: old[0] == card)[1]
        order = kept.get(team_id)
        if order is None:
            out = list(ids)
            random.Random(f"{workshop_id}:{round_index}:{team_id}").shuffle(out)
            order = kept[team_id] = tuple(out)
        return order

    def remembered(self, workshop_id: str) -> int:
        """How many orders a workshop has remembered (its newest round's teams that were shown one)."""
        kept = self._last.get(workshop_id)
        return 0 if kept is None else len(kept[1])


_ORDERS = _Orders()


class _Memo:
    """Results remembered by the identity of the immutable values they were computed from: the same objects give the
    same result, so a view built after a pick reuses what only the earlier rounds determine (the leaderboard, the
    debrief) instead of walking every round again. An entry holds its inputs alive, so an ``id`` cannot be reused
    while it is remembered.

    Each workshop keeps only its ``per`` newest results (and the ``workshops`` most recently used workshops are
    remembered): views are built for a workshop's newest state, so an older board or debrief is not asked for again.
    A single pool of a few hundred results could fill up with one big room's old ones instead: 256 leaderboards and
    debriefs of 600 teams each, up to about 100 MB per process by this reckoning (not measured: at 900 phones on
    3 processes the memory at rest did not change measurably), held for nothing."""

    def __init__(self, per: int, workshops: int = 256):
        self.per, self.workshops = per, workshops
        self._groups: OrderedDict[str, OrderedDict] = OrderedDict()  # workshop -> key -> (inputs, value)
        self._lock = threading.Lock()  # pages connecting while a publication is built ask at the same time

    def get(self, workshop_id: str, inputs: tuple, extra: tuple, make: Callable):
        """``make()``, or what it returned before for the very same ``inputs`` (objects) and equal ``extra``."""
        key = (*map(id, inputs), *extra)
        with self._lock:
            group = self._groups.get(workshop_id)
            hit = group.get(key) if group is not None else None
            if hit is not None and all(a is b for a, b in zip(hit[0], inputs, strict=True)):
                group.move_to_end(key)
                self._groups.move_to_end(workshop_id)
                self.hits += 1
                return hit[1]
        value = make()
        with self._lock:
            self.misses += 1
            group = self._groups.setdefault(workshop_id, OrderedDict())
            self._groups.move_to_end(workshop_id)
            group[key] = (inputs, value)
            while len(group) > self.per:
                group.popitem(last=False)
            while len(self._groups) > self.workshops:
                self._groups.popitem(last=False)
        return value

    def drop(self, workshop_id: str) -> None:
        """Forget every result of a workshop."""
        with self._lock:
            self._groups.pop(workshop_id, None)

    def held(self, workshop_id: str) -> int:
        """How many results a workshop has remembered."""
        with self._lock:
            return len(self._groups.get(workshop_id, ()))

    hits = misses = 0  # counted for bench/engine_cost.py


# A workshop's newest few boards and debriefs (the state being published, and one or two a page may still be sent);
# its reveal per card (the debrief lists every revealed card), a deck's worth (MAX_CARDS) and some more for the
# current round's changes; its newest points summed over the published rounds (``_Sums``).
class _Kept(_Recent):
    """Each workshop's last parts of each team's view, so that a new build keeps the parts that did not change as the
    very same objects (``keep``).

    A publication builds the team views of a room, up to 600 in a keynote, and keeps them until the next one; with
    taps spread over seconds there is one every few hundred milliseconds, each changing a few teams. Built anew,
    every part of every view lived long enough for the cycle collector to walk it, again and again (pauses of
    up to 100 ms while phones tapped their picks). Kept, a new view is one new dict around the parts it shares
    with the last, and the publisher's comparison (``game.publish._same``) meets the same objects. The facilitator's
    view shares each team's picks, drafts and answer with the team's view the same way.
    The timer is never kept: its ``server_now`` is the build's clock, which a phone sets its own clock by."""

    def teams(self, workshop_id: str) -> dict[str, dict]:
        """A workshop's last parts by team (a new build begins here: the workshop is the most recently used)."""
        return self.entry(workshop_id, dict)

    @staticmethod
    def keep(last: dict[str, dict], team_id: str, parts: dict) -> None:
        """Replace each of ``parts`` that equals the team's last one by the last one's object, then remember them."""
        before = last.get(team_id)
        if before is not None:
            for key, value in parts.items():
                old = before.get(key, _MISSING)
                if key != "timer" and old is not value and old == value:
                    parts[key] = old
            before.update(parts)
        else:
            last[team_id] = dict(parts)


def forget(workshop_id: str) -> None:
    """Drop what is remembered for a workshop's earlier states: its state was loaded anew from the database (the
    remembered results are keyed by the old state's objects, never asked for again, and would keep a whole copy of
    the room alive each: seven copies of 3,000 players in one process after 16 rounds on 3 processes)."""
    for memo in (_BOARDS, _DEBRIEFS, _CARDS, _SUMS):
        memo.drop(workshop_id)


_MISSING = object()
_KEPT = _Kept()
_BOARDS = _Memo(per=4)
_DEBRIEFS = _Memo(per=4)
_CARDS = _Memo(per=2 * 100 + 8)  # per (round, language) and current answers


def _published_sums(state: State) -> dict[str, tuple]:
    """Per team over the published rounds: ``(points per dimension..., flags, total, rounds)``.

    Built round on round from the newest sums remembered for a prefix of the same rounds (``_Sums``), so a new
    round adds its own teams' scores to the sums so far instead of adding up every round again."""
    parts = tuple(state.scores.in_round(rnd.index) for rnd in state.rounds if rnd.scored_at is not None)
    return _SUMS.get(state.workshop.id, parts)


class _Sums(_Recent):
    """Each workshop's points summed over its published rounds, its ``per`` newest sums only, each with the rounds'
    scores it was added up from (by identity: a round's scores are the same object while they are unchanged).

    Remembering the sums of every prefix of rounds instead (a memo per prefix did) kept 16 sums of 600 teams after a
    keynote's 16 rounds: 0.9 MB per process (tracemalloc, 3,000 players) that only the newest is asked for again. A
    new round starts from the longest remembered prefix of its rounds."""

    def __init__(self, per: int = 4, workshops: int = 256):
        super().__init__(workshops)
        self.per = per

    def get(self, workshop_id: str, parts: tuple) -> dict[str, tuple]:
        kept = self.entry(workshop_id, list)  # [(parts, sums)], the newest last
        done, sums, base = 0, {}, None
        with self._lock:
            for held in reversed(kept):
                if done < len(held[0]) <= len(parts) and all(a is b for a, b in zip(held[0], parts, strict=False)):
                    done, sums, base = len(held[0]), held[1], held
                    if done == len(parts):
                        return sums
        # the sums before the newest round stay remembered beside the new ones: a score changed after publishing
        # (the facilitator may adjust the newest round's) adds up that one round again, however many came before
        before = len(parts) - 1
        if done < before:
            for part in parts[done:before]:
                sums = _add_scores(sums, part)
            base, done = (parts[:before], sums), before
        for part in parts[done:]:
            sums = _add_scores(sums, part)
        with self._lock:
            if base is not None:
                kept[:] = [held for held in kept if held is not base]  # by identity: parts compare by content
                kept.append(base)
            kept.append((parts, sums))
            del kept[:-self.per]
        return sums

    def held(self, workshop_id: str) -> int:
        """How many sums a workshop has remembered."""
        with self._lock:
            return len(self._last.get(workshop_id, ()))

    def drop(self, workshop_id: str) -> None:
        """Forget a workshop's sums."""
        with self._lock:
            self._last.pop(workshop_id, None)


def _add_scores(before: dict[str, tuple], part) -> dict[str, tuple]:
    """``before`` with one round's scores added, as a new dict."""
    after = dict(before)
    for x in part.values():
        row = (*(getattr(x, d) for d in DIMENSIONS), int(x.flag), x.total(), 1)
        old = after.get(x.team_id)
        after[x.team_id] = row if old is None else tuple(a + b for a, b in zip(old, row, strict=True))
    return after


_SUMS = _Sums()


def leaderboard(state: State) -> list[dict]:
    """Teams by published points, with shared ranks for ties (remembered while nothing it shows changes)."""
    return _BOARDS.get(state.workshop.id, (state.rounds, state.scores, state.teams, state.players), (),
                       lambda: _leaderboard(state))


def _leaderboard(state: State) -> list[dict]:
    """``leaderboard``, computed."""
    sums = _published_sums(state)
    ordered = state.teams_in_order()
    totals = {t.id: sums[t.id][-2] if t.id in sums else 0 for t in ordered}
    active = {t.id for t in state.active_teams()}
    rows = [
        {"team_id": t.id, "name": t.name, "points": totals[t.id]}
        for t in ordered
        if t.id in active or totals[t.id]
    ]
    rows.sort(key=lambda r: -r["points"])
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        if row["points"] != previous:
            rank, previous = position, row["points"]
        row["rank"] = rank
    return rows


GUEST_TEAMS_MAX = 40  # a phone choosing a team in an open room sees every team, or with more the first 40 with room
PHONE_BOARD_TOP = 10  # a phone's leaderboard: the first ten teams, and its own team's row when further down


def phone_boards(board: list[dict] | None) -> Callable[[str], list[dict] | None]:
    """A team's leaderboard on its phones, by team id: the top ``PHONE_BOARD_TOP`` rows and, when the team is
    further down, its own row marked ``apart``. A keynote room has hundreds of teams; every phone receives its
    view after every change, so the whole board on every phone would be most of what the server sends.
    Built once per board, for every team."""
    if board is None or len(board) <= PHONE_BOARD_TOP:
        return lambda _team_id: board
    top = board[:PHONE_BOARD_TOP]
    further = {row["team_id"]: [*top, {**row, "apart": True}] for row in board[PHONE_BOARD_TOP:]}
    return lambda team_id: further.get(team_id, top)


def _card_public(card: Card, lang: str, order: list[str] | None = None) -> dict:
    """The card as a participant sees it before the reveal: no key, no best, no feedback."""
    by_id = {r.id: r for r in card.responses}
    ids = order or list(by_id)
    return {
        "id": card.id,
        "title": card.title.get(lang),
        "situation": card.situation.get(lang),
        "question": card.question.get(lang),
        "kind": card.kind,
        "responses": [{"id": i, "text": by_id[i].text.get(lang)} for i in ids],
    }


LANGUAGES = ("nl", "en")


def _translations(card: Card, revealed: bool, workshop_language: str) -> dict:
    """The card's texts in every other language than the workshop's (the view itself is in that one), for a
    phone whose player reads another: ``{lang: {"card": {title, situation, question, responses{id: text}},
    "reveal": ...}}``; none for a language the card is not written in (a one-language deck's card).

    ``reveal`` (``feedback{response id: text}, lesson, debrief``) is None until the reveal, like the view's
    own: nothing a team may not see yet (a response's text is the card's). Built once per command and shared by
    every team's view.
    """
    out = {}
    for lang in LANGUAGES:
        if lang == workshop_language or not card.title.has(lang):
            continue  # a card of a one-language deck has none: the phone keeps it in the workshop's language
        out[lang] = {
            "card": {
                "title": card.title.get(lang),
                "situation": card.situation.get(lang),
                "question": card.question.get(lang),
                "responses": {r.id: r.text.get(lang) for r in card.responses},
            },
            "reveal": {
                "feedback": {r.id: r.feedback.get(lang) for r in card.responses},
                "lesson": card.lesson.get(lang),
                "debrief": card.debrief.get(lang),
            }
            if revealed
            else None,
        }
    return out


def _spotlight(state: State, rnd: Round) -> dict | None:
    """The team answer the facilitator put on the big screen (open cards), or None."""
    team = state.teams.get(rnd.spotlight or "")
    answer = state.answers.get((rnd.index, rnd.spotlight or ""))
    if team is None or answer is None:
        return None
    return {"team_id": team.id, "name": team.name, "text": answer.text, "why": answer.why}


def _reveal(state: State, rnd: Round, lang: str) -> dict:
    """What the whole room sees at the reveal: counts per response, the best one and why.

    On an open card there is nothing to count: the room sees how many teams answered and the
    one answer the facilitator puts in the spotlight.
    """
    card = state.card_of(rnd)
    counts = {r.id: 0 for r in card.responses}
    answered = 0
    for answer in state.answers.in_round(rnd.index).values():
        answered += 1
        if answer.response_id:
            counts[answer.response_id] = counts.get(answer.response_id, 0) + 1
    best = card.best_response()
    return {
        "kind": card.kind,
        "answered": answered,
        "spotlight": _spotlight(state, rnd) if card.is_open else None,
        "responses": [
            {
                "id": r.id,
                "text": r.text.get(lang),
                "count": counts[r.id],
                "best": r.best,
                "feedback": r.feedback.get(lang),
            }
            for r in card.responses
        ],
        "best_id": best.id if best else None,
        "lesson": card.lesson.get(lang),
        "debrief": card.debrief.get(lang),
        "no_answer": sum(1 for t in state.active_teams() if (rnd.index, t.id) not in state.answers),
    }


def _reveal_once(state: State, rnd: Round, lang: str) -> dict:
    """``_reveal``, remembered while its round, that round's answers, the teams and the players are the same."""
    inputs = (rnd, state.answers.in_round(rnd.index), state.teams, state.players, state.workshop.cards)
    return _CARDS.get(state.workshop.id, inputs, (lang,), lambda: _reveal(state, rnd, lang))


def _timer(rnd: Round | None, phase: Phase, now: float) -> dict:
    """The countdown: an absolute deadline plus the server's clock, so phones can correct skew; ``stopped_left``:
    the seconds a countdown the facilitator stopped had left ("Start timer" resumes from them)."""
    collecting = rnd is not None and phase is Phase.COLLECTING
    deadline = rnd.deadline if collecting else None
    return {
        "deadline": deadline,
        "server_now": now,
        "remaining": max(0.0, deadline - now) if deadline is not None else None,
        "stopped_left": rnd.timer_left if collecting and deadline is None else None,
    }


def _members_by_team(state: State) -> dict[str, list[dict]]:
    """Every team's members, the earliest to join first, with its captain marked (``State.captain``: the one made
    captain, else the earliest), from the players indexed by team (``members_by_team``)."""
    by_team = members_by_team(state.players)
    captains = state.captains()
    out = {}
    for team_id in state.teams:
        captain = captains.get(team_id)
        out[team_id] = [{"id": p.id, "name": p.name, "captain": captain is not None and p.id == captain.id}
                        for p in by_team.get(team_id, ())]
    return out


def _workshop(state: State, lang: str) -> dict:
    """The header every role shares."""
    w = state.workshop
    rnd = state.current_round
    return {
        "locked_by": rnd.locked_by if rnd else None,
        "code": w.code,
        "title": w.title,
        "phase": w.phase.value,
        "language": lang,
        "round": rnd.index if rnd else -1,
        "cards_total": len(w.cards),
        "cards_left": len(w.cards) - len(state.rounds),
        "leaderboard_visible": w.leaderboard_visible,
        "team_size": w.settings.team_size,
        "teams_open": w.settings.teams_open,
    }


def half_up(part: int, whole: int, unit: int) -> int:
    """``part / whole`` in units of ``1 / unit``, rounded half up, in exact integer arithmetic (``part`` >= 0).

    The one rounding of every figure people read: Python's ``round()`` rounds half to even and a float's
    ``%.1f`` rounds its binary value (1.25 gives 1.2), while JavaScript's ``Math.round`` goes half up (1.3).
    The pages print what comes from here as it is, so the screen, the phones, the console and the report
    show the same digits."""
    return (2 * part * unit + whole) // (2 * whole)


def average(values: list[int]) -> float | None:
    """The mean of whole points to one decimal (half up), as every page shows it; None without values."""
    return half_up(sum(values), len(values), 10) / 10 if values else None


def extremes(profile: dict[str, float | None]) -> dict:
    """The dimensions a profile is lowest and highest on (every one that shows the same value, in the rubric's
    order), and whether all known dimensions show the same value: what the report's insight and the pages'
    "Strongest" / "Most to gain" name (static/js/common.js, ``profileExtremes``, picks them the same way)."""
    known = {d: v for d, v in profile.items() if v is not None}
    if not known:
        return {"low": [], "high": [], "even": False}
    low, high = min(known.values()), max(known.values())
    return {
        "low": [d for d in DIMENSIONS if known.get(d) == low],
        "high": [d for d in DIMENSIONS if known.get(d) == high],
        "even": low == high,
    }


def debrief(state: State, lang: str) -> dict:
    """The room's and each team's profile over the rubric, and what was chosen on each card with its lesson
    (remembered while nothing it shows changes: the console gets it after every pick)."""
    inputs = (state.workshop.cards, state.rounds, state.scores, state.answers, state.teams, state.players)
    return _DEBRIEFS.get(state.workshop.id, inputs, (lang,), lambda: _debrief(state, lang))


def _debrief(state: State, lang: str) -> dict:
    """``debrief``, computed from the published sums (``_published_sums``) and each card's reveal."""
    sums = _published_sums(state)
    count = len(DIMENSIONS)

    def profile(row: tuple | None) -> dict:
        """The average points per dimension of a sums row (``average``'s rounding), None without rounds."""
        return {d: half_up(row[i], row[-1], 10) / 10 if row and row[-1] else None for i, d in enumerate(DIMENSIONS)}

    teams = []
    for t in state.teams_in_order():
        own = sums.get(t.id)
        if own:
            teams.append(
                {
                    "team_id": t.id,
                    "name": t.name,
                    "profile": profile(own),
                    "flags": own[count],
                    "points": own[count + 1],
                }
            )
    cards = []
    for rnd in state.rounds:
        if rnd.revealed_at is None:
            continue
        card = state.card_of(rnd)
        reveal = _reveal_once(state, rnd, lang)
        cards.append(
            {
                "index": rnd.index,
                "title": card.title.get(lang),
                "lesson": reveal["lesson"],
                "debrief": reveal["debrief"],
                "best_id": reveal["best_id"],
                "no_answer": reveal["no_answer"],
                "kind": reveal["kind"],
                "answered": reveal["answered"],
                "spotlight": reveal["spotlight"],
                "responses": [{k: r[k] for k in ("id", "text", "count", "best")} for r in reveal["responses"]],
            }
        )
    room_sums = [sum(row[i] for row in sums.values()) for i in range(count + 3)]
    room = profile(tuple(room_sums))
    ranked = sorted((d for d in DIMENSIONS if room[d] is not None), key=lambda d: room[d])
    return {
        "dimensions": list(DIMENSIONS),
        "room": room,
        "weakest": ranked[0] if ranked else None,
        "strongest": ranked[-1] if ranked else None,
        "extremes": extremes(room),
        "flags": room_sums[count],
        "teams": teams,
        "cards": cards,
    }


def _commitments(state: State, *, approved_only: bool, team_id: str | None = None) -> list[dict]:
    """Commitments with their author's name, oldest first; filtered for the screen or one team."""
    out = []
    for x in sorted(state.commitments.values(), key=lambda x: (x.at, x.player_id)):
        player = state.players.get(x.player_id)
        if player is None or (approved_only and x.approved is not True):
            continue
        if team_id is not None and player.team_id != team_id:
            continue
        out.append({"player_id": x.player_id, "name": player.name, "text": x.text, "approved": x.approved})
    return out


def _podium(board: list[dict]) -> list[dict]:
    """The teams on the podium: every team ranked 1 to 3."""
    return [row for row in board if row["rank"] <= 3]


def build_views(state: State, now: float) -> Views:
    """Build every role's view of the state at time ``now``."""
    lang = state.workshop.settings.language
    header = _workshop(state, lang)
    rnd = state.current_round
    phase = state.phase
    card = state.card_of(rnd) if rnd else None
    revealed = rnd is not None and phase in REVEALED_PHASES
    reveal = _reveal_once(state, rnd, lang) if revealed else None
    board = leaderboard(state)
    finished = phase is Phase.FINISHED
    public_board = board if (state.workshop.leaderboard_visible or finished) else None
    timer = _timer(rnd, phase, now)
    teams = state.teams_in_order()
    members = _members_by_team(state)
    round_picks: dict[str, dict[str, str]] = {t.id: {} for t in teams}
    round_drafts: dict[str, dict[str, str]] = {t.id: {} for t in teams}  # open card: what each member proposes
    if rnd is not None:
        # this round's only, never every earlier round's; in the order they were made (a table's own order
        # follows hashes, which differ between processes)
        for p in sorted(state.picks.in_round(rnd.index).values(), key=lambda p: (p.at, p.player_id)):
            if p.team_id in round_picks:
                if p.response_id:
                    round_picks[p.team_id][p.player_id] = p.response_id
                elif p.text:
                    round_drafts[p.team_id][p.player_id] = p.text
    locked = [t.id for t in teams if rnd is not None and (rnd.index, t.id) in state.answers]
    card_public = _card_public(card, lang) if card else None
    translations = _translations(card, revealed, lang) if card else None  # the phone's language switch
    summary = debrief(state, lang) if finished else None

    screen = {
        "role": "screen",
        "workshop": header,
        "teams": [{"id": t.id, "name": t.name, "members": [m["name"] for m in members[t.id]]} for t in teams],
        "players_total": len(state.players),
        "card": card_public,
        "timer": timer,
        "locked_team_ids": locked,
        "reveal": reveal,
        "leaderboard": public_board,
        "podium": _podium(board) if finished else None,
        "debrief": summary,
        "commitments": _commitments(state, approved_only=True) if finished else None,
    }

    size = state.workshop.settings.team_size
    listed = teams  # teams closed: every team the facilitator made, since a phone cannot start its own
    if state.workshop.settings.teams_open and len(teams) > GUEST_TEAMS_MAX:
        listed = [t for t in teams if len(members[t.id]) < size][:GUEST_TEAMS_MAX]
    guests = {
        "role": "guest",
        "workshop": header,
        "teams": [
            {"id": t.id, "name": t.name, "size": len(members[t.id]), "full": len(members[t.id]) >= size}
            for t in listed
        ],
        "teams_total": len(teams),
    }

    board_of = phone_boards(public_board)
    kept = _KEPT.teams(state.workshop.id)
    parts: dict[str, dict] = {}  # per team: what its own view and the facilitator's share
    for t in teams:
        answer = state.answers.get((rnd.index, t.id)) if rnd is not None else None
        shared = {
            "picks": round_picks[t.id],
            "drafts": round_drafts[t.id],
            "answer": None if answer is None else {
                "response_id": answer.response_id, "text": answer.text, "why": answer.why, "auto": answer.auto
            },
        }
        _Kept.keep(kept, t.id, shared)
        parts[t.id] = shared
    by_id = {t.id: t for t in teams}

    def team_view(team_id: str) -> dict:
        t = by_id[team_id]
        view = {
            "role": "team",
            "workshop": header,
            "team": {"id": t.id, "name": t.name, "members": members[t.id]},
            "card": None,
            "timer": timer,
            **parts[t.id],  # picks, drafts, answer
            "reveal": reveal,
            "translations": translations,
            "score": None,
            "leaderboard": board_of(t.id),
            "podium": _podium(board) if finished else None,
            "debrief": summary,
            "commitments": _commitments(state, approved_only=False, team_id=t.id) if finished else None,
        }
        if card is not None:
            view["card"] = _card_public(card, lang, shuffled_ids(card, state.workshop.id, rnd.index, t.id))
            score = state.scores.get((rnd.index, t.id))
            if revealed and score is not None and rnd.scored_at is not None:
                view["score"] = score.to_dict()
        _Kept.keep(kept, t.id, view)
        return view

    facilitator = {
        "role": "facilitator",
        "workshop": {**header, "settings": state.workshop.settings.to_dict(), "deck_id": state.workshop.deck_id},
        "teams": [
            {
                "id": t.id,
                "name": t.name,
                "members": members[t.id],
                **parts[t.id],  # picks, drafts, answer: the very objects of the team's own view
                "score": (state.scores[(rnd.index, t.id)].to_dict()
                          if rnd and (rnd.index, t.id) in state.scores else None),
            }
            for t in teams
        ],
        "unassigned": [{"id": p.id, "name": p.name}
                       for p in sorted(state.players.values(), key=lambda p: (p.joined_at, p.id)) if p.team_id is None],
        "players_total": len(state.players),
        "removed": [{"id": r.player_id, "name": r.name, "at": r.at}
                    for r in sorted(state.removed.values(), key=lambda r: (r.at, r.player_id))],
        "card": _card_full(card, lang) if card else None,
        "next_card": _next_card(state, lang),
        "timer": timer,
        "locked_team_ids": locked,
        "reveal": reveal,
        "spotlight_team_id": rnd.spotlight if rnd else None,
        "round_scored": bool(rnd and rnd.scored_at is not None),
        "leaderboard": board,
        "podium": _podium(board) if finished else None,
        "dimensions": list(DIMENSIONS),
        "debrief": debrief(state, lang) if state.rounds else None,
        "commitments": _commitments(state, approved_only=False),
    }
    return Views(facilitator=facilitator, screen=screen, guests=guests, teams=TeamViews(by_id, team_view))


def _card_full(card: Card, lang: str) -> dict:
    """The card with its key, for the facilitator only."""
    view = _card_public(card, lang)
    by_id = {r.id: r for r in card.responses}
    for r in view["responses"]:
        response = by_id[r["id"]]
        r["key"] = response.key.to_dict()
        r["best"] = response.best
        r["total"] = response.key.total()
        r["feedback"] = response.feedback.get(lang)
    view["lesson"] = card.lesson.get(lang)
    view["debrief"] = card.debrief.get(lang)
    view["sensitive"] = card.sensitive
    view["story"] = card.story  # a built-in story's id (the console shows its name) or the facilitator's own words
    view["notes"] = card.notes.get(lang) if card.notes else None  # the facilitator's private notes: console only
    return view


def _next_card(state: State, lang: str) -> dict | None:
    """The title of the card that 'next' will deal, so the facilitator knows what comes."""
    index = len(state.rounds)
    if index >= len(state.workshop.cards):
        return None
    card = state.workshop.cards[index]
    return {"index": index, "title": card.title.get(lang), "sensitive": card.sensitive}
