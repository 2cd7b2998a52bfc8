"""A unit of work applied to SQLite rows, in one savepoint of the writer's transaction.

The writer runs one of these per accepted customer message, so the hot unit costs few statements:
the "still open" check rides on the message's insert, and the new message and work are built from
what was written plus their generated keys (no ``RETURNING *`` read back, no JSON parsed again).
"""
from __future__ import annotations

import sqlite3
from typing import Any

from bridge.errors import Conflict, NotFound
from bridge.model import Conversation, Message
from bridge.store import Committed, KeptEvent, NewMessage, NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import conversation_lane, timer_key
from journal_store.rows import conversation_doc, conversation_from, dumps, message_doc, message_stored, payload_stored

_MESSAGE = ("INSERT INTO messages (conversation_id, kind, author, text, ts, dedupe_key, external_id, delivery,"
            " error, doc) ")
_VALUES = "?, ?, ?, ?, ?, ?, ?, ?, NULL, ?"
_OPEN = "SELECT 1 FROM conversations WHERE id = ? AND open_key = ?"
_MESSAGE_SQL = f"{_MESSAGE}VALUES ({_VALUES})"
_MESSAGE_IF_OPEN = {lock: f"{_MESSAGE}SELECT {_VALUES} WHERE EXISTS ({_OPEN}{lock})" for lock in ("", " FOR SHARE")}
_WORK_SQL = ("INSERT INTO work (kind, lane, conversation_id, payload, not_before, lease_owner, lease_until, held,"
             " state, unique_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)")
# A round's finished ids padded (the last one repeated) to one of a few list sizes: the same few statement
# texts each round, so SQLite's statement cache (and PostgreSQL's prepared statements) hit instead of a
# compile per round for every new count.
_DELETE_SIZES = (8, 32, 128, 500)
_DELETE_SQL = {n: f"DELETE FROM work WHERE id IN ({','.join('?' * n)})" for n in _DELETE_SIZES}


def apply_unit(unit: UnitOfWork, conn: Any, lock: str = "") -> Committed:
    """``lock``: what the "still open" check appends to its read (PostgreSQL: " FOR SHARE", so a close
    being committed elsewhere is waited for, then the row checked as it closed it)."""
    if unit.kept is not None:
        _keep(conn, unit.kept)
    # Alone with no conversation row to write, the check is the message insert's condition: one statement.
    open_as = unit.open_as if unit.conversation is None and unit.messages else None
    if unit.open_as is not None and open_as is None:
        _still_open(conn, *unit.open_as, lock)
    conversation = unit.conversation
    if conversation is not None:
        conversation = _insert(conn, conversation) if not conversation.id else _update(conn, conversation)
    if unit.quiet_after is not None:  # after the conversation's row is locked by its update (PostgreSQL)
        _still_quiet(conn, *unit.quiet_after)
    cid = conversation.id if conversation is not None else None
    native = isinstance(conn, sqlite3.Connection)  # asked once per unit, not per insert
    messages = [_insert_message(conn, m, m.conversation_id or cid, open_as if i == 0 else None, lock, native)
                for i, m in enumerate(unit.messages)]
    for update in unit.updates:
        conn.execute("UPDATE messages SET delivery = ?, external_id = COALESCE(?, external_id), error = ?"
                     " WHERE seq = ?", (update.delivery.value, update.external_id, update.error, update.seq))
    for kind, conversation_id in unit.cancel:
        conn.execute("DELETE FROM work WHERE unique_key = ? AND state = 'pending'", (timer_key(kind, conversation_id),))
    about = [None if w.message is None else messages[unit.position(w.message)] for w in unit.work]
    work = [_insert_work(conn, w, _work_conversation(w, message, cid), message,
                         None if w.kind.startswith(unit.leave) else unit.lease, unit.begun, native)
            for w, message in zip(unit.work, about)]
    if unit.finished:
        # One statement for a round's finished work (a team round finishes many rooms' posts at once).
        for i in range(0, len(unit.finished), 500):
            _delete_work(conn, unit.finished[i:i + 500])
    for room in unit.rooms:
        conn.execute("INSERT INTO rooms (key, conversation_id, line_id, name) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET conversation_id = excluded.conversation_id,"
                     " line_id = excluded.line_id, name = excluded.name",
                     (room.key, _int(room.conversation_id), room.line_id, room.name))
    return Committed(conversation, messages, work)


