"""The writer's group commit: each operation stands or falls alone, batched with others or not; the same
contract for the SQLite writer and the PostgreSQL one."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from journal_store import pg_connect
from journal_store.pg_worker import PgWorker
from journal_store.sqlite_worker import SqliteWorker
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("create table if not exists t (v integer not null unique)")
    return conn


def _connect_pg(url: str) -> pg_connect.PgConnection:
    conn = pg_connect.connect(url)
    conn.execute("create table if not exists t (v integer not null unique)")
    return conn


@pytest.fixture(params=("sqlite", "postgresql"))
def writer(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "postgresql":
        url = emptied(request.getfixturevalue("pg_database"))
        worker: SqliteWorker = PgWorker(url, connect=_connect_pg, write=True, name="test-writer")
    else:
        worker = SqliteWorker(str(tmp_path / "w.sqlite3"), connect=_connect, write=True, name="test-writer")
    worker.start()
    yield worker
    worker.close()


def _insert_then_fail(v: int):
    def op(conn: sqlite3.Connection) -> None:
        conn.execute("insert into t values (?)", (v,))
        raise ValueError("halfway")
    return op


def _count(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("select v from t order by v")]


async def test_an_operation_alone_that_fails_halfway_leaves_nothing_and_says_why(writer):
    with pytest.raises(ValueError, match="halfway"):
        await writer.run(_insert_then_fail(1))
    await writer.run(lambda conn: conn.execute("insert into t values (2)"))
    assert await writer.run(_count) == [2]


async def test_in_a_batch_a_failing_operation_undoes_only_itself(writer):
    gate = threading.Event()
    held = asyncio.ensure_future(writer.run(lambda conn: gate.wait(5)))
    await asyncio.sleep(0.05)  # the next three queue behind it: one batch
    ops = [writer.run(lambda conn: conn.execute("insert into t values (1)")), writer.run(_insert_then_fail(2)),
           writer.run(lambda conn: conn.execute("insert into t values (3)"))]
    gate.set()
    results = await asyncio.gather(held, *ops, return_exceptions=True)
    assert isinstance(results[2], ValueError)
    assert await writer.run(_count) == [1, 3]


def _insert_and_count(v: int):
    def op(conn: sqlite3.Connection) -> int:
        conn.execute("insert into t values (?)", (v,))
        return int(conn.execute("select count(*) from t").fetchone()[0])
    return op


async def _batched(writer: SqliteWorker, ops: list) -> list:
    gate = threading.Event()
    held = asyncio.ensure_future(writer.run(lambda conn: gate.wait(5)))
    await asyncio.sleep(0.05)  # the others queue behind it: one batch
    runs = [writer.run(op) for op in ops]
    gate.set()
    return (await asyncio.gather(held, *runs, return_exceptions=True))[1:]


async def test_a_batch_without_failures_commits_each_result_in_order(writer):
    assert await _batched(writer, [_insert_and_count(v) for v in (1, 2, 3)]) == [1, 2, 3]
    assert await writer.run(_count) == [1, 2, 3]


async def test_a_batch_run_again_after_a_failure_answers_as_if_each_had_its_savepoint(writer):
    # Run first without savepoints, the batch is undone at the failure and run again, one savepoint each:
    # the callers hear the second run's answers only, and the failed operation's row is not kept.
    results = await _batched(writer, [_insert_and_count(1), _insert_then_fail(2), _insert_and_count(3),
                                      _insert_and_count(1)])
    assert results[0] == 1 and isinstance(results[1], ValueError) and results[2] == 2
    assert isinstance(results[3], sqlite3.IntegrityError)  # 1 is there once: the first run left nothing
    assert await writer.run(_count) == [1, 3]
