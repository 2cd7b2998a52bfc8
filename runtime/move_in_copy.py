"""The copies ``runtime.move_in`` makes, each into the caller's one transaction (a psycopg cursor).

SQLite tables go over with PostgreSQL's COPY, by the columns both sides have,
ids kept (messages point at conversations, work at both; the files' tokens are
in the messages' URLs), then each identity sequence is moved past the highest
id. Channel secrets stay sealed as they are: the install keeps its key.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from crm_store import CrmStore
from crm_store.pg_store import import_rows

# The journal's tables, parents first; leases and lanes are each process's own, never moved.
JOURNAL = ("meta", "lines", "bindings", "conversations", "messages", "work", "rooms", "customer_state", "audit",
           "kept_events", "kept_kinds")
IDENTITIES = {"conversations": "id", "messages": "seq", "work": "id", "audit": "id", "kept_events": "id"}
CONSOLE = ("accounts", "links", "sessions", "rooms", "messages", "reads", "said", "forgotten", "unhandled")
SKIPPED_META = ("schema", "health")  # this database's own


def read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def copy_table(cur: Any, source: sqlite3.Connection, table: str, schema: str = "public") -> int:
    """Every row of ``table`` (the columns both sides have); how many."""
    if not source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
        return 0
    theirs = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
    ours = {r[0] for r in cur.execute("SELECT column_name FROM information_schema.columns"
                                      " WHERE table_schema = %s AND table_name = %s", (schema, table))}
    columns = [c for c in theirs if c in ours]
    listed = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with cur.copy(f'COPY "{schema}"."{table}" ({listed}) FROM STDIN') as copy:
        for row in source.execute(f'SELECT {listed} FROM "{table}"'):
            copy.write_row(_row(table, columns, row))
            count += 1
    return count


def _row(table: str, columns: list[str], row: sqlite3.Row) -> tuple[Any, ...]:
    values = dict(zip(columns, row))
    if table == "work":  # the old process's leases end with it: the new processes take the work over
        values.update({k: None for k in ("lease_owner", "lease_until") if k in values})
    return tuple(values.values())


def journal(cur: Any, path: Path) -> dict[str, int]:
    source = read_only(path)
    try:
        counts = {table: copy_table(cur, source, table) for table in JOURNAL}
    finally:
        source.close()
    cur.execute("DELETE FROM meta WHERE key = ANY(%s)", (list(SKIPPED_META),))
    for table, column in IDENTITIES.items():
        _past_highest(cur, f"public.{table}", column)
    counts["meta"] = cur.execute("SELECT count(*) FROM meta").fetchone()[0]
    return counts


def console(cur: Any, path: Path) -> dict[str, int]:
    source = read_only(path)
    try:
        counts = {table: copy_table(cur, source, table, "console") for table in CONSOLE}
    finally:
        source.close()
    _past_highest(cur, "console.messages", "id")
    return counts


def _past_highest(cur: Any, table: str, column: str) -> None:
    cur.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({column}), 0) + 1, false)"
                f" FROM {table}", (table, column))


def crm(cur: Any, store: CrmStore, root: Path) -> dict[str, int]:
    """Every contact of the TinyDB CRM at ``root``, with its leads and activities (transcripts)."""
    counts = {"contacts": 0, "leads": 0, "activities": 0}
    batch = []
    for contact_id in _contact_ids(root):
        contact = store.get_contact(contact_id)
        if contact is None:
            continue
        leads, activities = store.leads_of(contact_id), store.activities_of(contact_id)
        batch.append((contact, leads, activities))
        counts["contacts"] += 1
        counts["leads"] += len(leads)
        counts["activities"] += len(activities)
    import_rows(cur, batch)
    return counts


def _contact_ids(root: Path) -> Iterator[str]:
    for path in sorted((root / "contacts").glob("*/*.json")):
        yield path.stem


def files(cur: Any, root: Path) -> dict[str, int]:
    """Every upload of the data dir's file store, under its token (the messages' URLs name it)."""
    counts = {"files": 0, "file_contents": 0}
    for index_path in sorted((root / "index").glob("*/*.json")):
        index = json.loads(index_path.read_bytes())
        digest = index["sha256"]
        blob = root / "blobs" / digest[:2] / digest
        if not blob.is_file():
            continue  # an index whose blob never landed (a crash): the store serves it as not found too
        added = cur.execute("INSERT INTO file_blobs (sha256, data) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (digest, blob.read_bytes()))
        counts["file_contents"] += added.rowcount
        cur.execute("INSERT INTO file_uploads (token, sha256, name, content_type, size) VALUES (%s, %s, %s, %s, %s)",
                    (index_path.stem, digest, index["name"], index["content_type"], index["size"]))
        counts["files"] += 1
    return counts
