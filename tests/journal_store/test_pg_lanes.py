"""Two processes on one PostgreSQL journal: lanes are leased whole, a dead process's lanes are taken over,
and a customer's record changed by both keeps both changes."""
from __future__ import annotations

import asyncio

import psycopg
import pytest

from bridge.store import NewWork, UnitOfWork
from journal_store import Sealer, open_journal
from journal_store.pg_schema import VERSION
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)

NOW = 1_700_000_000.0


@pytest.fixture
async def two(pg_database):
    """Two journals on one database, as two processes would open it."""
    url = emptied(pg_database)
    a, b = await asyncio.gather(*(asyncio.to_thread(open_journal, url, sealer=Sealer()) for _ in range(2)))
    yield a, b
    for journal in (a, b):
        await asyncio.to_thread(journal.close)


async def _owe(journal, lane: str, n: int = 1) -> list[int]:
    done = await journal.conversations.commit(UnitOfWork(work=[NewWork("team.post", {"n": i}, lane=lane,
                                                                       not_before=NOW) for i in range(n)]))
    return [w.id for w in done.work]


async def test_a_lane_is_held_whole_by_the_process_that_leased_it(two):
    a, b = two
    first = await _owe(a, "team:1", 2)
    other = await _owe(a, "team:2")
    taken = await a.outbox.lease_due("a", NOW, NOW + 60, 1)  # one item: its whole lane is a's now
    assert [w.id for w in taken] == first[:1]
    later = await _owe(b, "team:1")  # more for a's lane, written by the other process
    got = await b.outbox.lease_due("b", NOW + 1, NOW + 61, 100)
    assert [w.id for w in got] == other  # never a's lane, even its items nobody leased yet
    mine = await a.outbox.lease_due("a", NOW + 1, NOW + 61, 100)
    assert [w.id for w in mine] == [first[1], later[0]]  # in order, in the lane's holder


async def test_a_dead_processs_lanes_are_taken_over_after_expiry(two):
    a, b = two
    ids = await _owe(a, "customer:7", 3)
    held = await a.outbox.lease_due("a", NOW, NOW + 30, 100)
    await a.outbox.started([held[0].id])
    # "a" dies here: no renewal, no release.
    assert await b.outbox.lease_due("b", NOW + 29, NOW + 89, 100) == []
    taken = await b.outbox.lease_due("b", NOW + 31, NOW + 91, 100)
    assert [w.id for w in taken] == ids and [w.recovered for w in taken] == [True, False, False]


async def test_a_renewed_lease_keeps_the_lane_and_a_release_frees_it(two):
    a, b = two
    ids = await _owe(a, "team:3", 2)
    await a.outbox.lease_due("a", NOW, NOW + 30, 1)
    await a.outbox.renew("a", ids[:1], NOW + 120)
    assert await b.outbox.lease_due("b", NOW + 60, NOW + 120, 100) == []
    await a.outbox.release("a")
    assert [w.id for w in await b.outbox.lease_due("b", NOW + 60, NOW + 120, 100)] == ids


async def test_two_processes_leasing_at_once_never_share_a_lane(two):
    a, b = two
    for lane in range(20):
        await _owe(a, f"team:{lane}", 3)
    got_a, got_b = await asyncio.gather(a.outbox.lease_due("a", NOW, NOW + 60, 100),
                                        b.outbox.lease_due("b", NOW, NOW + 60, 100))
    lanes_a, lanes_b = {w.lane for w in got_a}, {w.lane for w in got_b}
    assert not lanes_a & lanes_b and len(got_a) + len(got_b) == 60
    for got in (got_a, got_b):  # each lane whole, in order
        for lane in {w.lane for w in got}:
            assert [w.payload["n"] for w in got if w.lane == lane] == [0, 1, 2]


async def test_two_processes_changing_one_record_keep_every_change(two):
    a, b = two
    await asyncio.gather(*(journal.state.update("webchat:site", "v-1", lambda s: {**s, "n": s.get("n", 0) + 1})
                           for journal in (a, b) for _ in range(15)),
                         b.state.update("webchat:site", "v-1", lambda s: {**s, "revoked": True}))
    assert await a.state.get("webchat:site", "v-1") == {"n": 30, "revoked": True}


async def test_work_born_held_elsewhere_in_a_held_lane_waits_for_the_lanes_holder(two):
    a, b = two
    first = await _owe(a, "team:9")
    await a.outbox.lease_due("a", NOW, NOW + 60, 100)
    mine = await b.conversations.commit(UnitOfWork(work=[NewWork("team.post", {"n": 1}, lane="team:9")],
                                                   lease=("b", NOW + 1, NOW + 61)))
    assert [w.held for w in mine.work] == [False]  # "b" must not run it: "a" holds the lane
    owned = await b.conversations.commit(UnitOfWork(work=[NewWork("team.post", lane="team:10")],
                                                    lease=("b", NOW + 1, NOW + 61)))
    assert [w.held for w in owned.work] == [True]
    assert await b.outbox.lease_due("b", NOW + 2, NOW + 62, 100) == []
    assert [w.id for w in await a.outbox.lease_due("a", NOW + 2, NOW + 62, 100)] == [mine.work[0].id]
    assert first


async def test_processes_starting_at_once_on_a_new_database_create_the_tables_once(pg_database):
    fresh = f"{pg_database}_new"
    name = fresh.rsplit("/", 1)[1]
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        opened = await asyncio.gather(*(asyncio.to_thread(open_journal, fresh) for _ in range(4)))
        for journal in opened:
            assert await journal.writable()
            await asyncio.to_thread(journal.close)
        with psycopg.connect(fresh) as db:
            assert db.execute("SELECT name, version FROM schema_versions").fetchall() == [("journal", VERSION)]
        again = await asyncio.to_thread(open_journal, fresh)  # a restart: nothing to do, nothing lost
        assert await again.config.lines() == []
        await asyncio.to_thread(again.close)
    finally:
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
