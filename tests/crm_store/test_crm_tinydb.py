"""TinyDbCrm on disk: reopening the file finds everything; open_crm picks the backend."""
from __future__ import annotations

import json
from pathlib import Path

from bridge.ports import CustomerProfile
from crm_store import MemoryCrm, TinyDbCrm, open_crm


def test_reopen_finds_contact_lead_and_activity(tmp_path: Path) -> None:
    path = tmp_path / "crm.json"
    store = TinyDbCrm(path)
    link = store.link_customer(CustomerProfile("webchat", "v1", "Alice", "a@x.io"), "Website chat")
    activity = store.add_activity(link.contact_id, "transcript", "Chat", "hi", "conversation:c1")
    contact = store.get_contact(link.contact_id)
    store.close()

    reopened = TinyDbCrm(path)
    try:
        assert reopened.find_contact("webchat", "v1") == contact
        assert [lead.id for lead in reopened.leads_of(link.contact_id)] == [link.lead_id]
        assert reopened.activities_of(link.contact_id) == [activity]
        # The key index was rebuilt from the file: a retry stores nothing.
        again = reopened.add_activity(link.contact_id, "transcript", "x", "y", "conversation:c1")
        assert again == activity
        relink = reopened.link_customer(CustomerProfile("webchat", "v1", "Alice"), "Website chat")
        assert (relink.contact_id, relink.is_new) == (link.contact_id, False)
    finally:
        reopened.close()


def test_file_holds_the_three_tables(tmp_path: Path) -> None:
    path = tmp_path / "crm.json"
    store = TinyDbCrm(path)
    link = store.link_customer(CustomerProfile("webchat", "v1", "Alice"), "Website chat")
    store.add_activity(link.contact_id, "transcript", "Chat", "hi", "conversation:c1")
    store.close()
    data = json.loads(path.read_text())
    assert {name: len(rows) for name, rows in data.items()} == {
        "contacts": 1, "leads": 1, "activities": 1,
    }


def test_open_crm_memory_url() -> None:
    store = open_crm("memory:")
    assert isinstance(store, MemoryCrm)


def test_open_crm_path_creates_parent_dirs(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "crm.json"
    store = open_crm(str(path))
    try:
        assert isinstance(store, TinyDbCrm)
        store.create_contact("Alice", None, "webchat", "v1")
    finally:
        store.close()
    assert path.exists()
