"""link_customer on both stores: new customers get a contact and a lead, known ones do not."""
from __future__ import annotations

import pytest

from bridge.ports import CustomerProfile
from crm_store import CrmStore

ALICE = CustomerProfile(channel="webchat", identity="visitor-1", name="Alice", email="a@x.io")


def test_new_customer_gets_contact_and_lead(store: CrmStore) -> None:
    link = store.link_customer(ALICE, "Website chat")
    assert link.is_new is True
    contact = store.get_contact(link.contact_id)
    assert contact is not None
    assert (contact.name, contact.email) == ("Alice", "a@x.io")
    assert contact.identities == (("webchat", "visitor-1"),)
    leads = store.leads_of(link.contact_id)
    assert [lead.id for lead in leads] == [link.lead_id]
    assert leads[0].title == "Website chat: Alice"
    assert leads[0].source == "Website chat"
    assert leads[0].contact_id == link.contact_id


def test_known_customer_is_not_new_and_gets_no_second_lead(store: CrmStore) -> None:
    first = store.link_customer(ALICE, "Website chat")
    second = store.link_customer(ALICE, "Website chat")
    assert second.contact_id == first.contact_id
    assert second.is_new is False
    assert second.lead_id is None
    assert len(store.leads_of(first.contact_id)) == 1


def test_same_identity_on_another_channel_is_another_contact(store: CrmStore) -> None:
    web = store.link_customer(ALICE, "Website chat")
    telegram = CustomerProfile(channel="telegram", identity="visitor-1", name="Alice")
    tg = store.link_customer(telegram, "Telegram")
    assert tg.contact_id != web.contact_id
    assert tg.is_new is True
    found = store.find_contact("telegram", "visitor-1")
    assert found is not None and found.id == tg.contact_id


def test_nameless_customer_lead_is_titled_by_identity(store: CrmStore) -> None:
    link = store.link_customer(CustomerProfile(channel="telegram", identity="42"), "Telegram")
    assert store.leads_of(link.contact_id)[0].title == "Telegram: 42"


def test_unknown_lookups_return_none(store: CrmStore) -> None:
    assert store.find_contact("webchat", "nobody") is None
    assert store.get_contact("nope") is None
    assert store.leads_of("nope") == []


def test_create_contact_refuses_a_taken_identity(store: CrmStore) -> None:
    store.create_contact("Alice", None, "webchat", "visitor-1")
    with pytest.raises(ValueError):
        store.create_contact("Other", None, "webchat", "visitor-1")


def test_a_hostile_name_and_identity_still_link_once(store: CrmStore) -> None:
    """A NUL or a lone surrogate (which a platform's JSON can carry) never stops a customer's link."""
    profile = CustomerProfile("telegram", "id\x00\udc80", name="Ev\x00e \udc80")
    first = store.link_customer(profile, "Telegram")
    again = store.link_customer(profile, "Telegram")
    assert first.is_new and (again.contact_id, again.is_new) == (first.contact_id, False)
    contact = store.find_contact("telegram", "id\x00\udc80")
    assert contact is not None and contact.id == first.contact_id and contact.name.startswith("Ev")
