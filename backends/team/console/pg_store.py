"""The console's store in PostgreSQL: a psycopg connection in sqlite3's shape, tables in the ``console`` schema.

Imported by ``open_store`` for a ``postgresql://`` URL only, so the console on
its SQLite file never loads psycopg.
"""
from __future__ import annotations

import sqlite3
from typing import Any, Iterator, Sequence

import psycopg

from durable.pg import Pool, connect, migrate_pool

PG_SCHEMA = {1: """
CREATE SCHEMA console;
CREATE TABLE console.accounts (login TEXT PRIMARY KEY, name TEXT NOT NULL, hash BYTEA, salt BYTEA,
    must_change INTEGER NOT NULL DEFAULT 1, created DOUBLE PRECISION NOT NULL);
CREATE TABLE console.links (token TEXT PRIMARY KEY, login TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL);
CREATE TABLE console.sessions (token TEXT PRIMARY KEY, login TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
    seen DOUBLE PRECISION NOT NULL, must_change INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sessions_login ON console.sessions (login);
CREATE TABLE console.rooms (name TEXT PRIMARY KEY, topic TEXT NOT NULL DEFAULT '',
    members TEXT NOT NULL DEFAULT '[]', created DOUBLE PRECISION NOT NULL);
CREATE TABLE console.messages (id BIGSERIAL PRIMARY KEY, room TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX messages_room ON console.messages (room, id);
CREATE TABLE console.reads (login TEXT NOT NULL, room TEXT NOT NULL, seen BIGINT NOT NULL,
    PRIMARY KEY (login, room));
CREATE TABLE console.said (login TEXT NOT NULL, client_id TEXT NOT NULL, message BIGINT NOT NULL,
    PRIMARY KEY (login, client_id));
CREATE TABLE console.forgotten (login TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL);
""", 2: """
CREATE TABLE console.unhandled (message BIGINT PRIMARY KEY, login TEXT NOT NULL, client_id TEXT NOT NULL,
    text TEXT NOT NULL);
"""}
SCHEMA = "console"  # the SQLite file's table names, in a schema of their own: the journal has rooms too


class PgStore:
    """A psycopg connection in sqlite3's shape, whose tables are the ``console`` schema's."""

    def __init__(self, url: str) -> None:
        schema = Pool(url, 1)
        try:
            migrate_pool(schema, "console", PG_SCHEMA)
        finally:
            schema.close()
        self._url = url
        self._conn = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        return connect(self._url, options=f"-c search_path={SCHEMA}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "_Cursor":
        if self._conn.broken:
            self._conn = self._connect()  # the server restarted: a new session
        sql = "BEGIN" if sql.lower() == "begin immediate" else sql.replace("?", "%s")
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql.encode(), tuple(params) or None)
        except psycopg.IntegrityError as exc:
            raise sqlite3.IntegrityError(type(exc).__name__) from None  # the text may quote a token's hash
        return _Cursor(cursor)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many rows, as sqlite3's: psycopg pipelines them (one round trip, not one each).
        Inside the caller's transaction: the session is never replaced here, half-way through it."""
        with self._conn.cursor() as cursor:
            try:
                cursor.executemany(sql.replace("?", "%s").encode(), rows)
            except psycopg.IntegrityError as exc:
                raise sqlite3.IntegrityError(type(exc).__name__) from None

    def executescript(self, script: str) -> None:
        """The SQLite schema: PostgreSQL's is made by the migration instead."""

    def __enter__(self) -> "PgStore":
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._conn.execute("ROLLBACK" if exc is not None else "COMMIT")

    def close(self) -> None:
        self._conn.close()


class _Cursor:
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())
