"""The outbox's leases over the ``work`` table.

With PostgreSQL, ``lease_due`` becomes one ``UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING *``; here one writer makes it atomic.
"""
from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any, Awaitable, Callable, Sequence

from bridge.store import WorkItem
from bridge.work_kinds import Work
from journal_store.rows import work_from

Run = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]
DUE = "state = 'pending' AND not_before <= ? AND (lease_until IS NULL OR lease_until < ?)"


def kinds_left(leave: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The condition (and its parameters) that skips work of kinds another process runs."""
    patterns = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for p in leave]
    return "".join(" AND kind NOT LIKE ? ESCAPE '\\'" for _ in leave), patterns


def _lease_due(owner: str, now: float, until: float, limit: int, leave: tuple[str, ...],
               conn: sqlite3.Connection) -> list[WorkItem]:
    left, params = kinds_left(leave)
    rows = conn.execute(f"SELECT * FROM work WHERE {DUE}{left} ORDER BY id LIMIT ?",
                        (now, now, *params, limit)).fetchall()
    return leased(conn, owner, until, rows)


def leased(conn: Any, owner: str, until: float, rows: Sequence[Any]) -> list[WorkItem]:
    """The rows, now held by ``owner`` until ``until``, as work items."""
    conn.executemany("UPDATE work SET lease_owner = ?, lease_until = ? WHERE id = ?",
                     [(owner, until, r["id"]) for r in rows])
    return [work_from(r, recovered=bool(r["held"])) for r in rows]


class SqliteOutbox:
    # How due work is taken: item by item here (one writer makes it atomic); lanes whole on PostgreSQL.
    _leasing: Callable[..., list[WorkItem]] = staticmethod(_lease_due)

    def __init__(self, write: Run, read: Run) -> None:
        self._write, self._read = write, read

    async def lease_due(self, owner: str, now: float, until: float, limit: int,
                        leave: tuple[str, ...] = ()) -> list[WorkItem]:
        # A cheap read first: most sweeps find nothing and must not cost a commit.
        if not await self._any_due(now, leave):
            return []
        items: list[WorkItem] = await self._write(partial(self._leasing, owner, now, until, limit, leave))
        return items

    async def _any_due(self, now: float, leave: tuple[str, ...]) -> bool:
        left, params = kinds_left(leave)
        found = await self._read(lambda c: c.execute(f"SELECT 1 FROM work WHERE {DUE}{left} LIMIT 1",
                                                     (now, now, *params)).fetchone())
        return found is not None

    async def started(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        await self._write(lambda c: c.executemany("UPDATE work SET held = 1 WHERE id = ?", [(i,) for i in ids]))

    async def renew(self, owner: str, ids: Sequence[int], until: float) -> None:
        if not ids:
            return
        await self._write(lambda c: c.executemany(
            "UPDATE work SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'pending'",
            [(until, i, owner) for i in ids]))

    async def reschedule(self, item_id: int, not_before: float, attempts: int, error: str) -> None:
        # The holder keeps its lease over the wait: the lane stays blocked in order.
        await self._write(lambda c: c.execute(
            "UPDATE work SET not_before = ?, attempts = ?, error = ?,"
            " lease_until = CASE WHEN lease_until > ? THEN lease_until ELSE ? END WHERE id = ?",
            (not_before, attempts, error, not_before + 300.0, not_before + 300.0, item_id)))

    async def bury(self, item_id: int, attempts: int, error: str) -> None:
        await self._write(lambda c: c.execute(
            "UPDATE work SET state = 'dead', attempts = ?, error = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE id = ?", (attempts, error, item_id)))

    async def release(self, owner: str) -> None:
        await self._write(lambda c: c.execute(
            "UPDATE work SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND state = 'pending'",
            (owner,)))

    async def next_due(self) -> float | None:
        row = await self._read(lambda c: c.execute(
            "SELECT MIN(CASE WHEN lease_until > not_before THEN lease_until ELSE not_before END)"
            " FROM work WHERE state = 'pending'").fetchone())
        return None if row is None or row[0] is None else float(row[0])

    async def dead_count(self) -> int:
        row = await self._read(lambda c: c.execute("SELECT COUNT(*) FROM work WHERE state = 'dead'").fetchone())
        return int(row[0])

    async def customer_backlog(self) -> dict[str, int]:
        """Messages waiting to reach their customers, per channel (binding id): one query, when asked."""
        rows = await self._read(lambda c: c.execute(
            "SELECT c.binding_id, COUNT(*) FROM work w JOIN conversations c ON c.id = w.conversation_id"
            " WHERE w.state = 'pending' AND w.kind = ? GROUP BY c.binding_id", (Work.CUSTOMER_SEND.value,)).fetchall())
        return {str(r[0]): int(r[1]) for r in rows}
