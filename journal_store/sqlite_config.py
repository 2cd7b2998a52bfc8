"""Lines, channel bindings (secrets sealed), per-customer channel state, the audit log."""
from __future__ import annotations

import copy
import json
import sqlite3
from functools import partial
from typing import Any, Awaitable, Callable

from bridge.model import ChannelBinding, Line
from journal_store.rows import binding_doc, binding_from, line_doc, line_from

Run = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]
# Every change of a line or binding bumps this counter in its own transaction: each process polls the one
# row (``version``) and reloads when it moved, so a change made anywhere is live everywhere.
BUMP = ("INSERT INTO meta (key, value) VALUES ('config', '1')"
        " ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")


def _bumped(sql: str, params: tuple[Any, ...]) -> Callable[[Any], None]:
    def change(conn: Any) -> None:
        conn.execute(sql, params)
        conn.execute(BUMP)
    return change


class Sealer:
    """Turns a binding's secrets into the text stored, and back (the default seals nothing)."""

    def seal(self, secrets: dict[str, str]) -> str:
        return json.dumps(secrets) if secrets else ""

    def unseal(self, sealed: str) -> dict[str, str]:
        return json.loads(sealed) if sealed else {}


class SqliteConfig:
    def __init__(self, write: Run, read: Run, sealer: Sealer) -> None:
        self._write, self._read, self._sealer = write, read, sealer

    async def lines(self) -> list[Line]:
        rows = await self._read(lambda c: c.execute("SELECT doc FROM lines ORDER BY id").fetchall())
        return [line_from(r["doc"]) for r in rows]

    async def save_line(self, line: Line) -> None:
        doc = line_doc(line)
        await self._write(_bumped(
            "INSERT INTO lines (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            (line.id, doc)))

    async def bindings(self) -> list[ChannelBinding]:
        rows = await self._read(lambda c: c.execute("SELECT doc, secrets FROM bindings ORDER BY id").fetchall())
        return [binding_from(r["doc"], self._sealer.unseal(r["secrets"])) for r in rows]

    async def save_binding(self, binding: ChannelBinding) -> None:
        doc, sealed = binding_doc(binding), self._sealer.seal(dict(binding.secrets))
        await self._write(_bumped(
            "INSERT INTO bindings (id, line_id, doc, secrets) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
            " SET line_id = excluded.line_id, doc = excluded.doc, secrets = excluded.secrets",
            (binding.id, binding.line_id, doc, sealed)))

    async def delete_binding(self, binding_id: str) -> None:
        await self._write(_bumped("DELETE FROM bindings WHERE id = ?", (binding_id,)))

    async def version(self) -> int:
        row = await self._read(lambda c: c.execute("SELECT value FROM meta WHERE key = 'config'").fetchone())
        return int(row["value"]) if row else 0

    async def audit(self, ts: float, actor: str, line_id: str | None, action: str, detail: str) -> None:
        await self._write(lambda c: c.execute(
            "INSERT INTO audit (ts, actor, line_id, action, detail) VALUES (?, ?, ?, ?, ?)",
            (ts, actor, line_id, action, detail)))

    async def audit_entries(self, line_id: str | None, limit: int) -> list[dict[str, Any]]:
        where, args = ("WHERE line_id = ?", (line_id,)) if line_id else ("", ())
        rows = await self._read(lambda c: c.execute(
            f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall())
        return [dict(r) for r in reversed(rows)]


class SqliteState:
    """``lock`` is what a read-for-update adds to its SELECT (`` FOR UPDATE`` on PostgreSQL; SQLite's one
    writer already serialises every change)."""

    def __init__(self, write: Run, read: Run, lock: str = "") -> None:
        self._write, self._read, self._lock = write, read, lock

    async def get(self, binding_id: str, customer_ref: str) -> dict[str, Any]:
        row = await self._read(lambda c: c.execute(
            "SELECT doc FROM customer_state WHERE binding_id = ? AND customer_ref = ?",
            (binding_id, customer_ref)).fetchone())
        return json.loads(row["doc"]) if row else {}

    async def put(self, binding_id: str, customer_ref: str, data: dict[str, Any]) -> None:
        doc = json.dumps(data)
        await self._write(lambda c: c.execute(
            "INSERT INTO customer_state (binding_id, customer_ref, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (binding_id, customer_ref) DO UPDATE SET doc = excluded.doc",
            (binding_id, customer_ref, doc)))

    async def update(self, binding_id: str, customer_ref: str,
                     change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        after: dict[str, Any] = await self._write(partial(_update, self._lock, binding_id, customer_ref, change))
        return after


def _update(lock: str, binding_id: str, customer_ref: str, change: Callable[[dict[str, Any]], dict[str, Any]],
            conn: Any) -> dict[str, Any]:
    key = (binding_id, customer_ref)
    while True:
        row = conn.execute("SELECT doc FROM customer_state WHERE binding_id = ? AND customer_ref = ?" + lock,
                           key).fetchone()
        before = json.loads(row["doc"]) if row else {}
        after = change(copy.deepcopy(before))
        if after == before:
            return after
        doc = json.dumps(after)
        if row is not None:
            conn.execute("UPDATE customer_state SET doc = ? WHERE binding_id = ? AND customer_ref = ?", (doc, *key))
            return after
        inserted = conn.execute("INSERT INTO customer_state (binding_id, customer_ref, doc) VALUES (?, ?, ?)"
                                " ON CONFLICT (binding_id, customer_ref) DO NOTHING", (*key, doc))
        if inserted.rowcount == 1:
            return after
        # Another process created the record meanwhile (PostgreSQL): apply the change to theirs.
