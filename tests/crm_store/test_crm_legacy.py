"""Importing the legacy single-file crm.json: once, idempotently, and never blocking a start."""
from __future__ import annotations

from pathlib import Path

import pytest
from tests.crm_store.crm_support import legacy_tables, write_legacy

from bridge.ports import CustomerProfile
from crm_store import TinyDbCrm, open_crm
from crm_store.legacy import IMPORT_MARKER, import_tables, salvage


def data_dir(tmp_path: Path) -> tuple[Path, Path]:
    """(store directory, legacy file) as the runtime lays them out."""
    return tmp_path / "crm", tmp_path / "crm.json"


def test_legacy_file_is_imported_once_and_renamed(tmp_path: Path) -> None:
    root, legacy = data_dir(tmp_path)
    tables = legacy_tables(contacts=3, activities_each=2)
    write_legacy(legacy, tables)
    store = open_crm(str(root))
    try:
        contact = store.find_contact("webchat", "v1")
        assert contact is not None
        assert (contact.id, contact.name) == ("0" * 15 + "1", "Customer 1")
        assert contact.email == "c1@x.io"
        assert contact.tags == ()
        [lead] = store.leads_of(contact.id)
        assert (lead.id, lead.title) == (tables["leads"]["2"]["id"], "Website chat: Customer 1")
        activities = store.activities_of(contact.id)
        assert [a.body for a in activities] == [tables["activities"][k]["body"] for k in ("3", "4")]
        # Keys came along: a retried attach stores nothing.
        again = store.add_activity(contact.id, "transcript", "s", "b", "conversation:1-0")
        assert again == activities[0]
    finally:
        store.close()
    assert not legacy.exists()
    assert (tmp_path / "crm.json.migrated").exists()
    assert not (root / IMPORT_MARKER).exists()


def test_a_migrated_file_put_back_is_not_imported_over_live_data(tmp_path: Path) -> None:
    root, legacy = data_dir(tmp_path)
    write_legacy(legacy, legacy_tables(contacts=1))
    open_crm(str(root)).close()
    store = TinyDbCrm(root)
    store.link_customer(CustomerProfile("webchat", "new"), "Web")
    write_legacy(legacy, legacy_tables(contacts=3))  # e.g. restored from an old backup
    reopened = open_crm(str(root))
    try:
        assert reopened.find_contact("webchat", "v2") is None
        assert legacy.exists()
    finally:
        reopened.close()


def test_torn_legacy_file_is_set_aside_and_readable_records_imported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, legacy = data_dir(tmp_path)
    raw = write_legacy(tmp_path / "whole.json", legacy_tables(contacts=5))
    torn = raw[: raw.index(b'"Customer 3"')] + b"\0" * 64  # cut inside contact 3, zero-filled
    legacy.write_bytes(torn)
    store = open_crm(str(root))
    try:
        assert [store.find_contact("webchat", f"v{n}") is not None for n in range(5)] == [
            True, True, True, False, False,
        ]
        store.link_customer(CustomerProfile("webchat", "v3"), "Web")  # the store works
    finally:
        store.close()
    [aside] = tmp_path.glob("crm.json.corrupt-*")
    assert aside.read_bytes() == torn
    assert not legacy.exists()
    assert "Customer" not in caplog.text and "damaged" in caplog.text


@pytest.mark.parametrize("content", [b"\xff\xfe garbage", b"[1, 2", b'{"contacts": 7}', b"null"])
def test_unreadable_legacy_file_never_stops_the_start(tmp_path: Path, content: bytes) -> None:
    root, legacy = data_dir(tmp_path)
    legacy.write_bytes(content)
    store = open_crm(str(root))
    try:
        assert store.link_customer(CustomerProfile("webchat", "v1"), "Web").is_new
    finally:
        store.close()
    assert not legacy.exists()
    assert len(list(tmp_path.glob("crm.json.*"))) == 1


def test_an_empty_legacy_file_is_an_empty_crm(tmp_path: Path) -> None:
    root, legacy = data_dir(tmp_path)
    legacy.write_bytes(b"")
    open_crm(str(root)).close()
    assert (tmp_path / "crm.json.migrated").exists()


def test_an_interrupted_import_is_resumed(tmp_path: Path) -> None:
    root, legacy = data_dir(tmp_path)
    tables = legacy_tables(contacts=4)
    write_legacy(legacy, tables)
    # A first run died after importing one contact: the marker is still there.
    partial = {"contacts": {"1": tables["contacts"]["1"]}, "leads": tables["leads"]}
    import_tables(TinyDbCrm(root), partial)
    (root / IMPORT_MARKER).write_bytes(b"")
    store = open_crm(str(root))
    try:
        for n in range(4):
            contact = store.find_contact("webchat", f"v{n}")
            assert contact is not None and len(store.leads_of(contact.id)) == 1
            assert len(store.activities_of(contact.id)) == 2
    finally:
        store.close()
    assert not (root / IMPORT_MARKER).exists()


def test_salvage_stops_at_the_first_damage() -> None:
    text = (
        '{"contacts": {"1": {"id": "a"}, "2": {"id": "b"}}, "leads": {}, '
        '"activities": {"1": {"id'
    )
    assert salvage(text) == {
        "contacts": {"1": {"id": "a"}, "2": {"id": "b"}}, "leads": {}, "activities": {},
    }
    assert salvage("") == {}


def test_a_record_whose_id_cannot_be_a_file_name_is_skipped(tmp_path: Path) -> None:
    root, legacy = data_dir(tmp_path)
    tables = legacy_tables(contacts=2, activities_each=0)
    tables["contacts"]["1"]["id"] = "../../escape"
    write_legacy(legacy, tables)
    store = open_crm(str(root))
    try:
        assert store.find_contact("webchat", "v0") is None
        assert store.find_contact("webchat", "v1") is not None
    finally:
        store.close()
    assert not (tmp_path / "escape.json").exists()
