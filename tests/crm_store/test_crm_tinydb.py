"""TinyDbCrm on disk: the layout, reopening, what a call touches, and open_crm's URLs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.crm_store.crm_support import FileEvents

from bridge.errors import NotFound
from bridge.ports import CustomerProfile
from crm_store import MemoryCrm, TinyDbCrm, open_crm
from crm_store.layout import Layout

ALICE = CustomerProfile("webchat", "v1", "Alice", "a@x.io")


def test_reopen_finds_contact_lead_activity_and_tags(tmp_path: Path) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    link = store.link_customer(ALICE, "Website chat")
    activity = store.add_activity(link.contact_id, "transcript", "Chat", "hi", "conversation:c1")
    store.tag_contact(link.contact_id, "vip")
    contact = store.update_contact(link.contact_id, name="Alice B.")
    store.close()

    reopened = TinyDbCrm(tmp_path / "crm")
    try:
        assert reopened.find_contact("webchat", "v1") == contact
        assert contact.tags == ("vip",) and contact.name == "Alice B."
        assert [lead.id for lead in reopened.leads_of(link.contact_id)] == [link.lead_id]
        assert reopened.activities_of(link.contact_id) == [activity]
        # The key is read back from the contact's file: a retry stores nothing.
        again = reopened.add_activity(link.contact_id, "transcript", "x", "y", "conversation:c1")
        assert again == activity
        relink = reopened.link_customer(CustomerProfile("webchat", "v1", "Alice"), "Website chat")
        assert (relink.contact_id, relink.is_new) == (link.contact_id, False)
    finally:
        reopened.close()


def test_layout_one_file_per_contact_identity_and_transcript(tmp_path: Path) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    link = store.link_customer(ALICE, "Website chat")
    activity = store.add_activity(link.contact_id, "transcript", "Chat", "the body", "conv:c1")
    layout = Layout(tmp_path / "crm")

    tables = json.loads(layout.contact(link.contact_id).read_text())
    assert {name: len(rows) for name, rows in tables.items()} == {
        "contact": 1, "leads": 1, "activities": 1,
    }
    assert "the body" not in layout.contact(link.contact_id).read_text()
    assert layout.transcript(activity.id).read_text() == "the body"
    identity = json.loads(layout.identity("webchat", "v1").read_text())
    assert identity["contact_id"] == link.contact_id


def test_opening_a_filled_store_reads_and_lists_nothing(
    tmp_path: Path, file_events: FileEvents
) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    for n in range(30):
        store.link_customer(CustomerProfile("webchat", f"v{n}"), "Website chat")
    with file_events.recording() as seen:
        TinyDbCrm(tmp_path / "crm").close()
    assert (seen.opened, seen.listed) == ([], [])


def test_lookups_touch_only_their_own_files(tmp_path: Path, file_events: FileEvents) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    links = [store.link_customer(CustomerProfile("webchat", f"v{n}"), "Web") for n in range(30)]
    layout = Layout(tmp_path / "crm")
    contact_id = links[7].contact_id

    with file_events.recording() as seen:
        assert store.find_contact("webchat", "v7") is not None
    assert seen.listed == []
    assert seen.opened == [str(layout.identity("webchat", "v7")), str(layout.contact(contact_id))]

    with file_events.recording() as seen:
        assert store.get_contact(contact_id) is not None
        assert store.find_contact("webchat", "nobody") is None
    assert seen.listed == []
    assert seen.opened == [
        str(layout.contact(contact_id)), str(layout.identity("webchat", "nobody")),
    ]


def test_a_damaged_contact_file_reads_as_unknown_and_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    link = store.link_customer(ALICE, "Website chat")
    path = Layout(tmp_path / "crm").contact(link.contact_id)
    path.write_bytes(b'{"contact": {"1": {"id": "secret na')
    assert store.get_contact(link.contact_id) is None
    assert store.leads_of(link.contact_id) == []
    with pytest.raises(NotFound):
        store.add_activity(link.contact_id, "note", "s", "b", None)
    assert path.read_bytes() == b'{"contact": {"1": {"id": "secret na'
    assert "secret" not in caplog.text and "JSONDecodeError" in caplog.text
    # The identity is not locked out: linking again makes a fresh contact.
    relink = store.link_customer(ALICE, "Website chat")
    assert relink.is_new and relink.contact_id != link.contact_id


def test_ids_that_are_not_file_names_are_unknown(tmp_path: Path) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    assert store.get_contact("../../etc/passwd") is None
    assert store.get_contact("") is None
    assert store.activities_of("a/b") == []


def test_open_crm_memory_url() -> None:
    assert isinstance(open_crm("memory:"), MemoryCrm)


@pytest.mark.parametrize("form", ["dir", "url", "json"])
def test_open_crm_paths_and_urls_land_on_one_store(tmp_path: Path, form: str) -> None:
    root = tmp_path / "data" / "crm"
    first = open_crm(str(root))
    first.create_contact("Alice", None, "webchat", "v1")
    first.close()
    name = {"dir": str(root), "url": f"tinydb://{root}", "json": str(root) + ".json"}[form]
    store = open_crm(name)
    try:
        assert isinstance(store, TinyDbCrm) and store.root == root
        assert store.find_contact("webchat", "v1") is not None
    finally:
        store.close()


def test_open_crm_refuses_unknown_urls(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_crm("mysql://db/crm")
    with pytest.raises(ValueError):
        open_crm("tinydb://relative/dir")