def _delete_work(conn: Any, ids: list[int]) -> None:
    size = next(n for n in _DELETE_SIZES if n >= len(ids))
    conn.execute(_DELETE_SQL[size], [*ids, *[ids[-1]] * (size - len(ids))])


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


def _still_open(conn: Any, conversation_id: str, open_key: str, lock: str) -> None:
    # The caller skipped its read on a cached "this conversation is open";
    # the check happens inside the write so a close in between is never missed.
    if not conn.execute(_OPEN + lock, (_int(conversation_id), open_key)).fetchall():
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


def _insert_message(conn: Any, m: NewMessage, cid: str | None, open_as: tuple[str, str] | None,
                    lock: str, native: bool) -> Message:
    if cid is None:
        raise ValueError("a message needs a conversation")
    conversation_id, doc = _id(cid), message_doc(m)
    # ``_value_``: the enum's plain attribute (``.value`` is a property, two Python calls per read).
    values: tuple[Any, ...] = (conversation_id, m.kind._value_, m.author, m.text, m.ts, m.dedupe_key,
                               m.external_id, m.delivery._value_, doc)
    if open_as is None:
        sql = _MESSAGE_SQL
    else:  # closed meanwhile: nothing inserted (and no unique key checked: "open" before "dedupe", as before)
        sql = _MESSAGE_IF_OPEN[lock]
        values += (_id(open_as[0]), open_as[1])
    try:
        seq = _inserted(conn, sql, values, "seq", native)
    except sqlite3.IntegrityError:
        raise Conflict("dedupe") from None
    if seq is None:
        raise Conflict("open")
    return message_stored(m, seq, conversation_id, doc)


def _insert_work(conn: Any, w: NewWork, cid: str | None, message: Message | None,
                 lease: tuple[str, float, float] | None, begun: bool, native: bool) -> WorkItem:
    payload = dict(w.payload)
    if message is not None:
        payload["seq"] = message.seq
    unique = timer_key(w.kind, cid) if w.replace else None
    if unique is not None:
        conn.execute("DELETE FROM work WHERE unique_key = ? AND state = 'pending'", (unique,))
    owner, until = (lease[0], lease[2]) if lease is not None and w.not_before <= lease[1] else (None, None)
    created = lease[1] if lease is not None else w.not_before
    conversation_id = None if cid is None else _id(cid)
    lane, text, begun = w.lane or conversation_lane(w.kind, cid), dumps(payload), begun and owner is not None
    work_id = _inserted(conn, _WORK_SQL, (w.kind, lane, conversation_id, text, w.not_before, owner, until,
                                          int(begun), unique, created), "id", native)
    assert work_id is not None  # an insert of VALUES always inserts (or raises)
    # As work_from would read the row back (kind a plain str, attempts 0).
    return WorkItem(id=work_id, kind=str(w.kind), lane=lane,
                    conversation_id=None if conversation_id is None else str(conversation_id),
                    payload=payload_stored(payload, text), not_before=float(w.not_before), attempts=0,
                    begun=begun, held=owner is not None)


def _inserted(conn: Any, sql: str, params: tuple[Any, ...], key: str, native: bool) -> int | None:
    """The generated ``key`` of the row ``sql`` inserted, or None when it inserted none."""
    if native:
        # RETURNING costs SQLite more than the insert itself (a result row, a second step): its own counters.
        cursor = conn.execute(sql, params)
        return cursor.lastrowid if cursor.rowcount == 1 else None
    rows = conn.execute(f"{sql} RETURNING {key}", params).fetchall()
    return int(rows[0][key]) if rows else None


def _int(conversation_id: str | None) -> int | None:
    return None if conversation_id is None else _id(conversation_id)


def _id(conversation_id: str) -> int:
    try:
        return int(conversation_id)
    except ValueError:
        raise NotFound(f"no conversation {conversation_id}") from None
