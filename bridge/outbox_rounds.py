"""The kinds of work the outbox runs, and a round of work run across lanes (one call for many rooms):
what went, what failed, and the one unit that records what went."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, Sequence, TypeVar

from bridge.errors import SendError
from bridge.store import UnitOfWork, WorkItem

log = logging.getLogger(__name__)
L = TypeVar("L")
Handler = Callable[[list[WorkItem]], Awaitable[UnitOfWork | None]]
# Several lanes' batches at once: one outcome per batch, in order (a unit, or the exception it raised).
ManyHandler = Callable[[list[list[WorkItem]]], Awaitable[Sequence["UnitOfWork | None | BaseException"]]]
DeadHandler = Callable[[WorkItem, str], Awaitable[None]]
Commit = Callable[[UnitOfWork], Awaitable[list[WorkItem]]]


@dataclass(frozen=True)
class WorkKind:
    handler: Handler
    batch: int = 1  # consecutive items of this kind handed over at once
    max_attempts: int = 8
    timeout: float = 60.0
    on_dead: DeadHandler | None = None
    mark_started: bool = False  # record the start first, so a repeat after a crash can say so
    # Ready lanes of this kind handed over together (one call, one deadline, one finish commit):
    # work that costs little each but much per call (a post handed to a team chat's thread).
    many: ManyHandler | None = None
    # Run in that kind's rounds instead, at the head of a lane's batch (its many-handler takes it with
    # the items that follow): a room opened in the round of its first posts, recorded with them.
    rounds_of: str = ""


class PartialDone(Exception):
    """A batch handler did the first ``done`` items, then failed with ``error``; ``unit``: what those
    owe, where it must be recorded with them (only new work and rooms)."""

    def __init__(self, done: int, error: SendError, unit: UnitOfWork | None = None) -> None:
        super().__init__(error.reason)
        self.done, self.error, self.unit = done, error, unit


@dataclass
class Round(Generic[L]):
    done: list[tuple[L, list[WorkItem]]] = field(default_factory=list)
    failed: list[tuple[L, SendError]] = field(default_factory=list)
    apart: list[tuple[L, list[WorkItem], UnitOfWork]] = field(default_factory=list)  # recorded on their own
    merged: UnitOfWork = field(default_factory=UnitOfWork)  # records every done item in one commit


def sorted_outcomes(lanes: list[L], batches: list[list[WorkItem]],
                    outcomes: Sequence[UnitOfWork | None | BaseException]) -> Round[L]:
    """Each lane's outcome (a unit, or what its batch raised) sorted for recording and retrying."""
    result = Round[L]()
    for lane, batch, outcome in zip(lanes, batches, outcomes, strict=True):
        if outcome is None:  # the common case first: done, and owing nothing more
            result.done.append((lane, batch))
        elif isinstance(outcome, PartialDone):  # the first ones went: recorded with the others
            result.done.append((lane, batch[:outcome.done]))
            result.failed.append((lane, outcome.error))
            if outcome.unit is not None:
                result.merged.work += outcome.unit.work
                result.merged.rooms += outcome.unit.rooms
        elif isinstance(outcome, BaseException):
            if not isinstance(outcome, SendError):  # an outage or a bug: retried, named by type only
                log.warning("work %s failed: %s", batch[0].kind, type(outcome).__name__)
                outcome = SendError(f"unexpected {type(outcome).__name__}")
            result.failed.append((lane, outcome))
        elif not mergeable(outcome):
            result.apart.append((lane, batch, outcome))
        else:
            result.done.append((lane, batch))
            result.merged.work += outcome.work
            result.merged.rooms += outcome.rooms
            result.merged.finished += outcome.finished
    result.merged.finished += [i.id for _, batch in result.done for i in batch]
    return result


def mergeable(unit: UnitOfWork) -> bool:
    """Only new work, rooms and finished items: units like that share one commit without a conflict."""
    return not (unit.conversation or unit.messages or unit.cancel or unit.updates or unit.open_as or unit.kept)
