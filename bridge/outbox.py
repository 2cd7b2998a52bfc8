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

from bridge.outbox_lanes import Lanes
from bridge.outbox_rounds import Commit, DeadHandler, Handler, ManyHandler, PartialDone, WorkKind
from bridge.work_kinds import lane_family

__all__ = ["Commit", "DeadHandler", "Handler", "ManyHandler", "Outbox", "PartialDone", "WorkKind"]
log = logging.getLogger(__name__)


class Outbox(Lanes):
    """Lanes, plus what feeds them: work pushed by this process, and a sweep of the store."""

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

    async def sweep(self) -> int:
        """Lease what is due and nobody holds; returns how many items were taken."""
        now = self._clock.now()
        if self.leave:
            items = await self._store.lease_due(self.owner, now, now + self._lease, 500, leave=self.leave)
        else:
            items = await self._store.lease_due(self.owner, now, now + self._lease, 500)
        fresh = [i for i in items if i.id not in self._held]
        self.push(fresh)
        return len(fresh)

    def wake(self) -> None:
        """Sweep now: another process committed work (a notification); the periodic sweep is the net."""
        self._wake.set()

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

    # -- the scheduler: parked lanes, timers, and work nobody holds -----------------------
    async def _scheduler(self) -> None:
        while True:
            self._wake.clear()  # a wake from here on (a notification during the sweep) is not lost
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
        sleeper = asyncio.ensure_future(self._clock.sleep(max(0.0, wake_at - now)))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
