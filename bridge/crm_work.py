"""The CRM lane: link customers to CRM records and attach transcripts, durably."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge import relay
from bridge.model import Conversation
from bridge.ports import Crm, CustomerProfile

if TYPE_CHECKING:
    from bridge.delivery import Dispatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Link:
    conversation: Conversation


@dataclass(frozen=True)
class _Transcript:
    conversation: Conversation


class CrmWork:
    def __init__(self, dispatcher: "Dispatcher", crm: Crm) -> None:
        self._d = dispatcher
        self._crm = crm
        self._queue: asyncio.Queue[_Link | _Transcript] = asyncio.Queue()

    def start(self) -> None:
        self._d._spawn(self._lane())

    def link(self, conversation: Conversation) -> None:
        self._d.in_flight += 1
        self._queue.put_nowait(_Link(conversation))

    def transcript(self, conversation: Conversation) -> None:
        self._d.in_flight += 1
        self._queue.put_nowait(_Transcript(conversation))

    async def _lane(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._with_retries(item)
            finally:
                self._d.in_flight -= 1

    async def _with_retries(self, item: _Link | _Transcript) -> None:
        attempts = 0
        while True:
            try:
                if isinstance(item, _Link):
                    await self._link(item.conversation)
                else:
                    await self._attach(item.conversation)
                return
            except Exception as exc:
                # The journal keeps the duty owed; the CRM may be back later.
                attempts += 1
                log.warning("CRM work for conversation %s failed (attempt %d): %s",
                            item.conversation.id, attempts, type(exc).__name__)
                await self._d.clock.sleep(self._d.retry.delay(attempts))

    async def _link(self, conversation: Conversation) -> str:
        # Stand-ins when the line or channel was removed since: the customer still counts.
        binding = self._d.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        line_name = self._d.directory.line_or_removed(conversation.line_id).name
        profile = CustomerProfile(binding.kind, conversation.customer_ref,
                                  conversation.customer_name, conversation.customer_email)
        link = await self._crm.link_customer(profile, source=f"{line_name} · {relay.customer_label(binding)}")
        await self._d.journal.mark_crm_linked(conversation.id, link.contact_id)
        if link.is_new:
            text = f"New customer: a lead was created in the CRM (contact {link.contact_id})."
        else:
            text = f"Returning customer: linked to CRM contact {link.contact_id}."
        await self._d.notice(conversation, text)
        return link.contact_id

    async def _attach(self, conversation: Conversation) -> None:
        fresh = await self._d.journal.get_conversation(conversation.id)
        contact_id = fresh.contact_id or await self._link(fresh)
        line = self._d.directory.line_or_removed(fresh.line_id)
        messages = await self._d.journal.transcript(fresh.id)
        await self._crm.attach_transcript(
            contact_id, conversation_id=fresh.id,
            subject=f"Conversation {fresh.id} on {line.name}",
            body=relay.transcript_text(messages, fresh, line))
        await self._d.journal.mark_transcript_attached(fresh.id)
        await self._d.notice(fresh, f"📎 Transcript attached to CRM contact {contact_id}.")
