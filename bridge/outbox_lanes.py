"""The outbox's lanes: each runs its items one after the other, in id order, and records what is done.

A lane's head is handed to its kind's handler (a batch of the same kind where the kind allows);
done work is recorded in one commit (retried until it is: the work itself is never redone), failed
work backs off and is retried, then buried. Kinds with a many-handler run across lanes in rounds:
one call, one deadline and one finish commit for many rooms. ``bridge.outbox.Outbox`` adds the
sweep and the scheduler on top.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import replace
from operator import attrgetter
from typing import Any, Coroutine

from bridge.errors import SendError
from bridge.outbox_rounds import Commit, PartialDone, WorkKind, sorted_outcomes
from bridge.ports import Clock
from bridge.retry import RetryPolicy
from bridge.store import OutboxStore, UnitOfWork, WorkItem

log = logging.getLogger(__name__)
_BY_ID = attrgetter("id")


class _Lane:
    def __init__(self) -> None:
        self.items: deque[WorkItem] = deque()
        self.running = False


class Lanes:
    """The lanes this process holds and runs (the state the outbox shares with its scheduler)."""

    def __init__(self, *, store: OutboxStore, commit: Commit, clock: Clock, owner: str,
                 retry: RetryPolicy | None = None, lease_seconds: float = 300.0,
                 poll_seconds: float = 5.0, leave: tuple[str, ...] = ()) -> None:
        self._store, self._commit, self._clock = store, commit, clock
        self.owner = owner
        self.leave = leave  # kinds (prefixes) another process runs: never leased, nor born held, here
        self._retry = retry or RetryPolicy()
        self._lease, self._poll = lease_seconds, poll_seconds
        self._kinds: dict[str, WorkKind] = {}
        self._lanes: dict[str, _Lane] = {}
        self._held: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running = 0
        self._next_wake = 0.0
        self._deaths: deque[float] = deque(maxlen=1000)  # when work was given up, for the health check
        self._started = False
        self._ready: dict[str, list[str]] = {}  # kind with a many-handler -> lanes waiting for its runner
        self._runners: set[str] = set()  # kinds whose runner is going

    def lease_until(self) -> float:
        return self._clock.now() + self._lease

    def stamp(self, unit: UnitOfWork) -> None:
        """Due new work is born held by this process. Work it runs at once is recorded as begun as
        it is born: a crash before it is done has it marked as a possible repeat, at no extra write."""
        unit.lease = (self.owner, self._clock.now(), self.lease_until())
        unit.begun = self._started
        unit.leave = self.leave

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what arrives ------------------------------------------------------------------
    def push(self, items: list[WorkItem]) -> None:
        """Work just committed by this process: due work starts now; later work (timers)
        is left to the sweep, which wakes in time for it."""
        now = self._clock.now()
        for item in sorted(items, key=_BY_ID) if len(items) > 1 else items:  # mostly one: no sort
            if item.not_before > now:
                if item.not_before < self._next_wake:
                    self._wake.set()
                continue
            if item.id in self._held or not item.held:
                continue
            self._held.add(item.id)
            (self._lanes.get(item.lane) or self._lanes.setdefault(item.lane, _Lane())).items.append(item)
            self._kick(item.lane)

    # -- the lanes ----------------------------------------------------------------------
    def _kick(self, name: str) -> None:
        lane = self._lanes.get(name)
        if not self._started or lane is None or lane.running or not lane.items:
            return
        head = lane.items[0]
        if head.not_before > self._clock.now():
            return  # parked: the scheduler wakes it
        lane.running = True
        if not self._running:
            self._idle.clear()
        self._running += 1
        if self._many(head):
            kind = self._kinds[head.kind]
            key = kind.rounds_of or head.kind
            self._ready.setdefault(key, []).append(name)
            if key not in self._runners:  # else the lane joins the runner's next round
                self._runners.add(key)
                self._spawn(self._run_many(key, self._kinds[key]))
            return
        self._spawn(self._drain(name, lane))

    def _lane_done(self, name: str, lane: _Lane) -> None:
        lane.running = False
        if not lane.items:
            self._lanes.pop(name, None)
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def _drain(self, name: str, lane: _Lane) -> None:
        handover = False
        try:
            while lane.items and lane.items[0].not_before <= self._clock.now():
                if self._many(lane.items[0]):
                    handover = True  # work run across lanes goes to its kind's next round
                    break
                await self._step(lane)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not wedge the lane for ever
            log.exception("outbox lane %s crashed", name)
        finally:
            self._lane_done(name, lane)
        if handover:
            self._kick(name)

    def _many(self, item: WorkItem) -> bool:
        kind = self._kinds.get(item.kind)
        return kind is not None and (kind.many is not None or bool(kind.rounds_of))

    async def _step(self, lane: _Lane) -> None:
        head = lane.items[0]
        kind = self._kinds.get(head.kind)
        if kind is None:
            await self._give_up(lane, head, None, f"no handler for {head.kind}")
            return
        batch = self._batch(lane, head, kind)
        try:
            if kind.mark_started:  # work born begun (this process made it and runs it now) needs no write
                await self._store.started([i.id for i in batch if not i.begun])
            unit = await asyncio.wait_for(kind.handler(batch), kind.timeout)
        except PartialDone as partial:
            await self._finish(lane, batch[:partial.done], None)
            await self._failed(lane, kind, partial.error)
        except SendError as exc:
            await self._failed(lane, kind, exc)
        except (asyncio.TimeoutError, TimeoutError):
            for i, item in enumerate(batch):  # it may have happened after all: a retry says so
                lane.items[i] = replace(item, recovered=True)
            await self._failed(lane, kind, SendError(f"no answer within {kind.timeout:g} s"))
        except Exception as exc:  # an outage or a bug: retried, bounded, named by type only
            log.warning("work %s failed: %s", head.kind, type(exc).__name__, exc_info=log.isEnabledFor(10))
            await self._failed(lane, kind, SendError(f"unexpected {type(exc).__name__}"))
        else:
            await self._finish(lane, batch, unit)

    def _batch(self, lane: _Lane, head: WorkItem, kind: WorkKind, joins: str = "") -> list[WorkItem]:
        """The head and the items of its kind that follow it (in a round: of the round's kind ``joins``,
        whatever the head's, so a room's opening takes its first posts along)."""
        batch = [head]
        for item in list(lane.items)[1:kind.batch]:
            if item.kind != (joins or head.kind) or item.not_before > self._clock.now():
                break
            batch.append(item)
        return batch

    async def _finish(self, lane: _Lane, done: list[WorkItem], unit: UnitOfWork | None) -> None:
        if not done:
            return
        unit = unit or UnitOfWork()
        unit.finished.extend(i.id for i in done)
        await self._record(unit)
        self._forget(lane, done)

    def _forget(self, lane: _Lane, done: list[WorkItem]) -> None:
        for item in done:
            lane.items.popleft()
            self._held.discard(item.id)

    async def _record(self, unit: UnitOfWork) -> None:
        self.stamp(unit)
        attempts = 0
        while True:  # the work is done: only its record is missing, so never redo the work
            try:
                committed = await self._commit(unit)
                break
            except Exception as exc:
                attempts += 1
                log.error("recording finished work failed (attempt %d): %s", attempts, type(exc).__name__)
                await self._clock.sleep(self._retry.delay(attempts))
        self.push(committed)

    # -- kinds run across lanes: one call, one deadline and one finish commit per round ----------
    async def _run_many(self, kind_name: str, kind: WorkKind) -> None:
        try:
            while names := self._ready.pop(kind_name, []):
                lanes = [(name, self._lanes[name]) for name in names]
                try:
                    await self._round(kind, [lane for _, lane in lanes], kind_name)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug here must not wedge the lanes for ever
                    log.exception("outbox round of %s crashed", kind_name)
                for name, lane in lanes:  # a lane with more to do joins the next round (or its own drain)
                    self._lane_done(name, lane)
                    if lane.items:
                        self._kick(name)
        finally:
            self._runners.discard(kind_name)

    async def _round(self, kind: WorkKind, lanes: list[_Lane], kind_name: str) -> None:
        assert kind.many is not None
        batches = [self._batch(lane, lane.items[0], kind, kind_name) for lane in lanes]
        try:
            if kind.mark_started:
                await self._store.started([i.id for batch in batches for i in batch if not i.begun])
            async with asyncio.timeout(kind.timeout):
                outcomes = await kind.many(batches)
        except TimeoutError:
            for lane, batch in zip(lanes, batches):
                for i, item in enumerate(batch):  # it may have happened after all: a retry says so
                    lane.items[i] = replace(item, recovered=True)
                await self._failed(lane, kind, SendError(f"no answer within {kind.timeout:g} s"))
            return
        except Exception as exc:
            log.warning("work %s failed: %s", batches[0][0].kind, type(exc).__name__)
            for lane in lanes:
                await self._failed(lane, kind, SendError(f"unexpected {type(exc).__name__}"))
            return
        outcome = sorted_outcomes(lanes, batches, outcomes)
        if not outcome.merged.empty:
            await self._record(outcome.merged)
        for lane, batch in outcome.done:
            self._forget(lane, batch)
        for lane, batch, unit in outcome.apart:
            await self._finish(lane, batch, unit)
        for lane, error in outcome.failed:
            await self._failed(lane, kind, error)

    async def _failed(self, lane: _Lane, kind: WorkKind, error: SendError) -> None:
        head = lane.items[0]
        attempts = head.attempts + 1
        if not error.retryable or attempts >= kind.max_attempts:
            await self._give_up(lane, replace(head, attempts=attempts), kind, error.reason)
            return
        not_before = self._clock.now() + self._retry.delay(attempts, error.retry_after)
        log.info("work %s #%d failed (attempt %d), again in %.0f s: %s", head.kind, head.id, attempts,
                 not_before - self._clock.now(), error.reason, extra={"conversation": head.conversation_id})
        await self._store.reschedule(head.id, not_before, attempts, error.reason)
        lane.items[0] = replace(head, attempts=attempts, not_before=not_before)
        self._wake.set()

    async def _give_up(self, lane: _Lane, item: WorkItem, kind: WorkKind | None, reason: str) -> None:
        log.warning("work %s #%d given up after %d attempts: %s", item.kind, item.id, item.attempts, reason,
                    extra={"conversation": item.conversation_id})
        await self._store.bury(item.id, item.attempts, reason)
        lane.items.popleft()
        self._held.discard(item.id)
        self._deaths.append(self._clock.now())
        if kind is not None and kind.on_dead is not None:
            try:
                await kind.on_dead(item, reason)
            except Exception as exc:
                log.error("reporting dead work %d failed: %s", item.id, type(exc).__name__)
