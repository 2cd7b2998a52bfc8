"""Reads of conversations, messages and rooms: plain queries, each on an index."""
from __future__ import annotations

import sqlite3
from typing import Sequence

from bridge.errors import NotFound
from bridge.model import Conversation, Message, MessageKind
from bridge.store import KeptEvent, RoomEntry
from journal_store.rows import conversation_from, message_from

MAX_SEQ = 2**63 - 1  # SQLite's INTEGER range: seqs may come from a customer's client


def conversation(conversation_id: str, conn: sqlite3.Connection) -> Conversation:
    row = conn.execute("SELECT * FROM conversations WHERE id = ?", (_id(conversation_id),)).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation_from(row)


def inbound_state(dedupe_key: str, open_key: str,
                  conn: sqlite3.Connection) -> tuple[Message | None, Conversation | None]:
    # Most callers want one of the two (typing, receipts, edits pass "" for the other): no query for it.
    message = conn.execute("SELECT * FROM messages WHERE dedupe_key = ?", (dedupe_key,)).fetchone() \
        if dedupe_key else None
    open_row = conn.execute("SELECT * FROM conversations WHERE open_key = ?", (open_key,)).fetchone() \
        if open_key else None
    return (message_from(message) if message else None), (conversation_from(open_row) if open_row else None)


def message(seq: int, conn: sqlite3.Connection) -> Message:
    row = conn.execute("SELECT * FROM messages WHERE seq = ?", (_seq(seq),)).fetchone()
    if row is None:
        raise NotFound(f"no message {seq}")
    return message_from(row)


def messages_by_seq(seqs: Sequence[int], conn: sqlite3.Connection) -> list[Message]:
    wanted = [_seq(s) for s in seqs][:999]  # SQLite's parameter limit; callers ask for a batch
    rows = conn.execute(f"SELECT * FROM messages WHERE seq IN ({', '.join('?' * len(wanted))}) ORDER BY seq",
                        wanted).fetchall() if wanted else []
    return [message_from(r) for r in rows]


def message_by_external(conversation_id: str, external_id: str, conn: sqlite3.Connection) -> Message | None:
    row = conn.execute("SELECT * FROM messages WHERE conversation_id = ? AND external_id = ? ORDER BY seq LIMIT 1",
                       (_id(conversation_id), external_id)).fetchone()
    return message_from(row) if row else None


def messages(where: str, params: tuple[object, ...], after_seq: int, before_seq: int | None, limit: int,
             kinds: frozenset[MessageKind] | None, conn: sqlite3.Connection) -> list[Message]:
    """The newest ``limit`` rows of a range, oldest first; ``where`` is this module's own SQL."""
    query = f"SELECT m.* FROM messages m {where} AND m.seq > ? AND m.seq < ?"
    args: list[object] = [*params, _seq(after_seq), _seq(before_seq if before_seq is not None else MAX_SEQ)]
    if kinds is not None:
        query += f" AND m.kind IN ({', '.join('?' * len(kinds))})"
        args += sorted(k.value for k in kinds)
    rows = conn.execute(query + " ORDER BY m.seq DESC LIMIT ?", (*args, max(0, limit))).fetchall()
    return [message_from(r) for r in reversed(rows)]


IN_CONVERSATION = "WHERE m.conversation_id = ?"
OF_CUSTOMER = ("JOIN conversations c ON m.conversation_id = c.id"
               " WHERE c.binding_id = ? AND c.customer_ref = ?")


def conversations(line_ids: Sequence[str] | None, open_only: bool, since: float | None,
                  customer: tuple[str, str] | None, limit: int, after_id: str | None,
                  conn: sqlite3.Connection) -> list[Conversation]:
    clauses: list[str] = ["1 = 1"]
    args: list[object] = []
    # Paging on (after_id): walk the ids from there; an expression on the column keeps the line index out
    # of the plan, or SQLite would read and sort every row of the window again for each page.
    line, created = ("(line_id || '')", "created_at + 0") if after_id is not None else ("line_id", "created_at")
    if after_id is not None:
        clauses.append("id > ?")
        args.append(_id(after_id))
    if open_only:
        clauses.append("open_key IS NOT NULL")
    if line_ids is not None:
        clauses.append(f"{line} IN ({', '.join('?' * len(line_ids))})")
        args += list(line_ids)
    if since is not None:
        clauses.append(f"{created} >= ?")
        args.append(since)
    if customer is not None:
        clauses.append("binding_id = ? AND customer_ref = ?")
        args += list(customer)
    rows = conn.execute(f"SELECT * FROM conversations WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                        (*args, limit)).fetchall()
    return [conversation_from(r) for r in rows]


def room(key: str, conn: sqlite3.Connection) -> RoomEntry | None:
    row = conn.execute("SELECT * FROM rooms WHERE key = ?", (key,)).fetchone()
    return _room(row) if row else None


def rooms(conn: sqlite3.Connection) -> list[RoomEntry]:
    return [_room(r) for r in conn.execute("SELECT * FROM rooms ORDER BY key")]


def _room(row: sqlite3.Row) -> RoomEntry:
    cid = row["conversation_id"]
    return RoomEntry(key=row["key"], conversation_id=None if cid is None else str(cid),
                     line_id=row["line_id"], name=row["name"])


def _id(conversation_id: str) -> int:
    try:
        return int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound(f"no conversation {conversation_id}") from None


def _seq(seq: int) -> int:
    return max(-1, min(int(seq), MAX_SEQ))


def kept_counts(binding_ids: Sequence[str], conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    wanted = list(binding_ids)[:999]
    if not wanted:
        return {}
    rows = conn.execute(f"SELECT binding_id, kind, COUNT(*) FROM kept_events WHERE binding_id IN"
                        f" ({', '.join('?' * len(wanted))}) GROUP BY binding_id, kind", wanted).fetchall()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def kept_events(binding_ids: Sequence[str], limit: int, conn: sqlite3.Connection) -> list[KeptEvent]:
    wanted = list(binding_ids)[:999]
    if not wanted:
        return []
    rows = conn.execute(f"SELECT binding_id, kind, reason, raw, digest, ts FROM kept_events WHERE binding_id IN"
                        f" ({', '.join('?' * len(wanted))}) ORDER BY id DESC LIMIT ?", [*wanted, limit]).fetchall()
    return [KeptEvent(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in rows]
