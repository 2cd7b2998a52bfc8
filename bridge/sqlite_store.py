"""Journal and LineDirectory over one SQLite file (the embedded default)."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from functools import partial
from typing import Callable

from bridge import sqlite_journal as sql
from bridge.channels import InboundMessage
from bridge.errors import NotFound
from bridge.journal import Accepted, Closed, PendingWork, Replied
from bridge.model import ChannelBinding, Conversation, Delivery, Line, Message, MessageKind
from bridge.sqlite_schema import create_schema
from bridge.sqlite_worker import SqliteWorker


class SqliteJournal:
    def __init__(self, worker: SqliteWorker) -> None:
        self._run = worker.run

    async def accept_inbound(
        self, binding: ChannelBinding, inbound: InboundMessage, *, welcome: str, now: float
    ) -> Accepted:
        return await self._run(partial(sql.accept_inbound, binding, inbound, welcome, now))

    async def add_message(
        self, conversation_id: str, kind: MessageKind, author: str, text: str, *, now: float
    ) -> Message:
        return await self._run(partial(sql.add_message, conversation_id, kind, author, text, now))

    async def add_reply(
        self, conversation_id: str, operator: str, text: str, *, now: float,
        check: Callable[[Conversation], None],
    ) -> Replied:
        return await self._run(partial(sql.add_reply, conversation_id, operator, text, now, check))

    async def claim(self, conversation_id: str, operator: str) -> tuple[Conversation, bool]:
        return await self._run(partial(sql.claim, conversation_id, operator))

    async def close(self, conversation_id: str, *, reason: str, closing_text: str, now: float) -> Closed:
        return await self._run(partial(sql.close, conversation_id, reason, closing_text, now))

    async def get_conversation(self, conversation_id: str) -> Conversation:
        return await self._run(lambda conn: sql.conversation_by_id(conn, conversation_id))

    async def open_conversation_of(self, binding_id: str, customer_ref: str) -> Conversation | None:
        def op(conn: sqlite3.Connection) -> Conversation | None:
            row = conn.execute("SELECT * FROM conversations WHERE open_key = ?",
                               (f"{binding_id}|{customer_ref}",)).fetchone()
            return sql.conversation_from(row) if row else None

        return await self._run(op)

    async def customer_history(
        self, binding_id: str, customer_ref: str, after_seq: int, limit: int
    ) -> list[Message]:
        return await self._run(partial(sql.customer_history, binding_id, customer_ref, after_seq, limit))

    async def transcript(self, conversation_id: str) -> list[Message]:
        def op(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq",
                                (sql.int_id(conversation_id),))
            return [sql.message_from(r) for r in rows]

        return await self._run(op)

    async def mark_team(self, seqs: list[int], state: Delivery, error: str | None = None) -> None:
        await self._run(lambda conn: conn.executemany(
            "UPDATE messages SET to_team = ?, error = COALESCE(?, error) WHERE seq = ?",
            [(state.value, error, seq) for seq in seqs]))

    async def mark_customer(self, seq: int, state: Delivery, *, attempts: int, error: str | None = None) -> None:
        await self._run(lambda conn: conn.execute(
            "UPDATE messages SET to_customer = ?, attempts = ?, error = ? WHERE seq = ?",
            (state.value, attempts, error, seq)))

    async def mark_room_ready(self, conversation_id: str) -> None:
        await self._set_state(conversation_id, "room_state = 'done'")

    async def mark_crm_linked(self, conversation_id: str, contact_id: str) -> None:
        await self._set_state(conversation_id, "crm_state = 'done', contact_id = ?", contact_id)

    async def mark_transcript_attached(self, conversation_id: str) -> None:
        await self._set_state(conversation_id, "transcript_state = 'done'")

    async def _set_state(self, conversation_id: str, assignment: str, *values: object) -> None:
        query = f"UPDATE conversations SET {assignment} WHERE id = ?"
        await self._run(lambda conn: conn.execute(query, (*values, sql.int_id(conversation_id))))

    async def pending_work(self) -> PendingWork:
        return await self._run(sql.pending_work)


class SqliteLines:
    def __init__(self, worker: SqliteWorker) -> None:
        self._run = worker.run

    async def lines(self) -> list[Line]:
        rows = await self._run(lambda conn: conn.execute("SELECT doc FROM lines ORDER BY id").fetchall())
        return [_line_from(r["doc"]) for r in rows]

    async def line(self, line_id: str) -> Line:
        row = await self._run(lambda conn: conn.execute(
            "SELECT doc FROM lines WHERE id = ?", (line_id,)).fetchone())
        if row is None:
            raise NotFound(f"no line {line_id}")
        return _line_from(row["doc"])

    async def save_line(self, line: Line) -> None:
        doc = json.dumps(asdict(line))
        await self._run(lambda conn: conn.execute(
            "INSERT INTO lines (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            (line.id, doc)))

    async def bindings(self) -> list[ChannelBinding]:
        rows = await self._run(lambda conn: conn.execute("SELECT doc FROM bindings ORDER BY id").fetchall())
        return [ChannelBinding(**json.loads(r["doc"])) for r in rows]

    async def save_binding(self, binding: ChannelBinding) -> None:
        doc = json.dumps({**asdict(binding), "settings": dict(binding.settings)})
        await self._run(lambda conn: conn.execute(
            "INSERT INTO bindings (id, line_id, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET line_id = excluded.line_id, doc = excluded.doc",
            (binding.id, binding.line_id, doc)))


def _line_from(doc: str) -> Line:
    data = json.loads(doc)
    data["operators"] = tuple(data.get("operators", ()))
    return Line(**data)


def open_sqlite(path: str, *, synchronous: str = "FULL") -> tuple[SqliteWorker, SqliteJournal, SqliteLines]:
    """Open (creating if needed) the journal file; the caller closes the worker."""
    worker = SqliteWorker(path, init=create_schema, synchronous=synchronous)
    worker.start()
    return worker, SqliteJournal(worker), SqliteLines(worker)
