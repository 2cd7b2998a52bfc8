"""The embedded journal: SQLite in WAL mode, one writer thread, group commit."""
from __future__ import annotations

import sqlite3
from typing import Callable

from bridge.channels import InboundMessage
from bridge.errors import NotFound, Refused
from bridge.journal import Accepted, Closed, PendingWork, Replied
from bridge.model import (
    ChannelBinding,
    Conversation,
    ConversationStatus,
    Delivery,
    Message,
    MessageKind,
)
from bridge.sqlite_worker import SqliteWorker

PENDING, DONE, NONE = Delivery.PENDING.value, Delivery.DONE.value, Delivery.NONE.value
CUSTOMER_KINDS = ("inbound", "reply", "auto")
MAX_SEQ = 2**63 - 1  # SQLite's INTEGER range


def conversation_from(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=str(row["id"]),
        line_id=row["line_id"],
        binding_id=row["binding_id"],
        customer_ref=row["customer_ref"],
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        status=ConversationStatus(row["status"]),
        operator=row["operator"],
        contact_id=row["contact_id"],
        created_at=row["created_at"],
        closed_at=row["closed_at"],
        close_reason=row["close_reason"],
    )


def message_from(row: sqlite3.Row) -> Message:
    return Message(
        seq=row["seq"],
        conversation_id=str(row["conversation_id"]),
        kind=MessageKind(row["kind"]),
        author=row["author"],
        text=row["text"],
        ts=row["ts"],
        to_team=Delivery(row["to_team"]),
        to_customer=Delivery(row["to_customer"]),
        error=row["error"],
    )


def conversation_by_id(conn: sqlite3.Connection, conversation_id: str) -> Conversation:
    row = conn.execute("SELECT * FROM conversations WHERE id = ?", (int_id(conversation_id),)).fetchone()
    if row is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation_from(row)


def int_id(conversation_id: str) -> int:
    try:
        return int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound(f"no conversation {conversation_id}") from None


def _insert_message(
    conn: sqlite3.Connection, conversation_id: int, kind: MessageKind, author: str, text: str,
    ts: float, *, to_team: str, to_customer: str, dedupe_key: str | None = None,
) -> Message:
    row = conn.execute(
        "INSERT INTO messages (conversation_id, kind, author, text, ts, dedupe_key, to_team, to_customer)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (conversation_id, kind.value, author, text, ts, dedupe_key, to_team, to_customer),
    ).fetchone()
    return message_from(row)


def _open_conversation(
    conn: sqlite3.Connection, binding: ChannelBinding, inbound: InboundMessage, now: float
) -> tuple[Conversation, bool]:
    open_key = f"{binding.id}|{inbound.customer_ref}"
    row = conn.execute("SELECT * FROM conversations WHERE open_key = ?", (open_key,)).fetchone()
    if row is not None:
        return conversation_from(row), False
    row = conn.execute(
        "INSERT INTO conversations (line_id, binding_id, customer_ref, customer_name, customer_email,"
        " status, created_at, room_state, crm_state, transcript_state, open_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (binding.line_id, binding.id, inbound.customer_ref, inbound.customer_name or "Customer",
         inbound.customer_email, ConversationStatus.QUEUED.value, now, PENDING, PENDING, NONE, open_key),
    ).fetchone()
    return conversation_from(row), True


