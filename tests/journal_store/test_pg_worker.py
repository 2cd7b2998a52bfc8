"""The PostgreSQL writer's group commit: a deadlock between two writers' batches undoes one batch whole and
runs it again, so every operation of both commits; a customer's units always go to one writer."""
from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg

from journal_store.pg_connect import connect
from journal_store.pg_journal import PgWorkers, _customer
from journal_store.pg_worker import PgWorker
from bridge.model import Conversation, ConversationStatus
from bridge.store import UnitOfWork
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)


def _lock(key: str, then: threading.Event | None = None, wait: threading.Event | None = None) -> Any:
    def op(conn: Any) -> str:
        conn.execute("UPDATE meta SET value = value || '+' WHERE key = ?", (key,))
        if then is not None:
            then.set()
        if wait is not None:
            wait.wait(5)  # the other batch has its first row: the next statement closes the cycle
        return key
    return op


async def _batch(worker: PgWorker, *ops: Any) -> list[Any]:
    """Runs ``ops`` as one batch: queued behind a gate operation, so the worker takes them together."""
    gate = threading.Event()
    first = asyncio.ensure_future(worker.run(lambda conn: gate.wait(5)))
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in ops]
    for op, future in zip(ops, futures):
        worker._queue.put((op, future, loop))
    gate.set()
    await first
    return await asyncio.gather(*futures)


async def test_a_deadlock_between_two_batches_reruns_one_and_both_commit(pg_database):
    url = emptied(pg_database)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta (key, value) VALUES ('a', ''), ('b', '')"
                     " ON CONFLICT (key) DO UPDATE SET value = ''")
    a_has, b_has = threading.Event(), threading.Event()
    workers = [PgWorker(url, connect=connect, write=True, name=f"test-pg-w-{i}") for i in range(2)]
    for worker in workers:
        worker.start()
    try:
        results = await asyncio.gather(
            _batch(workers[0], _lock("a", then=a_has, wait=b_has), _lock("b")),
            _batch(workers[1], _lock("b", then=b_has, wait=a_has), _lock("a")))
    finally:
        for worker in workers:
            worker.close()
    assert results == [["a", "b"], ["b", "a"]]
    with psycopg.connect(url, autocommit=True) as conn:
        # Each row changed once per batch: the batch undone by the deadlock left nothing of its first run.
        assert dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('a', 'b')").fetchall()) == \
            {"a": "++", "b": "++"}


def test_a_customers_units_go_to_one_writer_whatever_their_shape():
    first = Conversation("", "support", "webchat:support", "alice", "Alice", ConversationStatus.QUEUED, 0.0)
    later = Conversation("7", "support", "webchat:support", "alice", "Alice", ConversationStatus.ACTIVE, 0.0)
    keys = {_customer(UnitOfWork(conversation=first)), _customer(UnitOfWork(conversation=later)),
            _customer(UnitOfWork(open_as=("7", first.open_key)))}
    assert keys == {first.open_key}
    writers = PgWorkers("postgresql://unused/", connect, count=4, write=True, name="test")
    assert len({id(writers._pick(first.open_key)) for _ in range(10)}) == 1
    assert writers._pick(None) is writers._workers[0]
