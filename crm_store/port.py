"""AsyncCrm: the core's async Crm port over a blocking CrmStore, via worker threads."""
from __future__ import annotations

import asyncio
import logging

from bridge.ports import ContactCard, CrmLink, CustomerProfile, LeadCard
from crm_store.base import CrmStore
from crm_store.factory import open_crm
from crm_store.unavailable import UnavailableCrm

log = logging.getLogger(__name__)
TRANSCRIPT_KIND = "transcript"


class AsyncCrm:
    """Implements ``bridge.ports.Crm``; the store's own locks make the threads safe."""

    def __init__(self, store: CrmStore) -> None:
        self.store = store

    async def link_customer(self, profile: CustomerProfile, *, source: str, create: str = "lead") -> CrmLink:
        return await asyncio.to_thread(self.store.link_customer, profile, source, create == "lead")

    async def attach_transcript(self, contact_id: str, *, conversation_id: str, subject: str, body: str) -> str:
        """Return the activity's id; raises ``bridge.errors.NotFound`` for an unknown contact."""
        # Keyed by conversation so a retried attach stores nothing twice.
        activity = await asyncio.to_thread(self.store.add_activity, contact_id, TRANSCRIPT_KIND, subject, body,
                                           f"conversation:{conversation_id}")
        return activity.id

    async def card(self, contact_id: str) -> ContactCard | None:
        return await asyncio.to_thread(self._card, contact_id)

    def _card(self, contact_id: str) -> ContactCard | None:
        contact = self.store.get_contact(contact_id)
        if contact is None:
            return None
        leads = tuple(LeadCard(lead.title, lead.status, lead.created_at) for lead in self.store.leads_of(contact_id))
        return ContactCard(contact.id, contact.name, contact.email, contact.tags, leads,
                           self.store.activity_count(contact_id))


    async def tag(self, contact_id: str, tag: str) -> None:
        await asyncio.to_thread(self.store.tag_contact, contact_id, tag)

    async def rename(self, contact_id: str, old: str, new: str) -> None:
        await asyncio.to_thread(self.store.rename_contact, contact_id, old, new)


def open_crm_or_stand_in(url: str) -> CrmStore:
    """The CRM, or a stand-in that fails every call: a CRM that cannot be read never stops the channels."""
    try:
        return open_crm(url)
    except Exception as exc:
        log.error("the CRM could not be opened (%s): customers are linked once it can be", type(exc).__name__)
        return UnavailableCrm(type(exc).__name__)
