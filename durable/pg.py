"""PostgreSQL for every store: which URLs name it, a small connection pool, versioned schemas.

psycopg 3, blocking: the stores call it from worker threads. psycopg is
imported only when a connection is opened, so ``is_postgres`` and the rest of
an install on the embedded stores never load it (measured: the runtime on
SQLite idles at 54.5 MB RSS without it, 64.6 MB with it).

Each ``Pool`` call borrows one connection for one short transaction (``with
pool.transaction() as cur``), so a store is safe from many threads and many
processes alike: nothing is kept in process memory that another process could
change. ``migrate`` brings a store's tables to their last version under an
advisory lock, so processes starting at once migrate once.
"""
from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    return url.startswith(SCHEMES)


def redacted(url: str) -> str:
    """The URL without its password, for logs and errors."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def connect(url: str, **options: Any) -> "psycopg.Connection[Any]":
    """An autocommit connection: transactions are the caller's. A failure names the server, never its password."""
    import psycopg
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, **options)
    except psycopg.Error as exc:  # the message may quote the URL's password
        raise RuntimeError(f"PostgreSQL does not answer at {redacted(url)}: {type(exc).__name__}") from None


class Pool:
    """Up to ``size`` autocommit connections, opened on demand and reused; a broken one is dropped."""

    def __init__(self, url: str, size: int = 8) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False
        with self.connection():  # fail at start, not at the first customer
            pass

    @contextmanager
    def connection(self) -> Iterator["psycopg.Connection[Any]"]:
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = connect(self.url)
            try:
                yield conn
            finally:
                self._give_back(conn)

    def _give_back(self, conn: "psycopg.Connection[Any]") -> None:
        # Broken, or borrowed by a call that outlived close(): closed now, never left for the collector.
        if self._closed or conn.closed or conn.broken:
            conn.close()
        else:
            self._idle.put(conn)

    @contextmanager
    def transaction(self) -> Iterator["psycopg.Cursor[Any]"]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def lock_key(name: str) -> int:
    """The advisory lock of ``name``'s migrations: the same number in every process."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "big") & 0x7FFFFFFFFFFFFFFF


def migrate(conn: "psycopg.Connection[Any]", name: str, steps: dict[int, str]) -> None:
    """Bring ``name``'s tables to the last of ``steps``, each step committed with its version.

    Several processes may start at once: the advisory lock lets one migrate
    while the others wait, then find the work done. The ``schema_versions``
    table is shared by every store (one row each).
    """
    version, lock = max(steps), lock_key(name)
    conn.execute("SELECT pg_advisory_lock(%s)", (lock,))
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_versions "
                     "(name TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_versions WHERE name = %s", (name,)).fetchone()
        current = int(row[0]) if row else 0
        if current > version:
            raise RuntimeError(f"the {name} tables were written by a newer Open Lines (schema {current})")
        for step in range(current + 1, version + 1):
            with conn.transaction():
                conn.execute(steps[step].encode())  # several statements: the simple query protocol
                conn.execute("INSERT INTO schema_versions (name, version) VALUES (%s, %s) ON CONFLICT (name)"
                             " DO UPDATE SET version = excluded.version", (name, step))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock,))


def migrate_pool(pool: Pool, name: str, steps: dict[int, str]) -> None:
    with pool.connection() as conn:
        migrate(conn, name, steps)
