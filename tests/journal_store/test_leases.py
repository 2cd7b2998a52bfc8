"""The lease contract (``bridge.leases.Leases``), on every journal store: one holder at a time."""
from __future__ import annotations

import asyncio

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
