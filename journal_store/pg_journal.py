"""The journal on PostgreSQL: the embedded journal's operations over psycopg, in worker threads.

Writer connections run operations in batches (one transaction, a savepoint
each, group commit: see pg_worker), reader connections serve reads: the same
design and the same SQL as SQLite, so both stores keep one contract. Any number of
processes may share the database; the outbox leases lanes whole between them.
"""
from __future__ import annotations

import zlib
from functools import partial
from typing import Any, cast

from bridge.store import Committed, UnitOfWork
from journal_store.pg_connect import PgConnection, connect, migrate
from journal_store.pg_outbox import PgOutbox
from journal_store.pg_schema import STEPS, VERSION
from journal_store.pg_units import apply_unit_pg
from journal_store.leases import StoreLeases
from journal_store.lifecycle import ThreadedJournal
from journal_store.sqlite_config import Sealer, SqliteConfig, SqliteState
from journal_store.sqlite_journal import SqliteConversations
from journal_store.pg_worker import PgWorker


# Connections per process. Each statement waits a round trip, so several writers commit side by side.
# Writer 0 takes every write but a customer's units, which go to the writer of that customer
# (see PgConversations): one customer's units commit in the order they are made, on one connection,
# and two writers of one process never lock one conversation's rows.
WRITERS, READERS = 4, 2


class PgWorkers:
    """Several connections, each a worker thread with group commit: PostgreSQL runs their
    transactions side by side (row locks, unique keys and SKIP LOCKED keep them apart)."""

    def __init__(self, url: str, connect: Any, *, count: int, write: bool, name: str) -> None:
        self._workers = [PgWorker(url, connect=connect, write=write, name=f"{name}-{i}") for i in range(count)]
        self._write = write
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

    async def run(self, op: Any, key: str | None = None) -> Any:
        return await self._pick(key).run(op)

    def _pick(self, key: str | None) -> PgWorker:
        """Writers: the first, or the one ``key`` always goes to. Readers: each in turn."""
        if self._write:
            return self._workers[0 if key is None else zlib.crc32(key.encode()) % len(self._workers)]
        self._next = (self._next + 1) % len(self._workers)
        return self._workers[self._next]


class PgConversations(SqliteConversations):
    """The embedded store's conversations, with each customer's units on that customer's writer."""

    def __init__(self, writer: PgWorkers, reader: PgWorkers) -> None:
        super().__init__(cast(Any, writer), cast(Any, reader), apply_unit_pg)
        self._writers = writer

    async def commit(self, unit: UnitOfWork) -> Committed:
        committed: Committed = await self._writers.run(partial(apply_unit_pg, unit), _customer(unit))
        return committed


def _customer(unit: UnitOfWork) -> str | None:
    if unit.open_as is not None:
        return unit.open_as[1]
    if unit.conversation is not None:
        return unit.conversation.open_key
    return None  # a message without its conversation, an event kept: on writer 0 with the rest


def _connect_writer(url: str) -> Any:
    conn = connect(url)
    migrate(conn, "journal", VERSION, STEPS)
    return conn


class PgJournal(ThreadedJournal):
    """Implements ``bridge.store.Journal``."""

    def __init__(self, url: str, *, sealer: Sealer | None = None, writers: int = WRITERS,
                 readers: int = READERS) -> None:
        self.url = url
        self._writer = PgWorkers(url, _connect_writer, count=writers, write=True, name="openlines-pg-w")
        self._reader = PgWorkers(url, connect, count=readers, write=False, name="openlines-pg-r")
        self.conversations = PgConversations(self._writer, self._reader)
        self.outbox = PgOutbox(self._writer.run, self._reader.run)
        self.config = SqliteConfig(self._writer.run, self._reader.run, sealer or Sealer())
        self.state = SqliteState(self._writer.run, self._reader.run, lock=" FOR UPDATE")
        self.leases = StoreLeases(self._writer.run)

__all__ = ["PgConnection", "PgJournal"]
