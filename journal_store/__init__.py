"""Journal stores behind ``bridge.store.Journal``: SQLite (a file) or PostgreSQL (a URL).

The PostgreSQL names are imported when first asked for (a ``postgresql://`` URL
opened, ``PgJournal``, ``PgListener``…): an install on SQLite never loads psycopg.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from durable.pg import is_postgres
from journal_store.sqlite_config import Sealer
from journal_store.sqlite_journal import SqliteJournal

if TYPE_CHECKING:
    from journal_store.pg_connect import PgConnection, connect as connect_pg, migrate as migrate_pg
    from journal_store.pg_journal import PgJournal
    from journal_store.pg_listen import PgListener
    from journal_store.pg_units import WORK_CHANNEL

__all__ = ["PgConnection", "PgJournal", "PgListener", "Sealer", "SqliteJournal", "WORK_CHANNEL", "connect_pg",
           "is_postgres", "migrate_pg", "open_journal"]

# name -> (module, its name there), imported on first use
_POSTGRES = {"PgConnection": ("pg_connect", "PgConnection"), "connect_pg": ("pg_connect", "connect"),
             "migrate_pg": ("pg_connect", "migrate"), "PgJournal": ("pg_journal", "PgJournal"),
             "PgListener": ("pg_listen", "PgListener"), "WORK_CHANNEL": ("pg_units", "WORK_CHANNEL")}


def __getattr__(name: str) -> Any:
    if name in _POSTGRES:
        module, attribute = _POSTGRES[name]
        return getattr(importlib.import_module(f"journal_store.{module}"), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_journal(url: str, *, sealer: Sealer | None = None,
                 synchronous: str = "FULL") -> "SqliteJournal | PgJournal":
    """``sqlite:///abs/path/journal.sqlite3``, a plain file path, or ``postgresql://…``;
    blocking (call it off the loop)."""
    if is_postgres(url):
        from journal_store.pg_journal import PgJournal
        return PgJournal(url, sealer=sealer).open()
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
    elif "://" in url:
        raise ValueError(f"no journal store for {url.split('://')[0]}:// URLs; use sqlite:///path or postgresql://")
    else:
        path = url
    return SqliteJournal(path, synchronous=synchronous, sealer=sealer).open()
