"""Queue distribution: who a waiting conversation is offered to, by the line's queue mode.

Pure: given the line, the conversation and who is available, it says who gets
the offer. ``evenly`` offers to the operator who has waited longest since
their last offer, ``strict`` to the first available in queue order, ``all``
to everyone at once (the first ``!answer`` wins, atomically).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from bridge.model import Conversation, Line
from bridge.store import StateStore

PRESENCE = "openlines:operators"  # the state store's slot for operators (binding id)


@dataclass(frozen=True)
class Availability:
    away: frozenset[str]
    loads: Mapping[str, int]  # open conversations each operator has on the line
    last_offered: Mapping[str, float]


@dataclass(frozen=True)
class Offer:
    to: tuple[str, ...]  # nobody: nobody is available now
    new_round: bool  # everyone let it pass: it goes round again


def offer(line: Line, conversation: Conversation, who: Availability) -> Offer:
    passed = set(conversation.passed) | set(conversation.offered_to)
    ready = [p for p in line.operators if p not in who.away and _has_room(line, who, p)]
    pool = [p for p in ready if p not in passed]
    new_round = not pool and bool(ready)
    if new_round:
        pool = ready
    if not pool:
        return Offer((), False)
    mode = line.settings.queue_mode
    if mode == "all":
        return Offer(tuple(pool), new_round)
    if mode == "evenly":
        return Offer((min(pool, key=lambda p: (who.last_offered.get(p, 0.0), line.operators.index(p))),), new_round)
    return Offer((pool[0],), new_round)


def offered(conversation: Conversation, result: Offer) -> Conversation:
    """The conversation once offered: the previous offer counts as passed (or a new round starts)."""
    passed = () if result.new_round else tuple(dict.fromkeys((*conversation.passed, *conversation.offered_to)))
    return replace(conversation, offered_to=result.to, passed=passed)


def _has_room(line: Line, who: Availability, person: str) -> bool:
    capacity = line.settings.capacity
    return capacity == 0 or who.loads.get(person, 0) < capacity


class Presence:
    """Operators' away flags and last offers, kept in the state store."""

    def __init__(self, state: StateStore) -> None:
        self._state = state

    async def of(self, person: str) -> dict[str, Any]:
        return await self._state.get(PRESENCE, person)

    async def set_away(self, person: str, away: bool) -> None:
        await self._state.update(PRESENCE, person, lambda s: {**s, "away": away})

    async def offered_now(self, people: tuple[str, ...], now: float) -> None:
        for person in people:
            await self._state.update(PRESENCE, person, lambda s: {**s, "last_offered": now})

    async def availability(self, line: Line, conversations: list[Conversation]) -> Availability:
        away, last = set(), {}
        for person in line.operators:
            state = await self.of(person)
            if state.get("away"):
                away.add(person)
            last[person] = float(state.get("last_offered", 0.0))
        loads: dict[str, int] = {}
        for c in conversations:
            if c.owner is not None and c.is_open:
                loads[c.owner] = loads.get(c.owner, 0) + 1
        return Availability(frozenset(away), loads, last)
