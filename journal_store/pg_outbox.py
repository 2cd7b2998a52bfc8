"""The outbox on PostgreSQL: lanes are leased whole, so several processes share one journal.

A process takes a lane (a room's posts, a conversation's sends) with ``SELECT …
FOR UPDATE SKIP LOCKED`` and holds it until ``until``: the lane's items run in
order, in that process only. A process that dies lets its lanes expire; the
next sweep elsewhere takes them over, with the items it had begun marked held.
"""
from __future__ import annotations

from typing import Any, Sequence

from bridge.store import WorkItem
from journal_store.pg_units import WORK_CHANNEL
from journal_store.sqlite_outbox import DUE, SqliteOutbox, kinds_left, leased


def _lease_due(owner: str, now: float, until: float, limit: int, leave: tuple[str, ...], conn: Any) -> list[WorkItem]:
    # Kinds another process runs have lanes of their own ("team:…", "dm:…"): skipping their
    # items skips their lanes whole.
    left, params = kinds_left(leave)
    candidates = sorted(r["lane"] for r in conn.execute(
        f"SELECT DISTINCT lane FROM work WHERE {DUE}{left} LIMIT ?", (now, now, *params, limit)).fetchall())
    if not candidates:
        return []
    # Sorted inserts: two processes adding the same new lanes wait in one order, never in a cycle.
    conn.executemany("INSERT INTO lanes (lane, owner, until) VALUES (?, '', 0) ON CONFLICT (lane) DO NOTHING",
                     [(lane,) for lane in candidates])
    marks = ", ".join("?" * len(candidates))
    lanes = [r["lane"] for r in conn.execute(
        f"SELECT lane FROM lanes WHERE lane IN ({marks}) AND (owner = ? OR until < ?)"
        " ORDER BY lane FOR UPDATE SKIP LOCKED", (*candidates, owner, now)).fetchall()]
    if not lanes:
        return []
    marks = ", ".join("?" * len(lanes))
    conn.execute(f"UPDATE lanes SET owner = ?, until = ? WHERE lane IN ({marks})", (owner, until, *lanes))
    rows = conn.execute(f"SELECT * FROM work WHERE {DUE}{left} AND lane IN ({marks}) ORDER BY id LIMIT ?",
                        (now, now, *params, *lanes, limit)).fetchall()
    return leased(conn, owner, until, rows)


class PgOutbox(SqliteOutbox):
    """The SQLite outbox's statements, plus the lane leases (PostgreSQL only: SKIP LOCKED)."""

    _leasing = staticmethod(_lease_due)

    async def renew(self, owner: str, ids: Sequence[int], until: float) -> None:
        await super().renew(owner, ids, until)
        if ids:
            await self._write(lambda c: c.executemany(
                "UPDATE lanes SET until = GREATEST(until, ?) WHERE owner = ?"
                " AND lane = (SELECT lane FROM work WHERE id = ?)", [(until, owner, i) for i in ids]))

    async def reschedule(self, item_id: int, not_before: float, attempts: int, error: str) -> None:
        await super().reschedule(item_id, not_before, attempts, error)
        # The lane stays held over the wait, as the item does: nobody else jumps ahead of it.
        await self._write(lambda c: c.execute(
            "UPDATE lanes SET until = GREATEST(until, ?) WHERE lane = (SELECT lane FROM work WHERE id = ?)",
            (not_before + 300.0, item_id)))

    async def release(self, owner: str) -> None:
        await super().release(owner)
        # A process restarting (after dying) or stopping frees what it held: the others may take it now.
        await self._write(lambda c: (c.execute("UPDATE lanes SET owner = '', until = 0 WHERE owner = ?", (owner,)),
                                     c.execute("SELECT pg_notify(?, '')", (WORK_CHANNEL,))))
