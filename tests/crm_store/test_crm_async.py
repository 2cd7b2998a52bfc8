"""AsyncCrm as the core uses it, driven with asyncio.run so no plugin is needed."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bridge.errors import NotFound
from bridge.ports import Crm, CustomerProfile
from crm_store import AsyncCrm, CrmStore, MemoryCrm, TinyDbCrm


def test_link_and_attach_through_the_port(store: CrmStore) -> None:
    crm: Crm = AsyncCrm(store)

    async def scenario() -> None:
        profile = CustomerProfile("webchat", "v1", "Alice")
        link = await crm.link_customer(profile, source="Website chat")
        assert link.is_new
        again = await crm.link_customer(profile, source="Website chat")
        assert (again.contact_id, again.is_new) == (link.contact_id, False)
        first = await crm.attach_transcript(
            link.contact_id, conversation_id="c1", subject="Chat", body="hi"
        )
        retry = await crm.attach_transcript(
            link.contact_id, conversation_id="c1", subject="Chat", body="hi"
        )
        assert retry == first
        [activity] = store.activities_of(link.contact_id)
        assert (activity.id, activity.kind) == (first, "transcript")
        assert activity.external_key == "conversation:c1"

    asyncio.run(scenario())


def test_concurrent_async_links_make_one_contact(tmp_path: Path) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    crm = AsyncCrm(store)
    profile = CustomerProfile("webchat", "racer", "Racer")

    async def scenario() -> None:
        links = await asyncio.gather(
            *(crm.link_customer(profile, source="Website chat") for _ in range(8))
        )
        assert len({link.contact_id for link in links}) == 1
        assert sum(link.is_new for link in links) == 1

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_attach_to_unknown_contact_raises_not_found() -> None:
    crm = AsyncCrm(MemoryCrm())
    with pytest.raises(NotFound):
        asyncio.run(
            crm.attach_transcript("nope", conversation_id="c1", subject="s", body="b")
        )
