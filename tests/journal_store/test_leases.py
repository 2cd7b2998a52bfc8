"""The lease contract (``bridge.leases.Leases``), on every journal store: one holder at a time."""
from __future__ import annotations

import asyncio

from bridge.leases import SoleRunner
from bridge.store import Journal


async def test_a_lease_has_one_holder_until_it_runs_out_or_is_released(journal: Journal):
    leases = journal.leases
    assert await leases.take("poll:1", "a", now=100.0, until=120.0)
    assert not await leases.take("poll:1", "b", now=110.0, until=130.0)  # a holds it
    assert await leases.take("poll:1", "a", now=110.0, until=130.0)  # a renews
    assert await leases.take("poll:2", "b", now=110.0, until=130.0)  # another lease is another row
    assert not await leases.take("poll:1", "b", now=129.0, until=149.0)
    assert await leases.take("poll:1", "b", now=131.0, until=151.0)  # a stopped renewing: b takes over
    assert not await leases.take("poll:1", "a", now=132.0, until=152.0)  # and a cannot take it back
    await leases.release("poll:1", "a")  # not a's: nothing happens
    assert not await leases.take("poll:1", "a", now=133.0, until=153.0)
    await leases.release("poll:1", "b")
    assert await leases.take("poll:1", "a", now=134.0, until=154.0)  # released: free at once


async def test_of_many_takers_at_once_exactly_one_wins(reopen):
    journals = [await reopen() for _ in range(2)]  # two connections, as two processes
    tries = [j.leases.take("poll:race", f"owner-{i}-{n}", now=1.0, until=30.0)
             for n in range(10) for i, j in enumerate(journals)]
    assert sum(await asyncio.gather(*tries)) == 1


class _Away:
    """The journal as one process sees it: away (every call fails) while ``away`` is set."""

    def __init__(self, leases) -> None:
        self.leases, self.away = leases, False

    async def take(self, *args):
        if self.away:
            raise OSError("the database does not answer")
        return await self.leases.take(*args)

    async def release(self, *args):
        return await self.leases.release(*args)


async def _until(predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_a_holder_that_cannot_renew_stops_before_another_process_takes_over(journal):
    running: set[str] = set()
    overlaps: list[set[str]] = []

    def work(name: str):
        async def run() -> None:
            running.add(name)
            if len(running) > 1:
                overlaps.append(set(running))
            try:
                await asyncio.Event().wait()
            finally:
                running.discard(name)
        return run

    cut_off = _Away(journal.leases)
    # Long enough that a loaded machine's stalled write is not a lost renewal (it failed at 0.8 s under load).
    lease = 2.4
    first, second = SoleRunner(cut_off, "poll:x", lease), SoleRunner(journal.leases, "poll:x", lease)
    tasks = [asyncio.ensure_future(first.run(work("first")))]
    await _until(lambda: "first" in running)  # holding, and its work began (a loop step after the take)
    tasks.append(asyncio.ensure_future(second.run(work("second"))))
    await asyncio.sleep(lease * 1.25)
    assert running == {"first"} and not second.holding  # the holder renews past its lease; the other stands by
    cut_off.away = True  # the first process loses its database: it cannot renew
    await _until(lambda: "second" in running, timeout=3 * lease)
    assert running == {"second"} and overlaps == []  # it stopped before the lease ran out
    cut_off.away = False
    await asyncio.sleep(lease / 2)
    assert running == {"second"} and not first.holding  # back, it finds the lease taken and stands by
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
