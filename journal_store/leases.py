"""Leases (``bridge.leases.Leases``) on either store: one conditional upsert each, the same SQL."""
from __future__ import annotations

from typing import Any

from journal_store.sqlite_config import Run

# Taken when the row is new, ran out, or is the owner's already: one statement, so two processes
# trying at once cannot both win (the row's lock, or SQLite's one writer, orders them).
TAKE = ("INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
        " WHERE leases.owner = excluded.owner OR leases.until < ?")


class StoreLeases:
    def __init__(self, write: Run) -> None:
        self._write = write

    async def take(self, name: str, owner: str, now: float, until: float) -> bool:
        def take(conn: Any) -> bool:
            return bool(conn.execute(TAKE, (name, owner, until, now)).rowcount == 1)
        taken: bool = await self._write(take)
        return taken

    async def release(self, name: str, owner: str) -> None:
        await self._write(lambda c: c.execute("UPDATE leases SET until = 0 WHERE name = ? AND owner = ?",
                                              (name, owner)))
