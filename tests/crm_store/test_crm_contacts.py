"""update_contact, tag_contact and per-contact activity keys, on both stores."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from bridge.errors import NotFound
from crm_store import Contact, CrmStore


def test_contact_built_without_tags_has_none() -> None:
    contact = Contact("c1", "Alice", None, (("webchat", "v1"),), 1.0)
    assert contact.tags == ()


def test_update_contact_changes_only_the_given_fields(store: CrmStore) -> None:
    contact = store.create_contact("Alice", "a@x.io", "webchat", "v1")
    renamed = store.update_contact(contact.id, name="Alice B.")
    assert (renamed.name, renamed.email) == ("Alice B.", "a@x.io")
    moved = store.update_contact(contact.id, email="b@x.io")
    assert (moved.name, moved.email) == ("Alice B.", "b@x.io")
    assert store.update_contact(contact.id) == moved
    assert store.get_contact(contact.id) == moved
    assert store.find_contact("webchat", "v1") == moved
    assert (moved.id, moved.identities, moved.created_at) == (
        contact.id, contact.identities, contact.created_at,
    )


def test_tags_are_added_once_in_order_and_removed(store: CrmStore) -> None:
    contact = store.create_contact("Alice", None, "webchat", "v1")
    store.tag_contact(contact.id, "vip")
    store.tag_contact(contact.id, "billing")
    assert store.tag_contact(contact.id, "vip").tags == ("vip", "billing")
    assert store.tag_contact(contact.id, "vip", on=False).tags == ("billing",)
    assert store.tag_contact(contact.id, "never-set", on=False).tags == ("billing",)
    stored = store.get_contact(contact.id)
    assert stored is not None and stored.tags == ("billing",)


def test_empty_tag_is_refused(store: CrmStore) -> None:
    contact = store.create_contact("Alice", None, "webchat", "v1")
    with pytest.raises(ValueError):
        store.tag_contact(contact.id, " ")


def test_unknown_contact_cannot_be_updated_or_tagged(store: CrmStore) -> None:
    with pytest.raises(NotFound):
        store.update_contact("nope", name="x")
    with pytest.raises(NotFound):
        store.tag_contact("nope", "vip")


def test_activity_keys_are_scoped_to_the_contact(store: CrmStore) -> None:
    alice = store.create_contact("Alice", None, "webchat", "v1")
    bob = store.create_contact("Bob", None, "webchat", "v2")
    a = store.add_activity(alice.id, "transcript", "Chat", "alice", "conversation:c1")
    b = store.add_activity(bob.id, "transcript", "Chat", "bob", "conversation:c1")
    assert a.id != b.id and b.contact_id == bob.id and b.body == "bob"


def test_bodies_round_trip_any_text(make_store: Callable[[], CrmStore]) -> None:
    store = make_store()
    contact = store.create_contact("Zoë", None, "telegram", "ünï")
    body = "héllo\n\u2603 \U0001f600 \udc80 \x00 end"  # even a lone surrogate and a NUL
    activity = store.add_activity(contact.id, "transcript", "Chat ☃", body, None)
    [stored] = store.activities_of(contact.id)
    assert stored == activity and stored.body == body
    assert store.find_contact("telegram", "ünï") == contact
