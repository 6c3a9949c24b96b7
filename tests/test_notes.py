"""The facilitator's private notes on a card: in the facilitator's view, never in any other role's view."""

from __future__ import annotations

import dataclasses

from game.engine import Phase, Text, Workshop, apply, build_views, commands as c, new_state
from game.engine.cards import Card
from game.engine.state import FACILITATOR, GUEST, Actor, Role

from .conftest import make_card

NOTES = Text(nl="PRIVENOTITIE-NL vraag naar eigen ervaringen", en="PRIVATE-NOTE-EN ask for their own stories")
OPEN_NOTES = Text(nl="OPEN-NOTITIE-NL", en="OPEN-NOTE-EN")


def _open_card() -> Card:
    """An open card (no responses) with notes of its own."""
    base = make_card("four")
    return dataclasses.replace(base, kind="open", responses=(), notes=OPEN_NOTES)


def _views_of_every_phase(language: str):
    """Play a choice card with notes and an open card with notes to the end; yield (label, views) after each step."""
    cards = (dataclasses.replace(make_card("one"), notes=NOTES), make_card("two"), _open_card())
    workshop = Workshop(id="w", code="ABCDEF", title="Notes", deck_id="test", cards=cards,
                        settings=dataclasses.replace(_settings(), language=language), created_at=1.0)
    ann, cas = Actor(Role.PLAYER, "ann"), Actor(Role.PLAYER, "cas")
    steps = [
        (GUEST, c.JoinWorkshop("ann", "Ann")), (GUEST, c.JoinWorkshop("cas", "Cas")),
        (GUEST, c.JoinWorkshop("eve", "Eve")),  # stays a guest: the guests' view is checked too
        (ann, c.CreateTeam("red", "Red")), (cas, c.CreateTeam("blue", "Blue")),
        (FACILITATOR, c.DealCard(0)), (ann, c.SubmitPick(0, "b")), (ann, c.LockIn(0, "b")),
        (cas, c.LockIn(0, "a")), (FACILITATOR, c.Reveal(0)), (FACILITATOR, c.PublishScores(0)),
        (FACILITATOR, c.DealCard(1)), (FACILITATOR, c.LockRound(1)), (FACILITATOR, c.Reveal(1)),
        (FACILITATOR, c.PublishScores(1)),
        (FACILITATOR, c.DealCard(2)), (ann, c.LockIn(2, text="We would call her back today.")),
        (FACILITATOR, c.LockRound(2)), (FACILITATOR, c.Reveal(2)), (FACILITATOR, c.PublishScores(2)),
        (FACILITATOR, c.EndWorkshop()),
    ]
    state = new_state(workshop)
    now = 100.0
    yield "lobby", state, build_views(state, now)
    for actor, command in steps:
        now += 1
        state = apply(state, actor, command, now)
        yield type(command).__name__, state, build_views(state, now)


def _settings():
    from game.engine import Settings

    return Settings(language="en", timer_seconds=0, team_size=4, teams_open=True)


def test_notes_reach_the_facilitator_only():
    for language in ("nl", "en"):
        seen_by_facilitator = set()
        phases = set()
        for label, state, views in _views_of_every_phase(language):
            phases.add(state.phase)
            others = [views.screen, views.guests, *views.teams.values()]
            assert views.teams or label in ("lobby", "JoinWorkshop", "CreateTeam"), label
            for view in others:
                blob = repr(view)
                for secret in ("PRIVENOTITIE", "PRIVATE-NOTE", "OPEN-NOTITIE", "OPEN-NOTE", "notes"):
                    assert secret not in blob, (language, label, view["role"], secret)
            card = views.facilitator["card"]
            if card is not None and card["notes"]:
                seen_by_facilitator.add(card["id"])
                expected = {"one": NOTES, "four": OPEN_NOTES}[card["id"]].get(language)
                assert card["notes"] == expected, label
            elif card is not None:
                assert card["id"] == "two" and card["notes"] is None  # a card without notes shows none
        assert seen_by_facilitator == {"one", "four"}
        assert {Phase.LOBBY, Phase.COLLECTING, Phase.LOCKED, Phase.REVEALED, Phase.SCORED, Phase.FINISHED} <= phases


def test_notes_survive_the_workshops_snapshot_of_its_cards():
    card = dataclasses.replace(make_card("one"), notes=NOTES)
    assert Card.from_dict(card.to_dict()) == card
    assert Card.from_dict(make_card("two").to_dict()).notes is None
