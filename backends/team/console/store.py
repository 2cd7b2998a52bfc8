"""Where the console keeps accounts, sessions and rooms: its SQLite file, or PostgreSQL.

``open_store`` gives a connection in sqlite3's shape either way (``execute``
with ``?`` placeholders, tuples back, ``with db:`` commits), so Accounts and
RoomBook keep one set of SQL. Where the two dialects differ the callers ask
``dialect``. The console is the team side, one process per install; its
callers hold their own lock around each call, so one connection serves.
"""
from __future__ import annotations

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