def accept_inbound(
    binding: ChannelBinding, inbound: InboundMessage, welcome: str, now: float, conn: sqlite3.Connection
) -> Accepted:
    dedupe_key = f"{binding.id}|{inbound.customer_ref}|{inbound.external_id}"
    row = conn.execute("SELECT * FROM messages WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
    if row is not None:
        message = message_from(row)
        conversation = conversation_by_id(conn, message.conversation_id)
        return Accepted(conversation, message, created=False, duplicate=True)
    conversation, created = _open_conversation(conn, binding, inbound, now)
    cid = int(conversation.id)
    message = _insert_message(conn, cid, MessageKind.INBOUND, conversation.customer_name, inbound.text,
                              now, to_team=PENDING, to_customer=NONE, dedupe_key=dedupe_key)
    welcome_message = None
    if created and welcome:
        welcome_message = _insert_message(conn, cid, MessageKind.AUTO, "", welcome, now,
                                          to_team=PENDING, to_customer=PENDING)
    return Accepted(conversation, message, created, duplicate=False, welcome=welcome_message)


def add_message(
    conversation_id: str, kind: MessageKind, author: str, text: str, now: float, conn: sqlite3.Connection
) -> Message:
    conversation = conversation_by_id(conn, conversation_id)
    if kind.to_customer and not conversation.is_open:
        raise Refused(f"conversation {conversation_id} is closed")
    # An operator's reply is already in the team room; anything else is posted there too.
    to_team = NONE if kind is MessageKind.REPLY else PENDING
    to_customer = PENDING if kind.to_customer else NONE
    return _insert_message(conn, int(conversation.id), kind, author, text, now,
                           to_team=to_team, to_customer=to_customer)


def claim(conversation_id: str, operator: str, conn: sqlite3.Connection) -> tuple[Conversation, bool]:
    conversation = conversation_by_id(conn, conversation_id)
    if conversation.status is ConversationStatus.CLOSED:
        raise Refused(f"conversation {conversation_id} is closed")
    if conversation.operator == operator:
        return conversation, False
    if conversation.operator is not None:
        raise Refused(f"conversation {conversation_id} is already answered by {conversation.operator}")
    # The WHERE clause makes the claim atomic even across several processes.
    row = conn.execute(
        "UPDATE conversations SET status = ?, operator = ? WHERE id = ? AND (operator IS NULL OR operator = ?)"
        " RETURNING *",
        (ConversationStatus.ACTIVE.value, operator, int(conversation.id), operator),
    ).fetchone()
    if row is None:
        raise Refused(f"conversation {conversation_id} was just taken by someone else")
    return conversation_from(row), True


def add_reply(
    conversation_id: str, operator: str, text: str, now: float,
    check: Callable[[Conversation], None], conn: sqlite3.Connection,
) -> Replied:
    """An operator's reply, claiming a queued conversation on the way: one transaction."""
    conversation = conversation_by_id(conn, conversation_id)
    check(conversation)
    if not conversation.is_open:
        raise Refused(f"conversation {conversation_id} is closed: the customer will not get this")
    notice = None
    if conversation.operator != operator:
        conversation, _ = claim(conversation_id, operator, conn)
        notice = _insert_message(conn, int(conversation.id), MessageKind.NOTICE, "",
                                 f"{operator} answers this conversation.", now,
                                 to_team=PENDING, to_customer=NONE)
    message = _insert_message(conn, int(conversation.id), MessageKind.REPLY, operator, text, now,
                              to_team=NONE, to_customer=PENDING)
    return Replied(conversation, message, notice)


def close(conversation_id: str, reason: str, closing_text: str, now: float, conn: sqlite3.Connection) -> Closed:
    conversation = conversation_by_id(conn, conversation_id)
    if not conversation.is_open:
        raise Refused(f"conversation {conversation_id} is already closed")
    closing = None
    if closing_text:
        closing = _insert_message(conn, int(conversation.id), MessageKind.AUTO, "", closing_text, now,
                                  to_team=PENDING, to_customer=PENDING)
    row = conn.execute(
        "UPDATE conversations SET status = ?, closed_at = ?, close_reason = ?, open_key = NULL,"
        " transcript_state = ? WHERE id = ? RETURNING *",
        (ConversationStatus.CLOSED.value, now, reason, PENDING, int(conversation.id)),
    ).fetchone()
    return Closed(conversation_from(row), closing)


def customer_history(
    binding_id: str, customer_ref: str, after_seq: int, limit: int, conn: sqlite3.Connection
) -> list[Message]:
    rows = conn.execute(
        "SELECT m.* FROM conversations c JOIN messages m ON m.conversation_id = c.id"
        " WHERE c.binding_id = ? AND c.customer_ref = ? AND m.seq > ? AND m.kind IN (?, ?, ?)"
        " ORDER BY m.seq LIMIT ?",
        # after_seq comes from the customer's client: keep it in SQLite's range.
        (binding_id, customer_ref, max(-1, min(after_seq, MAX_SEQ)), *CUSTOMER_KINDS, limit),
    ).fetchall()
    return [message_from(r) for r in rows]


def pending_work(conn: sqlite3.Connection) -> PendingWork:
    work = PendingWork()
    owed = conn.execute(
        "SELECT * FROM conversations WHERE room_state = ? OR crm_state = ? OR transcript_state = ?"
        " ORDER BY id", (PENDING, PENDING, PENDING)).fetchall()
    for row in owed:
        conversation = conversation_from(row)
        if row["room_state"] == PENDING:
            work.rooms.append(conversation)
        if row["crm_state"] == PENDING:
            work.crm.append(conversation)
        if row["transcript_state"] == PENDING:
            work.transcripts.append(conversation)
    select = "SELECT * FROM messages WHERE {} = 'pending' ORDER BY seq"
    work.team = [message_from(r) for r in conn.execute(select.format("to_team"))]
    work.customer = [message_from(r) for r in conn.execute(select.format("to_customer"))]
    return work
