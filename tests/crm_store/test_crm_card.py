"""The contact card ``!crm`` shows, through the async port, on every store."""
from __future__ import annotations

import asyncio

from bridge.ports import Crm, CustomerProfile
from crm_store import AsyncCrm, CrmStore


def test_the_card_has_the_contact_its_leads_and_how_many_activities(store: CrmStore) -> None:
    crm: Crm = AsyncCrm(store)

    async def scenario() -> None:
        link = await crm.link_customer(CustomerProfile("webchat", "v1", "Alice", "alice@example.com"),
                                       source="Website chat")
        store.tag_contact(link.contact_id, "vip")
        store.create_lead(link.contact_id, "Second lead", "Telegram")
        await crm.attach_transcript(link.contact_id, conversation_id="c1", subject="Chat", body="hi")
        card = await crm.card(link.contact_id)
        assert card is not None
        assert (card.contact_id, card.name, card.email, card.tags) == (link.contact_id, "Alice",
                                                                       "alice@example.com", ("vip",))
        assert [lead.title for lead in card.leads] == ["Website chat: Alice", "Second lead"]
        assert card.leads[0].status == "new" and card.activities == 1

    asyncio.run(scenario())


def test_a_contact_that_is_gone_has_no_card(store: CrmStore) -> None:
    assert asyncio.run(AsyncCrm(store).card("0123456789abcdef")) is None
