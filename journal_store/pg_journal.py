"""The journal on PostgreSQL: the embedded journal's operations over psycopg, in two threads.

One writer connection runs operations in batches (one transaction, a savepoint
each, group commit), one reader connection serves reads: the same design and
the same SQL as SQLite, so both stores keep one contract. Any number of
processes may share the database; the outbox leases lanes whole between them.
"""
from __future__ import annotations

import time
from functools import partial
from typing import Any, cast

from journal_store.pg_connect import PgConnection, Retryable, connect, migrate
from journal_store.pg_outbox import PgOutbox
from journal_store.pg_schema import STEPS, VERSION
from journal_store.pg_units import apply_unit_pg
from journal_store.leases import StoreLeases
from journal_store.sqlite_config import Sealer, SqliteConfig, SqliteState
from journal_store.sqlite_journal import SqliteConversations
from journal_store.sqlite_worker import SqliteWorker


# Connections per process. One writer, as on SQLite: a process's writes commit in the order it makes
# them (the core relies on it, e.g. a reply committed before a due timer is leased); readers side by side.
WRITERS, READERS = 1, 2


class PgWorker(SqliteWorker):
    def _run_batch(self, conn: Any, batch: Any) -> None:
        if conn.raw.closed or conn.raw.broken:  # the server restarted: a new session, the batch runs there
            conn.reconnect()
        super()._run_batch(conn, batch)


class PgWorkers:
    """Several connections, each a worker thread with group commit: PostgreSQL runs their
    transactions side by side (row locks, unique keys and SKIP LOCKED keep them apart)."""

    def __init__(self, url: str, connect: Any, *, count: int, write: bool, name: str) -> None:
        self._workers = [PgWorker(url, connect=connect, write=write, name=f"{name}-{i}") for i in range(count)]
        self._next = 0

    @property
    def alive(self) -> bool:
        return all(w.alive for w in self._workers)

    def start(self) -> None:
        started: list[PgWorker] = []
        try:
            for worker in self._workers:
                worker.start()
                started.append(worker)
        except BaseException:
            for worker in started:
                worker.close()
            raise

    def close(self) -> None:
        for worker in self._workers:
            worker.close()

    async def run(self, op: Any) -> Any:
        self._next = (self._next + 1) % len(self._workers)
        return await self._workers[self._next].run(partial(_retrying, op))


def _retrying(op: Any, conn: Any, attempts: int = 5) -> Any:
    # Transactions side by side can deadlock on rows they both lock: PostgreSQL undoes one
    # statement, and the operation (a pure function of the database) runs again.
    for attempt in range(attempts):
        conn.execute("SAVEPOINT retry")
        try:
            result = op(conn)
        except Retryable:
            conn.execute("ROLLBACK TO retry")
            conn.execute("RELEASE retry")
            if attempt == attempts - 1:
                raise
            continue
        conn.execute("RELEASE retry")
        return result


def _connect_writer(url: str) -> Any:
    conn = connect(url)
    migrate(conn, "journal", VERSION, STEPS)
    return conn


class PgJournal:
    """Implements ``bridge.store.Journal``."""

    def __init__(self, url: str, *, sealer: Sealer | None = None, writers: int = WRITERS,
                 readers: int = READERS) -> None:
        self.url = url
        self._writer = PgWorkers(url, _connect_writer, count=writers, write=True, name="openlines-pg-w")
        self._reader = PgWorkers(url, connect, count=readers, write=False, name="openlines-pg-r")
        self.conversations = SqliteConversations(cast(Any, self._writer), cast(Any, self._reader), apply_unit_pg)
        self.outbox = PgOutbox(self._writer.run, self._reader.run)
        self.config = SqliteConfig(self._writer.run, self._reader.run, sealer or Sealer())
        self.state = SqliteState(self._writer.run, self._reader.run, lock=" FOR UPDATE")
        self.leases = StoreLeases(self._writer.run)

    def open(self) -> "PgJournal":
        """Blocking: create or migrate the tables, then start both threads."""
        self._writer.start()
        try:
            self._reader.start()
        except BaseException:
            self._writer.close()
            raise
        return self

    def close(self) -> None:
        self._reader.close()
        self._writer.close()

    async def writable(self) -> bool:
        if not self._writer.alive:
            return False
        try:
            await self._writer.run(lambda c: c.execute(
                "INSERT INTO meta (key, value) VALUES ('health', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(time.time()),)))
        except Exception:
            return False
        return True


__all__ = ["PgConnection", "PgJournal"]
