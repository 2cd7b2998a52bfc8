"""Activities on both stores: idempotent by external key, listed per contact."""
from __future__ import annotations

import pytest

from bridge.errors import NotFound
from crm_store import CrmStore


def test_activity_with_same_key_is_stored_once(store: CrmStore) -> None:
    contact = store.create_contact("Alice", None, "webchat", "v1")
    first = store.add_activity(contact.id, "transcript", "Chat 1", "hello", "conversation:c1")
    again = store.add_activity(contact.id, "transcript", "Chat 1 bis", "other", "conversation:c1")
    assert again == first
    assert store.activities_of(contact.id) == [first]


def test_activities_of_lists_each_key_in_order(store: CrmStore) -> None:
    contact = store.create_contact("Alice", None, "webchat", "v1")
    other = store.create_contact("Bob", None, "webchat", "v2")
    a1 = store.add_activity(contact.id, "transcript", "Chat 1", "one", "conversation:c1")
    a2 = store.add_activity(contact.id, "note", "Note", "two", None)
    a3 = store.add_activity(contact.id, "note", "Note", "three", None)  # no key: no dedup
    store.add_activity(other.id, "transcript", "Chat 2", "bob", "conversation:c2")
    assert store.activities_of(contact.id) == [a1, a2, a3]
    assert a1.body == "one" and a1.kind == "transcript" and a1.external_key == "conversation:c1"
    assert len(store.activities_of(other.id)) == 1
    assert (store.activity_count(contact.id), store.activity_count(other.id), store.activity_count("nope")) == (3, 1, 0)


def test_unknown_contact_raises_not_found(store: CrmStore) -> None:
    with pytest.raises(NotFound):
        store.add_activity("nope", "transcript", "s", "b", "conversation:x")
    with pytest.raises(NotFound):
        store.create_lead("nope", "t", "s")
