"""The journal's tables, in SQL that PostgreSQL also accepts (but AUTOINCREMENT)."""
from __future__ import annotations

import sqlite3

from journal_store.sqlite_migrate import migrate_from_v1, statements

VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lines (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    id TEXT PRIMARY KEY,
    line_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    secrets TEXT NOT NULL DEFAULT ''  -- sealed by the caller: never stored in clear
);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    line_id TEXT NOT NULL,
    binding_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    created_at REAL NOT NULL,
    closed_at REAL,
    -- binding|customer (or thread) while open, NULL once closed: at most one
    -- open conversation per customer and channel, enforced by the database.
    open_key TEXT UNIQUE,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL  -- everything else about it, as JSON
);
CREATE INDEX IF NOT EXISTS conversations_by_customer ON conversations (binding_id, customer_ref);
CREATE INDEX IF NOT EXISTS conversations_by_line ON conversations (line_id, created_at);
CREATE INDEX IF NOT EXISTS conversations_open ON conversations (id) WHERE open_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    ts REAL NOT NULL,
    dedupe_key TEXT UNIQUE,  -- a redelivery, or a retried operator send, hits it
    external_id TEXT,
    delivery TEXT NOT NULL,
    error TEXT,
    doc TEXT NOT NULL  -- attachments, edits, per-channel extras
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, seq);
-- Looking a platform id up within one conversation reads its messages_by_conversation range; a
-- dedicated index cost a write on every insert and delivery for a lookup nothing makes per message.
DROP INDEX IF EXISTS messages_by_external;
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    lane TEXT NOT NULL,
    conversation_id INTEGER,
    payload TEXT NOT NULL,
    not_before REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until REAL,
    held INTEGER NOT NULL DEFAULT 0,  -- 1 once a handler began it: it may be done already
    state TEXT NOT NULL,  -- pending | dead (done rows are deleted)
    unique_key TEXT,
    error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS work_due ON work (not_before) WHERE state = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS work_unique ON work (unique_key)
    WHERE state = 'pending' AND unique_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS work_dead ON work (id) WHERE state = 'dead';
CREATE TABLE IF NOT EXISTS rooms (
    key TEXT PRIMARY KEY,  -- the team backend's own identity of the room
    conversation_id INTEGER,
    line_id TEXT,
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rooms_by_conversation ON rooms (conversation_id);
CREATE TABLE IF NOT EXISTS customer_state (
    binding_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (binding_id, customer_ref)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    actor TEXT NOT NULL,
    line_id TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_line ON audit (line_id, id);
-- Platform events no channel could read, kept as they came (bounded) rather than dropped.
CREATE TABLE IF NOT EXISTS kept_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    binding_id TEXT NOT NULL,
    digest TEXT NOT NULL,  -- of the raw event: a redelivery is kept once
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    ts REAL NOT NULL,
    UNIQUE (binding_id, digest)
);
CREATE INDEX IF NOT EXISTS kept_events_by_kind ON kept_events (binding_id, kind);
-- One row per kind ever kept: its insert is what shows the kind to the team, once.
CREATE TABLE IF NOT EXISTS kept_kinds (
    binding_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_ts REAL NOT NULL,
    PRIMARY KEY (binding_id, kind)
);
-- Work one process at a time does (a channel's long polling): held by ``owner`` until ``until``.
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL
);
"""


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables, or bring a journal of an older version up to this one."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)
        if version == 1:
            migrate_from_v1(conn, SCHEMA)
        elif version in (0, VERSION):  # IF NOT EXISTS: later tables and indexes appear
            for statement in statements(SCHEMA):
                conn.execute(statement)
        elif version > VERSION:
            raise RuntimeError(f"the journal was written by a newer Open Lines (schema {version})")
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(VERSION),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return int(row[0]) if row else VERSION
    return 1 if "conversations" in tables else 0

