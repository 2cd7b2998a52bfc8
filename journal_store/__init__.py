"""Journal stores behind ``bridge.store.Journal``: SQLite (a file) or PostgreSQL (a URL)."""
from __future__ import annotations

from journal_store.pg_connect import PgConnection, connect as connect_pg, migrate as migrate_pg
from journal_store.pg_journal import PgJournal
from journal_store.pg_listen import PgListener
from journal_store.pg_units import WORK_CHANNEL
from journal_store.sqlite_config import Sealer
from journal_store.sqlite_journal import SqliteJournal

__all__ = ["PgConnection", "PgJournal", "PgListener", "Sealer", "SqliteJournal", "WORK_CHANNEL", "connect_pg",
           "is_postgres", "migrate_pg", "open_journal"]


def is_postgres(url: str) -> bool:
    """A URL of a PostgreSQL database (several processes may share it)."""
    return url.startswith(("postgresql://", "postgres://"))


def open_journal(url: str, *, sealer: Sealer | None = None,
                 synchronous: str = "FULL") -> SqliteJournal | PgJournal:
    """``sqlite:///abs/path/journal.sqlite3``, a plain file path, or ``postgresql://…``;
    blocking (call it off the loop)."""
    if is_postgres(url):
        return PgJournal(url, sealer=sealer).open()
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
    elif "://" in url:
        raise ValueError(f"no journal store for {url.split('://')[0]}:// URLs; use sqlite:///path or postgresql://")
    else:
        path = url
    return SqliteJournal(path, synchronous=synchronous, sealer=sealer).open()

