"""The journal on PostgreSQL: the embedded journal's operations over psycopg, in two threads.

One writer connection runs operations in batches (one transaction, a savepoint
each, group commit), one reader connection serves reads: the same design and
the same SQL as SQLite, so both stores keep one contract. Any number of
processes may share the database; the outbox leases lanes whole between them.
"""
from __future__ import annotations

import time
from typing import Any, cast

from journal_store.pg_connect import PgConnection, connect, migrate
from journal_store.pg_outbox import PgOutbox
from journal_store.pg_schema import STEPS, VERSION
from journal_store.pg_units import apply_unit_pg
from journal_store.sqlite_config import Sealer, SqliteConfig, SqliteState
from journal_store.sqlite_journal import SqliteConversations
from journal_store.sqlite_worker import SqliteWorker


class PgWorker(SqliteWorker):
    def _run_batch(self, conn: Any, batch: Any) -> None:
        if conn.raw.closed or conn.raw.broken:  # the server restarted: a new session, the batch runs there
            conn.reconnect()
        super()._run_batch(conn, batch)


def _connect_writer(url: str) -> Any:
    conn = connect(url)
    migrate(conn, "journal", VERSION, STEPS)
    return conn


class PgJournal:
    """Implements ``bridge.store.Journal``."""

    def __init__(self, url: str, *, sealer: Sealer | None = None) -> None:
        self.url = url
        self._writer = PgWorker(url, connect=cast(Any, _connect_writer), write=True, name="openlines-pg-w")
        self._reader = PgWorker(url, connect=cast(Any, connect), write=False, name="openlines-pg-r")
        self.conversations = SqliteConversations(self._writer, self._reader, apply_unit_pg)
        self.outbox = PgOutbox(self._writer.run, self._reader.run)
        self.config = SqliteConfig(self._writer.run, self._reader.run, sealer or Sealer())
        self.state = SqliteState(self._writer.run, self._reader.run, lock=" FOR UPDATE")

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
