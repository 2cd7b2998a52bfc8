"""The outbox runner: owed work delivered in order per lane, retried, dead-lettered.

Work is born in the same transaction as the change that owes it, leased by
the process that made it, and handed here at once (no polling on the hot
path). A sweep leases what nobody holds: timers that came due, work a
previous run left, work whose holder died. Within a lane (a conversation's
room, a conversation's customer, its CRM record) items run one after the
other in id order; lanes never wait for each other, so one failing room
or customer stops nothing else.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable, Coroutine, Sequence

from bridge.errors import SendError
from bridge.outbox_rounds import PartialDone, sorted_outcomes
from bridge.ports import Clock
from bridge.retry import RetryPolicy
from bridge.store import OutboxStore, UnitOfWork, WorkItem
from bridge.work_kinds import lane_family

log = logging.getLogger(__name__)
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


class _Lane:
    def __init__(self) -> None:
        self.items: deque[WorkItem] = deque()
        self.running = False


class Outbox:
    def __init__(self, *, store: OutboxStore, commit: Commit, clock: Clock, owner: str,
                 retry: RetryPolicy | None = None, lease_seconds: float = 300.0,
                 poll_seconds: float = 5.0) -> None:
        self._store, self._commit, self._clock = store, commit, clock
        self.owner = owner
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

    def register(self, kind: str, spec: WorkKind) -> None:
        self._kinds[kind] = spec

    @property
    def running(self) -> bool:
        return self._started

    def recently_dead(self, since: float) -> int:
        return sum(1 for t in self._deaths if t >= since)

    def backlog(self) -> dict[str, int]:
        """Work this process holds and has not finished, by lane kind ("team", "customer", "line", "dm"...)."""
        counts: dict[str, int] = {}
        for name, lane in list(self._lanes.items()):
            kind = lane_family(name)
            counts[kind] = counts.get(kind, 0) + len(lane.items)
        return counts

    def lease_until(self) -> float:
        return self._clock.now() + self._lease

    def stamp(self, unit: UnitOfWork) -> None:
        """Due new work is born held by this process. Work it runs at once is recorded as begun as
        it is born: a crash before it is done has it marked as a possible repeat, at no extra write."""
        unit.lease = (self.owner, self._clock.now(), self.lease_until())
        unit.begun = self.running

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        await self._store.release(self.owner)  # what this owner held before a restart is owed again
        self._started = True
        for name in list(self._lanes):  # work pushed before the start waits for it
            self._kick(name)
        self._spawn(self._scheduler())

    async def stop(self) -> None:
        self._started = False  # a stopped outbox starts nothing more: what it holds stays owed in the store
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what arrives ------------------------------------------------------------------
    def push(self, items: list[WorkItem]) -> None:
        """Work just committed by this process: due work starts now; later work (timers)
        is left to the sweep, which wakes in time for it."""
        now = self._clock.now()
        for item in sorted(items, key=lambda i: i.id):
            if item.not_before > now:
                if item.not_before < self._next_wake:
                    self._wake.set()
                continue
            if item.id in self._held or not item.held:
                continue
            self._held.add(item.id)
            self._lanes.setdefault(item.lane, _Lane()).items.append(item)
            self._kick(item.lane)

    async def sweep(self) -> int:
        """Lease what is due and nobody holds; returns how many items were taken."""
        now = self._clock.now()
        items = await self._store.lease_due(self.owner, now, now + self._lease, 500)
        fresh = [i for i in items if i.id not in self._held]
        self.push(fresh)
        return len(fresh)

    async def idle(self) -> None:
        """Wait until no lane can make progress without the clock moving (tests, benchmarks)."""
        while True:
            await self._idle.wait()
            await asyncio.sleep(0)
            if self._idle.is_set() and not self._runnable():
                return

    def _runnable(self) -> bool:
        now = self._clock.now()
        return any(not lane.running and lane.items and lane.items[0].not_before <= now
                   for lane in self._lanes.values())

    # -- the lanes ----------------------------------------------------------------------
    def _kick(self, name: str) -> None:
        lane = self._lanes.get(name)
        if not self._started or lane is None or lane.running or not lane.items:
            return
        if lane.items[0].not_before > self._clock.now():
            return  # parked: the scheduler wakes it
        lane.running = True
        self._running += 1
        self._idle.clear()
        kind = self._kinds[lane.items[0].kind] if self._many(lane.items[0]) else None
        if kind is not None:
            self._ready.setdefault(lane.items[0].kind, []).append(name)
            if lane.items[0].kind not in self._runners:  # else the lane joins the runner's next round
                self._runners.add(lane.items[0].kind)
                self._spawn(self._run_many(lane.items[0].kind, kind))
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
        return kind is not None and kind.many is not None

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

    def _batch(self, lane: _Lane, head: WorkItem, kind: WorkKind) -> list[WorkItem]:
        batch = [head]
        for item in list(lane.items)[1:kind.batch]:
            if item.kind != head.kind or item.not_before > self._clock.now():
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
                    await self._round(kind, [lane for _, lane in lanes])
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug here must not wedge the lanes for ever
                    log.exception("outbox round of %s crashed", kind_name)
                for name, lane in lanes:  # a lane with more to do joins the next round (or its own drain)
                    self._lane_done(name, lane)
                    self._kick(name)
        finally:
            self._runners.discard(kind_name)

    async def _round(self, kind: WorkKind, lanes: list[_Lane]) -> None:
        assert kind.many is not None
        batches = [self._batch(lane, lane.items[0], kind) for lane in lanes]
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

    # -- the scheduler: parked lanes, timers, and work nobody holds -----------------------
    async def _scheduler(self) -> None:
        while True:
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the journal may be away for a moment
                log.error("outbox sweep failed: %s", type(exc).__name__)
            await self._sleep_until_next()

    async def run_due(self) -> None:
        """Take due work from the store and restart parked lanes whose time came."""
        await self.sweep()
        for name in list(self._lanes):
            self._kick(name)
        held = sorted(self._held)
        if held:
            await self._store.renew(self.owner, held, self.lease_until())

    async def _sleep_until_next(self) -> None:
        now = self._clock.now()
        parked = [lane.items[0].not_before for lane in self._lanes.values() if lane.items and not lane.running]
        stored = await self._store.next_due()
        wake_at = min([now + self._poll, *parked, *([stored] if stored is not None else [])])
        self._next_wake = wake_at
        self._wake.clear()
        sleeper = asyncio.ensure_future(self._clock.sleep(max(0.0, wake_at - now)))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

