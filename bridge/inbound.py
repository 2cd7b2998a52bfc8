"""What customers send: stored once per platform id, then relayed (the channels' InboundSink)."""
from __future__ import annotations

import logging

from bridge import relay, rules
from bridge.channels import (
    CustomerStatus,
    DeliveryReceipt,
    InboundComment,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    LineStatus,
    Receipt,
)
from bridge.core import ATTEMPTS, Core
from bridge.errors import Conflict, Refused
from bridge.inbound_events import PlatformEvents
from bridge.inbound_kept import KeptEvents
from bridge.inbound_units import checked_ids, checked_text, first_answer, in_hours, message_unit, shown_name
from bridge.languages import customer_language
from bridge.metrics import RECEIVED
from bridge.model import ChannelBinding, Conversation, Line, Message, MessageKind, open_key_of
from bridge.queue import Presence
from bridge.ratings import Ratings, customer_slot, rating_of
from bridge.store import NewMessage, UnitOfWork

log = logging.getLogger(__name__)


class InboundService:
    """Implements ``bridge.channels.InboundSink``."""

    def __init__(self, core: Core, email_replies: bool = False) -> None:
        self.core = core
        self.email_replies = email_replies  # a mailer is configured: missed replies go by email
        self.events = PlatformEvents(core)
        self.ratings = Ratings(core)
        self.kept = KeptEvents(core)

    async def accept(self, binding: ChannelBinding, event: InboundEvent) -> Receipt | None:
        checked_ids(event)
        if isinstance(event, InboundMessage):  # the common event, without a coroutine in between
            stored = await self._message(binding, event)
            if not stored.duplicate:
                self.core.metrics.count(RECEIVED, (binding.line_id, binding.kind))
            receipt: Receipt | None = stored
        else:
            receipt = await self._event(binding, event)
        self.core.health.received(binding.id)  # in memory: no write per message
        return receipt

    async def _event(self, binding: ChannelBinding, event: InboundEvent) -> Receipt | None:
        if isinstance(event, InboundEdit):
            edited = await self.events.edit(binding, event)
            if edited is None:  # an edit of something we never got: keep it as a message
                return await self._message(binding, InboundMessage(event.customer_ref, f"edit:{event.edit_id}",
                                                                   event.text, event.customer_name))
            return edited
        if isinstance(event, CustomerStatus):
            await self.events.status(binding, event)
        elif isinstance(event, DeliveryReceipt):
            await self.events.receipt(binding, event)
        return None

    async def keep(self, binding: ChannelBinding, kind: str, reason: str, raw: str) -> None:
        await self.kept.keep(binding, kind, reason, raw)

    async def history(self, binding: ChannelBinding, customer_ref: str, *, after_seq: int = 0,
                      before_seq: int | None = None, limit: int = 100) -> list[tuple[Message, str]]:
        messages = await self.core.journal.conversations.customer_messages(
            binding.id, customer_ref, after_seq=after_seq, before_seq=before_seq, limit=limit,
            kinds=relay.CUSTOMER_VISIBLE)
        line = self.core.directory.line_or_removed(binding.line_id)
        names: dict[str, Conversation] = {}
        result = []
        for m in messages:
            if m.conversation_id not in names:
                names[m.conversation_id] = await self.core.journal.conversations.conversation(m.conversation_id)
            result.append((m, relay.public_author(line, m, names[m.conversation_id])))
        return result

    async def current_conversation(self, binding: ChannelBinding, customer_ref: str) -> str | None:
        _, conversation = await self.core.journal.conversations.inbound_state("", open_key_of(binding.id, customer_ref))
        return conversation.id if conversation else None

    async def typing(self, binding: ChannelBinding, customer_ref: str, on: bool) -> None:
        conversation_id = await self.current_conversation(binding, customer_ref)
        if conversation_id is not None:
            await self.core.team_signal(conversation_id, "typing", {"on": on})

    async def line_status(self, binding: ChannelBinding) -> LineStatus:
        line = self.core.directory.line_or_removed(binding.line_id)
        is_open = line.enabled and not line.deleted and in_hours(line, self.core.clock.now()) \
            and await self._someone_here(line)
        return LineStatus(line.name, is_open, line.settings.prechat,
                          self.email_replies and line.settings.offline_email_seconds > 0)

    async def greeting(self, binding: ChannelBinding, language: str | None = None) -> tuple[str, str]:
        line = self.core.directory.line_or_removed(binding.line_id)
        return line.name, first_answer(line, self.core.clock.now(), customer_language(language))

    async def _someone_here(self, line: Line) -> bool:
        """At least one of the line's operators is not away."""
        presence = Presence(self.core.journal.state)
        for person in line.operators:
            if not (await presence.of(person)).get("away"):
                return True
        return False

    async def rate(self, binding: ChannelBinding, customer_ref: str, conversation_id: str, value: str) -> None:
        """A rating from a channel's own buttons; Refused when not asked or already rated."""
        await self.ratings.rate(binding.id, customer_ref, conversation_id, value)

    # -- messages ----------------------------------------------------------------------
    async def _message(self, binding: ChannelBinding, inbound: InboundMessage) -> Receipt:
        text = checked_text(inbound.text)
        if not text.strip() and not inbound.attachments:
            raise Refused("an empty message")
        thread = inbound.thread if isinstance(inbound, InboundComment) else None
        binding_id = binding.id
        key = rules.dedupe_key(binding_id, inbound.customer_ref, inbound.external_id)
        open_key = open_key_of(binding_id, inbound.customer_ref, thread)
        # The common case in one write, here (no coroutine of its own): the customer's open
        # conversation is known here. The store still checks it is open (else a read decides) and
        # that the platform id is new.
        known = self.core.recent.open_for(open_key)
        if known is not None and not known.spam:
            unit = message_unit(self.core, binding, inbound, text, key, known, False)
            unit.open_as = (known.id, open_key)
            try:
                committed = await self.core.commit(unit)
            except Conflict:
                pass  # a redelivery, or it closed meanwhile: the reading path answers
            else:
                message = committed.messages[0]
                named = committed.conversation or known  # a name given with this message names it already
                return Receipt(message.seq, message.conversation_id, False, message.ts, named.customer_name)
        return await self._read_and_store(binding, inbound, text, key, open_key)

    async def _read_and_store(self, binding: ChannelBinding, inbound: InboundMessage, text: str, key: str,
                              open_key: str) -> Receipt:
        """A first message, a redelivery, a rating, a spammer's: the store's state decides."""
        store = self.core.journal.conversations
        for _ in range(ATTEMPTS):
            stored, conversation = await store.inbound_state(key, open_key)
            if stored is not None:
                return await self._duplicate(stored)
            if conversation is not None:
                self.core.recent.put(conversation)
            spam = False
            if conversation is None or conversation.spam:
                customer = await self.core.journal.state.get(customer_slot(binding.id), inbound.customer_ref)
                if conversation is None and (rated := await self._rating(binding, inbound, text, key)) is not None:
                    return rated
                spam = float(customer.get("spam_until", 0)) > self.core.clock.now()
                if conversation is not None and not spam:  # the spam period is over: start afresh
                    await self._end_spam(conversation)
                    continue
            try:
                committed = await self.core.commit(message_unit(self.core, binding, inbound, text, key,
                                                                conversation, spam))
            except Conflict as exc:
                if exc.what not in ("dedupe", "open", "version"):
                    raise
                continue  # a redelivery or a first message raced this one: read again
            message = committed.messages[0]
            conversation = committed.conversation or conversation
            assert conversation is not None
            return Receipt(message.seq, message.conversation_id, False, message.ts, conversation.customer_name)
        raise Refused("the message could not be stored; send it again")

    async def _rating(self, binding: ChannelBinding, inbound: InboundMessage, text: str,
                      key: str) -> Receipt | None:
        """A 1 or 0 from a customer asked to rate: a rating, kept in the closed conversation."""
        value = rating_of(text)
        pending = await self.ratings.pending(binding.id, inbound.customer_ref) if value else None
        if value is None or pending is None:
            return None
        reply = NewMessage(MessageKind.INBOUND, shown_name(inbound.customer_name) or "Customer", text,
                           self.core.clock.now(), external_id=inbound.external_id, dedupe_key=key)
        rated = await self.ratings.rate(binding.id, inbound.customer_ref, pending, value, reply)
        stored, _ = await self.core.journal.conversations.inbound_state(key, "")
        assert stored is not None
        return Receipt(stored.seq, rated.id, False, stored.ts, rated.customer_name)

    async def _end_spam(self, conversation: Conversation) -> None:
        await self.core.decide(conversation.id, lambda c: UnitOfWork(
            conversation=rules.closed(c, "spam period over", self.core.clock.now())) if c.is_open else UnitOfWork())

    async def _duplicate(self, stored: Message) -> Receipt:
        conversation = await self.core.journal.conversations.conversation(stored.conversation_id)
        return Receipt(stored.seq, stored.conversation_id, True, stored.ts, conversation.customer_name)
