"""Owed work toward the CRM: link each customer to a record, attach each transcript."""
from __future__ import annotations

import logging
from typing import Any
from dataclasses import replace

from bridge import relay
from bridge.core import Core, line_note
from bridge.errors import NotFound
from bridge.model import Conversation
from bridge.outbox import WorkKind
from bridge.ports import Crm, CustomerProfile
from bridge.store import UnitOfWork, WorkItem
from bridge.work_kinds import Work

log = logging.getLogger(__name__)
TRANSCRIPT_LIMIT = 5000  # messages; a longer conversation keeps its newest ones in the CRM


QUOTA_KEY = ("openlines", "crm-sessions")  # (binding, customer) slot of the state store


class CrmWork:
    def __init__(self, core: Core, crm: Crm, session_quota: int | None = None) -> None:
        self.core = core
        self.crm = crm
        self.session_quota = session_quota

    def kinds(self) -> dict[str, WorkKind]:
        return {Work.CRM_LINK: WorkKind(self.link, max_attempts=10, on_dead=self._dead),
                Work.CRM_TRANSCRIPT: WorkKind(self.transcript, max_attempts=10, on_dead=self._dead),
                Work.CRM_TAG: WorkKind(self.tag, max_attempts=10, on_dead=self._dead),
                Work.CRM_NAME: WorkKind(self.name, max_attempts=10, on_dead=self._dead)}

    async def tag(self, items: list[WorkItem]) -> UnitOfWork:
        conversation = await self._conversation(items[0])
        if conversation.contact_id:
            await self.crm.tag(conversation.contact_id, str(items[0].payload["tag"]))
        return UnitOfWork()

    async def name(self, items: list[WorkItem]) -> UnitOfWork:
        """A name the customer gave later replaces the stand-in the contact was created with (in the
        CRM lane, after the link: a contact linked by then is renamed; one linked later gets the name)."""
        conversation = await self._conversation(items[0])
        payload = items[0].payload
        if conversation.contact_id:
            try:
                await self.crm.rename(conversation.contact_id, str(payload["old"]), str(payload["new"]))
            except NotFound:
                pass  # the contact was removed from the CRM: the next transcript links anew, named
        return UnitOfWork()

    async def link(self, items: list[WorkItem]) -> UnitOfWork:
        conversation = await self._conversation(items[0])
        if conversation.contact_id:
            return UnitOfWork()
        if not await self._within_quota(conversation):
            return self.core.notice(f"Not recorded in the CRM: the install's quota of {self.session_quota} "
                                    "CRM sessions is reached.", conversation.id)
        _, text = await self._link(conversation)
        return self.core.notice(text, conversation.id)

    async def _within_quota(self, conversation: Conversation) -> bool:
        """Counts conversations recorded in the CRM; past the quota they still work, unrecorded,
        and the line room hears it once."""
        if self.session_quota is None:
            return True
        quota, seen = self.session_quota, dict[str, dict[str, Any]]()

        def count(counted: dict[str, Any]) -> dict[str, Any]:  # in one transaction: processes share the count
            seen["before"] = counted
            if counted.get("count", 0) < quota:
                return {**counted, "count": counted.get("count", 0) + 1}
            return {**counted, "told": True}

        await self.core.journal.state.update(*QUOTA_KEY, count)
        counted = seen["before"]
        if counted.get("count", 0) < quota:
            return True
        if not counted.get("told"):
            text = (f"⚠️ The CRM session quota ({self.session_quota}, OPENLINES_CRM_SESSION_QUOTA) is reached: "
                    "new conversations keep working but are no longer recorded in the CRM.")
            await self.core.commit(UnitOfWork(work=[line_note(conversation.line_id, text, conversation.id)]))
        return False

    async def _link(self, conversation: Conversation) -> tuple[str, str]:
        line = self.core.directory.line_or_removed(conversation.line_id)
        binding = self.core.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        profile = CustomerProfile(binding.kind, conversation.customer_ref, conversation.customer_name,
                                  conversation.customer_email)
        link = await self.crm.link_customer(profile, source=f"{line.name} · {relay.customer_label(binding)}",
                                            create=line.settings.crm_create)
        # Its own commit: a finished item must never carry a change that can conflict.
        await self.core.decide(
            conversation.id, lambda c: UnitOfWork(conversation=replace(c, contact_id=link.contact_id)))
        if link.is_new:
            made = "a lead was created" if link.lead_id else "a contact was created"
            return link.contact_id, f"New customer: {made} in the CRM (contact {link.contact_id})."
        return link.contact_id, f"Returning customer: linked to CRM contact {link.contact_id}."

    async def transcript(self, items: list[WorkItem]) -> UnitOfWork:
        conversation = await self._conversation(items[0])
        contact_id = conversation.contact_id or (await self._link(conversation))[0]
        line = self.core.directory.line_or_removed(conversation.line_id)
        messages = await self.core.journal.conversations.messages(
            conversation.id, limit=TRANSCRIPT_LIMIT, kinds=relay.CUSTOMER_VISIBLE)
        subject = f"Conversation {conversation.id} on {line.name}"
        body = relay.transcript_text(messages, conversation, line)
        try:
            await self.crm.attach_transcript(contact_id, conversation_id=conversation.id, subject=subject, body=body)
        except NotFound:  # the contact was removed from the CRM: make a new one rather than wait for ever
            log.warning("CRM contact of conversation %s is gone; linking again", conversation.id)
            await self.core.decide(conversation.id, lambda c: UnitOfWork(conversation=replace(c, contact_id=None)))
            contact_id, _ = await self._link(replace(conversation, contact_id=None))
            await self.crm.attach_transcript(contact_id, conversation_id=conversation.id, subject=subject, body=body)
        return self.core.notice(f"📎 Transcript attached to CRM contact {contact_id}.", conversation.id)

    async def _conversation(self, item: WorkItem) -> Conversation:
        if item.conversation_id is None:
            raise NotFound(f"work {item.id} names no conversation")
        return await self.core.journal.conversations.conversation(item.conversation_id)

    async def _dead(self, item: WorkItem, reason: str) -> None:
        if item.conversation_id is None:
            return
        done: dict[str, str] = {Work.CRM_LINK: "linked to the CRM", Work.CRM_TAG: "tagged in the CRM",
                                Work.CRM_NAME: "renamed in the CRM"}
        what = done.get(item.kind, "attached to the CRM")
        await self.core.commit(self.core.notice(f"⚠️ This conversation could not be {what}: {reason}.",
                                                item.conversation_id))
