"""A unit of work applied to SQLite rows, in one savepoint of the writer's transaction."""
from __future__ import annotations

import json
import sqlite3

from bridge.errors import Conflict, NotFound
from bridge.model import Conversation, Message
from bridge.store import Committed, KeptEvent, NewMessage, NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import timer_key
from journal_store.rows import conversation_doc, conversation_from, message_doc, message_from, work_from


def apply_unit(unit: UnitOfWork, conn: sqlite3.Connection) -> Committed:
    if unit.kept is not None:
        _keep(conn, unit.kept)
    if unit.open_as is not None:
        _still_open(conn, *unit.open_as)
    conversation = unit.conversation
    if conversation is not None:
        conversation = _insert(conn, conversation) if not conversation.id else _update(conn, conversation)
    if unit.quiet_after is not None:  # after the conversation's row is locked by its update (PostgreSQL)
        _still_quiet(conn, *unit.quiet_after)
    cid = conversation.id if conversation is not None else None
    messages = [message_from(_insert_message(conn, m, m.conversation_id or cid)) for m in unit.messages]
    for update in unit.updates:
        conn.execute("UPDATE messages SET delivery = ?, external_id = COALESCE(?, external_id), error = ?"
                     " WHERE seq = ?", (update.delivery.value, update.external_id, update.error, update.seq))
    for kind, conversation_id in unit.cancel:
        conn.execute("DELETE FROM work WHERE unique_key = ? AND state = 'pending'", (timer_key(kind, conversation_id),))
    about = [None if w.message is None else messages[unit.position(w.message)] for w in unit.work]
    work = [_insert_work(conn, w, _work_conversation(w, message, cid), message,
                         None if w.kind.startswith(unit.leave) else unit.lease, unit.begun)
            for w, message in zip(unit.work, about)]
    if unit.finished:
        # One statement for a round's finished work (a team round finishes many rooms' posts at once).
        for i in range(0, len(unit.finished), 500):
            ids = unit.finished[i:i + 500]
            conn.execute(f"DELETE FROM work WHERE id IN ({','.join('?' * len(ids))})", ids)
    for room in unit.rooms:
        conn.execute("INSERT INTO rooms (key, conversation_id, line_id, name) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET conversation_id = excluded.conversation_id,"
                     " line_id = excluded.line_id, name = excluded.name",
                     (room.key, _int(room.conversation_id), room.line_id, room.name))
    return Committed(conversation, messages, work)


def _keep(conn: sqlite3.Connection, kept: KeptEvent) -> None:
    try:
        conn.execute("INSERT INTO kept_events (binding_id, digest, kind, reason, raw, ts) VALUES (?, ?, ?, ?, ?, ?)",
                     (kept.binding_id, kept.digest, kept.kind, kept.reason, kept.raw, kept.ts))
    except sqlite3.IntegrityError:
        raise Conflict("dedupe") from None
    if kept.first_of_kind:  # the unique key makes "shown once per kind" hold across processes
        try:
            conn.execute("INSERT INTO kept_kinds (binding_id, kind, first_ts) VALUES (?, ?, ?)",
                         (kept.binding_id, kept.kind, kept.ts))
        except sqlite3.IntegrityError:
            raise Conflict("kind") from None


def _still_quiet(conn: sqlite3.Connection, conversation_id: str, seq: int) -> None:
    if conn.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND kind = 'inbound' AND seq > ? LIMIT 1",
                    (_int(conversation_id), seq)).fetchall():
        raise Conflict("version")


def _still_open(conn: sqlite3.Connection, conversation_id: str, open_key: str) -> None:
    # The caller skipped its read on a cached "this conversation is open";
    # the check happens inside the write so a close in between is never missed.
    found = conn.execute("SELECT 1 FROM conversations WHERE id = ? AND open_key = ?",
                         (_int(conversation_id), open_key)).fetchall()
    if not found:
        raise Conflict("open")


def _work_conversation(w: NewWork, message: Message | None, cid: str | None) -> str | None:
    if w.conversation_id is not None:
        return w.conversation_id
    if message is not None:  # the conversation of the message it is about
        return message.conversation_id
    return cid


def _insert(conn: sqlite3.Connection, c: Conversation) -> Conversation:
    try:
        row = conn.execute(
            "INSERT INTO conversations (line_id, binding_id, customer_ref, status, owner, created_at, closed_at,"
            " open_key, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING *",
            (c.line_id, c.binding_id, c.customer_ref, c.status.value, c.owner, c.created_at, c.closed_at,
             c.open_key if c.is_open else None, conversation_doc(c))).fetchall()
    except sqlite3.IntegrityError:
        raise Conflict("open") from None
    return conversation_from(row[0])


def _update(conn: sqlite3.Connection, c: Conversation) -> Conversation:
    try:
        row = conn.execute(
            "UPDATE conversations SET line_id = ?, status = ?, owner = ?, closed_at = ?, open_key = ?,"
            " version = version + 1, doc = ? WHERE id = ? AND version = ? RETURNING *",
            (c.line_id, c.status.value, c.owner, c.closed_at, c.open_key if c.is_open else None,
             conversation_doc(c), _int(c.id), c.version)).fetchall()
    except sqlite3.IntegrityError:
        raise Conflict("open") from None
    if not row:
        if not conn.execute("SELECT 1 FROM conversations WHERE id = ?", (_int(c.id),)).fetchall():
            raise NotFound(f"no conversation {c.id}")
        raise Conflict("version")
    return conversation_from(row[0])


def _insert_message(conn: sqlite3.Connection, m: NewMessage, cid: str | None) -> sqlite3.Row:
    if cid is None:
        raise ValueError("a message needs a conversation")
    try:
        return conn.execute(
            "INSERT INTO messages (conversation_id, kind, author, text, ts, dedupe_key, external_id, delivery,"
            " error, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) RETURNING *",
            (_int(cid), m.kind.value, m.author, m.text, m.ts, m.dedupe_key, m.external_id, m.delivery.value,
             message_doc(m))).fetchall()[0]
    except sqlite3.IntegrityError:
        raise Conflict("dedupe") from None


def _insert_work(conn: sqlite3.Connection, w: NewWork, cid: str | None, message: Message | None,
                 lease: tuple[str, float, float] | None, begun: bool) -> WorkItem:
    payload = dict(w.payload)
    if message is not None:
        payload["seq"] = message.seq
    unique = timer_key(w.kind, cid) if w.replace else None
    if unique is not None:
        conn.execute("DELETE FROM work WHERE unique_key = ? AND state = 'pending'", (unique,))
    owner, until = (lease[0], lease[2]) if lease is not None and w.not_before <= lease[1] else (None, None)
    created = lease[1] if lease is not None else w.not_before
    row = conn.execute(
        "INSERT INTO work (kind, lane, conversation_id, payload, not_before, lease_owner, lease_until, held,"
        " state, unique_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *",
        (w.kind, w.lane_for(cid), _int(cid), json.dumps(payload), w.not_before, owner, until,
         int(begun and owner is not None), unique, created)).fetchall()[0]
    return work_from(row, begun=begun and owner is not None, held=owner is not None)


def _int(conversation_id: str | None) -> int | None:
    if conversation_id is None:
        return None
    try:
        return int(conversation_id)
    except ValueError:
        raise NotFound(f"no conversation {conversation_id}") from None
