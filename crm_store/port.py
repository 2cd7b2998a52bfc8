"""AsyncCrm: the core's async Crm port over a blocking CrmStore, via worker threads."""
from __future__ import annotations

import asyncio

from bridge.ports import CrmLink, CustomerProfile
from crm_store.base import CrmStore

TRANSCRIPT_KIND = "transcript"


class AsyncCrm:
    """Implements ``bridge.ports.Crm``; the store's own locks make the threads safe."""

    def __init__(self, store: CrmStore) -> None:
        self.store = store

    async def link_customer(self, profile: CustomerProfile, *, source: str) -> CrmLink:
        return await asyncio.to_thread(self.store.link_customer, profile, source)

    async def attach_transcript(
        self, contact_id: str, *, conversation_id: str, subject: str, body: str
    ) -> str:
        """Return the activity's id; raises ``bridge.errors.NotFound`` for an unknown contact."""
        # Keyed by conversation so a retried attach stores nothing twice.
        activity = await asyncio.to_thread(
            self.store.add_activity,
            contact_id,
            TRANSCRIPT_KIND,
            subject,
            body,
            f"conversation:{conversation_id}",
        )
        return activity.id
