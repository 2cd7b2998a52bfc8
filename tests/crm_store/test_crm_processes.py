"""Two processes on one PostgreSQL CRM: what the file store's per-process locks cannot settle, the database does."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
from tests.crm_store.conftest import crm_emptied

from crm_store import open_crm

ROOT = Path(__file__).resolve().parents[2]
COUNT = 60


def test_two_processes_linking_the_same_customers_make_one_contact_each_and_lose_no_tag(pg_database: str) -> None:
    url = crm_emptied(pg_database)
    writers = [subprocess.Popen([sys.executable, "-m", "tests.crm_store.pg_writer", url, name, str(COUNT)],
                                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for name in ("worker-a", "worker-b")]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.close()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    for writer in writers:
        assert writer.stdout is not None
        writer.stdout.close()

    store = open_crm(url)
    try:
        for n in range(COUNT):
            contact = store.find_contact("webchat", f"v{n}")
            assert contact is not None
            assert sorted(contact.tags) == ["worker-a", "worker-b"]  # both read-then-writes kept
            assert len(store.leads_of(contact.id)) == 1
            assert len(store.activities_of(contact.id)) == 1  # one transcript per conversation key
    finally:
        store.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM crm_contacts").fetchone() == (COUNT,)  # no orphan


def test_bulk_import_is_idempotent_and_keeps_ids_tags_and_bodies(pg_database: str) -> None:
    from crm_store.base import Activity, Contact, Lead
    from crm_store.pg_store import PgCrm

    store = PgCrm(crm_emptied(pg_database))
    try:
        contact = Contact("c1", "Ann", "ann@x.io", (("webchat", "v1"), ("telegram", "42")), 10.0, ("vip",))
        lead = Lead("l1", "c1", "Website chat: Ann", "Website chat", "won", 11.0)
        chat = Activity("a1", "c1", "transcript", "Chat", "hi \udc80", "conversation:1", 12.0)
        for _ in range(2):
            store.import_contacts([(contact, [lead], [chat])])
        assert store.find_contact("telegram", "42") == contact
        assert store.leads_of("c1") == [lead] and store.activities_of("c1") == [chat]
    finally:
        store.close()
