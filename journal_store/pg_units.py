"""A unit of work on PostgreSQL: SQLite's statements, then the lanes of the work born held.

Work born held runs at once in the process that committed it, so that process
must hold the item's whole lane: when another process holds it, the item is
left for that process (in order behind its lane), not run here. Work left for
others is announced on ``WORK_CHANNEL`` in the same transaction (PostgreSQL
delivers it at commit, never before): their outboxes sweep at once instead of
at their next periodic sweep, which stays the net for a lost notification.
Each statement is a round trip, so the checks and the claims are one statement each.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bridge.store import Committed, UnitOfWork
from journal_store.sqlite_units import apply_unit

WORK_CHANNEL = "openlines_work"  # payload: the kinds' prefixes of the work left ("team,timer")


def apply_unit_pg(unit: UnitOfWork, conn: Any) -> Committed:
    # FOR SHARE on the "still open" check (its own read, or the message insert's condition) waits for
    # a close being committed elsewhere, then checks the row as it closed it.
    committed = _claimed(unit, apply_unit(unit, conn, " FOR SHARE"), conn)
    # Due work only: a timer is found by the sweeps' own schedule (each reads the next due time).
    now = unit.lease[1] if unit.lease is not None else float("inf")
    left = sorted({item.kind.split(".")[0] for item in committed.work if not item.held and item.not_before <= now})
    if left:
        conn.execute("SELECT pg_notify(?, ?)", (WORK_CHANNEL, ",".join(left)))
    return committed


def _claimed(unit: UnitOfWork, committed: Committed, conn: Any) -> Committed:
    if unit.lease is None or not any(w.held for w in committed.work):
        return committed
    owner, now, until = unit.lease
    claimed = _claim(conn, sorted({w.lane for w in committed.work if w.held}), owner, now, until)
    work = []
    for item in committed.work:
        if item.held and item.lane not in claimed:
            conn.execute("UPDATE work SET lease_owner = NULL, lease_until = NULL, held = 0 WHERE id = ?", (item.id,))
            item = replace(item, held=False, begun=False)
        work.append(item)
    return replace(committed, work=work)


def _claim(conn: Any, lanes: list[str], owner: str, now: float, until: float) -> set[str]:
    # Sorted: two processes claiming the same new lanes lock them in one order, never in a cycle.
    rows = ", ".join("(?, ?, ?)" for _ in lanes)
    return {r["lane"] for r in conn.execute(
        f"INSERT INTO lanes (lane, owner, until) VALUES {rows} ON CONFLICT (lane) DO UPDATE"
        " SET owner = excluded.owner, until = GREATEST(lanes.until, excluded.until)"
        " WHERE lanes.owner = excluded.owner OR lanes.until < ? RETURNING lane",
        (*(v for lane in lanes for v in (lane, owner, until)), now)).fetchall()}
