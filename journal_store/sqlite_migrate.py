"""Bring a journal written by the walking skeleton (schema 1) up to schema 2.

Schema 1 kept owed side effects as columns (room_state, to_team...); they
become outbox items in the lanes the core uses, so nothing owed is lost.
"""
from __future__ import annotations

import json
import sqlite3
import time

from bridge.work_kinds import Work, conversation_lane

OLD_INDEXES = ("conversations_by_customer", "messages_by_conversation", "messages_team_pending",
               "messages_customer_pending", "conversations_owed")


def migrate_from_v1(conn: sqlite3.Connection, schema: str) -> None:
    for index in OLD_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    conn.execute("ALTER TABLE conversations RENAME TO v1_conversations")
    conn.execute("ALTER TABLE messages RENAME TO v1_messages")
    conn.execute("ALTER TABLE bindings ADD COLUMN secrets TEXT NOT NULL DEFAULT ''")
    for statement in statements(schema):
        conn.execute(statement)
    _copy_conversations(conn)
    _copy_messages(conn)
    _owed_work(conn)
    conn.execute("DROP TABLE v1_messages")
    conn.execute("DROP TABLE v1_conversations")


def statements(script: str) -> list[str]:
    # executescript() would COMMIT first: run each statement inside the caller's transaction.
    lines = [line.split("--")[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _copy_conversations(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO conversations (id, line_id, binding_id, customer_ref, status, owner, created_at,"
        " closed_at, open_key, version, doc)"
        " SELECT id, line_id, binding_id, customer_ref, status, operator, created_at, closed_at, open_key, 1,"
        " json_object('customer_name', customer_name, 'customer_email', customer_email,"
        "  'contact_id', contact_id, 'close_reason', close_reason,"
        "  'participants', CASE WHEN operator IS NULL THEN json('[]') ELSE"
        "   json_array(json_object('person', operator, 'role', 'owner', 'since_seq', 0)) END)"
        " FROM v1_conversations")


def _copy_messages(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO messages (seq, conversation_id, kind, author, text, ts, dedupe_key, external_id,"
        " delivery, error, doc)"
        " SELECT seq, conversation_id, kind, author, text, ts, dedupe_key, NULL,"
        " CASE to_customer WHEN 'done' THEN 'sent' ELSE to_customer END, error, '{}'"
        " FROM v1_messages")


def _owed_work(conn: sqlite3.Connection) -> None:
    now = time.time()

    def owe(kind: Work, cid: int, payload: dict[str, object]) -> None:
        conn.execute("INSERT INTO work (kind, lane, conversation_id, payload, not_before, state, created_at)"
                     " VALUES (?, ?, ?, ?, 0, 'pending', ?)",
                     (kind.value, conversation_lane(kind, str(cid)), cid, json.dumps(payload), now))

    conversations = conn.execute(
        "SELECT id, status, room_state, crm_state, transcript_state FROM v1_conversations ORDER BY id").fetchall()
    for cid, status, room, crm, transcript in conversations:
        if status != "closed" or room == "pending":  # rooms are mapped anew, by their identity
            owe(Work.TEAM_ROOM, cid, {"announce": room == "pending"})
        if crm == "pending":
            owe(Work.CRM_LINK, cid, {})
        if transcript == "pending":
            owe(Work.CRM_TRANSCRIPT, cid, {})
    for seq, cid in conn.execute("SELECT seq, conversation_id FROM v1_messages WHERE to_team = 'pending'"
                                 " ORDER BY seq").fetchall():
        owe(Work.TEAM_POST, cid, {"seq": seq})
    for seq, cid in conn.execute("SELECT seq, conversation_id FROM v1_messages WHERE to_customer = 'pending'"
                                 " ORDER BY seq").fetchall():
        owe(Work.CUSTOMER_SEND, cid, {"seq": seq})
