"""PostgreSQL connections for the stores: a DB-API shim, and migrations under an advisory lock.

The journal's operations are plain functions over a connection in sqlite3's
shape (``execute(sql, params)`` with ``?`` placeholders, rows by column name or
index, ``IntegrityError`` on a unique key). ``PgConnection`` gives a psycopg
connection that shape, so one set of SQL runs on both stores. Opening a
connection and migrating are every store's: ``durable.pg``.
"""
from __future__ import annotations

import re
import sqlite3
from typing import Any, Callable, Iterable, Iterator, Sequence

import psycopg
import psycopg.errors

from durable import pg

_PLACEHOLDER = re.compile(r"\?")


class PgRow(dict[str, Any]):
    """A row by column name (a dict) or by position, as sqlite3.Row."""

    def __init__(self, names: Sequence[str], values: Sequence[Any]) -> None:
        super().__init__(zip(names, values))
        self._values = values

    def __getitem__(self, key: Any) -> Any:
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    names = [c.name for c in cursor.description or ()]
    return lambda values: PgRow(names, values)


class PgCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> PgRow | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[PgRow]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """A psycopg connection in sqlite3's shape; errors become sqlite3's, so callers catch one kind."""

    def __init__(self, conn: psycopg.Connection[Any], url: str) -> None:
        self.raw = conn
        self._url = url

    def reconnect(self) -> None:
        self.raw.close()
        self.raw = connect(self._url).raw

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        if sql == "BEGIN IMMEDIATE":  # SQLite's "take the write lock now"; row locks do that here
            sql = "BEGIN"
        cursor = self.raw.cursor(row_factory=_row_factory)
        with _translated():
            cursor.execute(_PLACEHOLDER.sub("%s", sql), tuple(params) if params else None)
        return PgCursor(cursor)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        cursor = self.raw.cursor(row_factory=_row_factory)
        with _translated():
            cursor.executemany(_PLACEHOLDER.sub("%s", sql), [tuple(p) for p in seq])
        return PgCursor(cursor)

    def close(self) -> None:
        self.raw.close()


class Retryable(sqlite3.OperationalError):
    """A deadlock between two transactions: the statement may run again."""


class _translated:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, psycopg.IntegrityError):
            raise sqlite3.IntegrityError(type(exc).__name__) from None  # the text may quote customer data
        if isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
            raise Retryable(f"PostgreSQL: {type(exc).__name__}") from exc
        if isinstance(exc, psycopg.Error):
            raise sqlite3.OperationalError(f"PostgreSQL: {type(exc).__name__}") from exc


def connect(url: str) -> PgConnection:
    """Blocking; autocommit, so transactions are the caller's explicit BEGIN … COMMIT."""
    return PgConnection(pg.connect(url), url)


def migrate(conn: PgConnection, name: str, version: int, steps: dict[int, str]) -> None:
    """Bring ``name``'s tables to ``version`` (see ``durable.pg.migrate``)."""
    pg.migrate(conn.raw, name, {step: sql for step, sql in steps.items() if step <= version})
