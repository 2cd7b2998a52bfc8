"""The journal's worker threads on PostgreSQL: group commit in few round trips, reads without a transaction.

Every statement is a round trip to the server, so a batch runs plainly, as
on SQLite: BEGIN, the operations, COMMIT. Only a batch where an operation
failed is rolled back and run again with a savepoint per operation (one
statement closes an operation's savepoint and opens the next), so that the
failure undoes that operation alone. Reads run in autocommit, one statement
each: under READ COMMITTED a transaction around them would add two round trips
and no consistency.

A deadlock (two transactions locking the same rows in opposite orders, from
two processes or two writers of one) undoes the whole batch, which then runs
again: the locks its earlier operations took are what the other transaction
waits for, so rerunning only the failed operation would meet the same cycle.
The operations are pure functions of the database and nobody has heard back.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Any

from journal_store.pg_connect import PgConnection, Retryable
from journal_store.sqlite_worker import SqliteWorker, _Item, _resolve, _rollback

log = logging.getLogger(__name__)
ATTEMPTS = 5  # a deadlock again and again is reported, not looped on


class PgWorker(SqliteWorker):
    def _run_batch(self, conn: Any, batch: list[_Item]) -> None:
        if conn.raw.closed or conn.raw.broken:  # the server restarted: a new session, the batch runs there
            conn.reconnect()
        outcomes = _write(conn, batch) if self._write else [_read(conn, op) for op, _future, _loop in batch]
        _resolve(batch, outcomes)


def _read(conn: PgConnection, op: Any) -> tuple[bool, Any]:
    try:
        return True, op(conn)
    except Exception as exc:
        return False, exc


def _write(conn: PgConnection, batch: list[_Item]) -> list[tuple[bool, Any]]:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _together(conn, batch) or _transaction(conn, batch)
        except Retryable as exc:
            _rollback(conn)  # type: ignore[arg-type]
            if attempt == ATTEMPTS:
                log.error("journal commit failed: %s, %d times", exc, attempt)
                return [(False, exc)] * len(batch)
            time.sleep(random.uniform(0, 0.01 * attempt))  # the other transaction goes first
        except Exception as exc:  # the commit failed: nothing of the batch is stored
            log.error("journal commit failed: %s", type(exc).__name__)
            _rollback(conn)  # type: ignore[arg-type]
            return [(False, exc)] * len(batch)
    raise AssertionError("unreachable")


def _together(conn: PgConnection, batch: list[_Item]) -> list[tuple[bool, Any]] | None:
    """The batch without savepoints, or None, rolled back, when one of several operations failed:
    running them again is safe (functions of the database, nobody has heard back)."""
    conn.execute("BEGIN")
    outcomes: list[tuple[bool, Any]] = []
    for op, _future, _loop in batch:
        try:
            outcomes.append((True, op(conn)))  # type: ignore[arg-type]
        except Retryable:
            raise
        except Exception as exc:
            conn.execute("ROLLBACK")
            return [(False, exc)] if len(batch) == 1 else None
    conn.execute("COMMIT")
    return outcomes


def _transaction(conn: PgConnection, batch: list[_Item]) -> list[tuple[bool, Any]]:
    conn.execute("BEGIN; SAVEPOINT op")
    outcomes: list[tuple[bool, Any]] = []
    for i, (op, _future, _loop) in enumerate(batch):
        if i:  # a savepoint per operation: one failing operation must not undo the others
            conn.execute("RELEASE op; SAVEPOINT op")
        try:
            outcomes.append((True, op(conn)))  # type: ignore[arg-type]
        except Retryable:
            raise
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            outcomes.append((False, exc))
    conn.execute("COMMIT")
    return outcomes
