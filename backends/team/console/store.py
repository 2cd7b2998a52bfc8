"""Where the console keeps accounts, sessions and rooms: its SQLite file, or PostgreSQL.

``open_store`` gives a connection in sqlite3's shape either way (``execute``
with ``?`` placeholders, tuples back, ``with db:`` commits), so Accounts and
RoomBook keep one set of SQL. Where the two dialects differ the callers ask
``dialect``. The console is the team side, one process per install; its
callers hold their own lock around each call, so one connection serves.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from durable.pg import is_postgres


def open_store(target: str) -> Any:
    """A sqlite3 connection for a path, a ``PgStore`` for a ``postgresql://`` URL."""
    if is_postgres(target):
        from backends.team.console.pg_store import PgStore  # psycopg only for those who use it
        return PgStore(target)
    db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    return db


def dialect(db: Any) -> str:
    return "sqlite" if isinstance(db, sqlite3.Connection) else "postgresql"


def insert_messages(db: Any, frames: list[dict[str, Any]]) -> list[int]:
    """Message frames as rows of ``messages``, in one ``executemany``, each JSON-encoded once; returns
    their ids, ascending in the frames' order. Neither driver returns ids from ``executemany``, so they
    are taken first, inside the caller's write transaction: on SQLite (``begin immediate``) nobody else
    can take the same ones, and max + 1 is how SQLite numbers a row itself; on PostgreSQL they come
    from the table's own sequence, which every other insert draws from too."""
    if dialect(db) == "postgresql":
        rows = db.execute("select nextval(pg_get_serial_sequence('messages', 'id')) from generate_series(1, ?)",
                          (len(frames),)).fetchall()
        ids = sorted(row[0] for row in rows)  # ascending: the order of the posts within a room
    else:
        first = int(db.execute("select coalesce(max(id), 0) + 1 from messages").fetchone()[0])
        ids = list(range(first, first + len(frames)))
    db.executemany("insert into messages(id, room, body) values(?, ?, ?)",
                   [(id_, frame["room"], json.dumps(frame)) for id_, frame in zip(ids, frames)])
    return ids
