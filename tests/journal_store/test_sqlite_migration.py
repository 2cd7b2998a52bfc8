"""A journal written by the walking skeleton (schema 1) opens, converted, with nothing owed lost."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from bridge.model import ConversationStatus, Delivery
from journal_store import open_journal

V1_SCHEMA = (Path(__file__).with_name("v1_schema.sql")).read_text()


def _v1_journal(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO lines VALUES ('support', ?)", (json.dumps({
        "id": "support", "name": "Support", "welcome_text": "Hi!", "closing_text": "Bye!",
        "operators": ["operator"], "enabled": True}),))
    conn.execute("INSERT INTO bindings VALUES ('webchat:support', 'support', ?)", (json.dumps({
        "line_id": "support", "kind": "webchat", "key": "support", "label": "Website chat", "settings": {}}),))
    rows = [  # an answered conversation, fully delivered; a new one with everything still owed
        (1, "v-1", "Ann", "active", "operator", "c-1", None, "done", "done", "none", "webchat:support|v-1"),
        (2, "v-2", "Bob", "queued", None, None, None, "pending", "pending", "none", "webchat:support|v-2"),
    ]
    for cid, ref, name, status, op, contact, closed, room, crm, transcript, key in rows:
        conn.execute("INSERT INTO conversations (id, line_id, binding_id, customer_ref, customer_name, status,"
                     " operator, contact_id, created_at, closed_at, room_state, crm_state, transcript_state,"
                     " open_key) VALUES (?, 'support', 'webchat:support', ?, ?, ?, ?, ?, 1.0, ?, ?, ?, ?, ?)",
                     (cid, ref, name, status, op, contact, closed, room, crm, transcript, key))
    messages = [(1, "inbound", "Ann", "hello", "webchat:support|v-1|c1", "done", "none"),
                (1, "reply", "operator", "hi Ann", None, "none", "done"),
                (2, "inbound", "Bob", "anyone?", "webchat:support|v-2|c9", "pending", "none"),
                (2, "auto", "", "Hi!", None, "pending", "pending")]
    for cid, kind, author, text, key, team, customer in messages:
        conn.execute("INSERT INTO messages (conversation_id, kind, author, text, ts, dedupe_key, to_team,"
                     " to_customer) VALUES (?, ?, ?, ?, 1.0, ?, ?, ?)", (cid, kind, author, text, key, team, customer))
    conn.commit()
    conn.close()


async def test_a_skeleton_journal_is_converted_with_its_owed_work(tmp_path):
    path = tmp_path / "journal.sqlite3"
    _v1_journal(path)
    journal = await asyncio.to_thread(open_journal, str(path))
    try:
        [line] = await journal.config.lines()
        assert (line.settings.welcome_text, line.settings.closing_text, line.operators) == ("Hi!", "Bye!",
                                                                                          ("operator",))
        ann = await journal.conversations.conversation("1")
        assert (ann.owner, ann.status, ann.customer_name, ann.contact_id) == (
            "operator", ConversationStatus.ACTIVE, "Ann", "c-1")
        assert [p.person for p in ann.participants] == ["operator"]
        reply = (await journal.conversations.messages("1"))[1]
        assert reply.delivery is Delivery.SENT
        stored, open_ = await journal.conversations.inbound_state("webchat:support|v-2|c9", "webchat:support|v-2")
        assert stored is not None and open_ is not None and open_.id == "2"

        owed = await journal.outbox.lease_due("me", 10.0, 400.0, 50)
        kinds = sorted((w.kind, w.conversation_id, dict(w.payload).get("announce")) for w in owed)
        assert kinds == [("crm.link", "2", None), ("customer.send", "2", None),
                         ("team.post", "2", None), ("team.post", "2", None),
                         ("team.room", "1", False), ("team.room", "2", True)]
    finally:
        journal.close()
