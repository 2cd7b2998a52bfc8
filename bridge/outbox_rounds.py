"""A round of work run across lanes (one call for many rooms): what went, what failed, and the one
unit that records what went."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Generic, Sequence, TypeVar

from bridge.errors import SendError
from bridge.store import UnitOfWork, WorkItem

log = logging.getLogger(__name__)
L = TypeVar("L")


class PartialDone(Exception):
    """A batch handler did the first ``done`` items, then failed with ``error``."""

    def __init__(self, done: int, error: SendError) -> None:
        super().__init__(error.reason)
        self.done, self.error = done, error


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
