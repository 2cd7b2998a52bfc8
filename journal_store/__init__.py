"""Journal stores behind ``bridge.store.Journal``: SQLite now, others by URL later."""
from __future__ import annotations

from journal_store.sqlite_config import Sealer
from journal_store.sqlite_journal import SqliteJournal

__all__ = ["Sealer", "SqliteJournal", "open_journal"]


def open_journal(url: str, *, sealer: Sealer | None = None, synchronous: str = "FULL") -> SqliteJournal:
    """``sqlite:///abs/path/journal.sqlite3`` or a plain file path; blocking (call it off the loop).

    Other stores (``postgresql://…``) claim their scheme here.
    """
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
    elif "://" in url:
        raise ValueError(f"no journal store for {url.split('://')[0]}:// URLs; use sqlite:///path")
    else:
        path = url
    return SqliteJournal(path, synchronous=synchronous, sealer=sealer).open()
