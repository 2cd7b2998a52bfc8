"""What every journal does with its two threads, whichever database is behind them."""
from __future__ import annotations

import time
from typing import Any, Protocol, Self


class Threads(Protocol):
    """A journal's writer or reader: one thread (SQLite) or several connections (PostgreSQL)."""

    @property
    def alive(self) -> bool: ...

    def start(self) -> None: ...

    def close(self) -> None: ...

    async def run(self, op: Any) -> Any: ...


class ThreadedJournal:
    """Starts the writer then the reader (the writer creates or migrates the schema), stops both,
    and answers whether the journal takes a write now (the health check)."""

    _writer: Threads
    _reader: Threads

    def open(self) -> Self:
        """Blocking: create or migrate the schema, then start both threads."""
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
