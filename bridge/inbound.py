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
    Receipt,
)
from bridge.core import Core, post, send, timer
from bridge.errors import Conflict, Refused
from bridge.hours import schedule
from bridge.model import ChannelBinding, Conversation, Line, Message, MessageKind, open_key_of
from bridge.store import NewMessage, NewWork, UnitOfWork

log = logging.getLogger(__name__)
ATTEMPTS = 8


class InboundService:
    """Implements ``bridge.channels.InboundSink``."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def accept(self, binding: ChannelBinding, event: InboundEvent) -> Receipt | None:
        _check_ids(event)
        if isinstance(event, InboundMessage):
            return await self._message(binding, event)
        if isinstance(event, InboundEdit):
            return await self._edit(binding, event)
        if isinstance(event, CustomerStatus):
            await self._status(binding, event)
        elif isinstance(event, DeliveryReceipt):
            await self._receipt(binding, event)
        return None

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

    async def greeting(self, binding: ChannelBinding) -> tuple[str, str]:
        line = self.core.directory.line_or_removed(binding.line_id)
        return line.name, self._first_answer(line, self.core.clock.now())

    # -- messages ----------------------------------------------------------------------
    async def _message(self, binding: ChannelBinding, inbound: InboundMessage) -> Receipt:
        text = _checked_text(inbound.text)
        if not text.strip() and not inbound.attachments:
            raise Refused("an empty message")
        thread = inbound.thread if isinstance(inbound, InboundComment) else None
        key = rules.dedupe_key(binding.id, inbound.customer_ref, inbound.external_id)
        store = self.core.journal.conversations
        for _ in range(ATTEMPTS):
            stored, conversation = await store.inbound_state(key, open_key_of(binding.id, inbound.customer_ref, thread))
            if stored is not None:
                return await self._duplicate(stored)
            unit = self._message_unit(binding, inbound, text, key, conversation, thread)
            try:
                committed = await self.core.commit(unit)
            except Conflict as exc:
                if exc.what not in ("dedupe", "open"):
                    raise
                continue  # a redelivery or a first message raced this one: read again
            message = committed.messages[0]
            conversation = committed.conversation or conversation
            assert conversation is not None
            return Receipt(message.seq, message.conversation_id, False, message.ts, conversation.customer_name)
        raise Refused("the message could not be stored; send it again")

    async def _duplicate(self, stored: Message) -> Receipt:
        conversation = await self.core.journal.conversations.conversation(stored.conversation_id)
        return Receipt(stored.seq, stored.conversation_id, True, stored.ts, conversation.customer_name)

    def _message_unit(self, binding: ChannelBinding, inbound: InboundMessage, text: str, key: str,
                      conversation: Conversation | None, thread: str | None) -> UnitOfWork:
        now = self.core.clock.now()
        line = self.core.directory.line(binding.line_id)
        if conversation is None and line.deleted:
            raise Refused(f"line {line.name} no longer takes new conversations")
        name = relay.clean_name(_mended(inbound.customer_name)) or "Customer"
        meta = {"context": relay.clean_text(inbound.context)[:500]} if isinstance(inbound, InboundComment) else {}
        message = NewMessage(MessageKind.INBOUND, name, text, now, attachments=inbound.attachments,
                             external_id=inbound.external_id, dedupe_key=key, meta=meta,
                             conversation_id=conversation.id if conversation else None)
        if conversation is not None:
            return UnitOfWork(messages=[message], work=[post(0), *self._silence_timer(line, now, conversation.id)])
        email = relay.clean_name(inbound.customer_email or "", 200) or None
        new = rules.new_conversation(binding, inbound.customer_ref, name, email, now, thread)
        first = {"announce": True, "preview": relay.preview(text or " ".join(a.describe() for a in inbound.attachments))}
        unit = UnitOfWork(conversation=new, messages=[message], work=[NewWork("team.room", first), post(0)])
        answer = self._first_answer(line, now)
        if answer:
            unit.messages.append(self.core.for_customer(MessageKind.AUTO, "", answer))
            unit.work += [send(1), post(1)]
        if line.settings.yes.crm:
            unit.work.append(NewWork("crm.link"))
        unit.work += self._silence_timer(line, now)
        return unit

    def _first_answer(self, line: Line, now: float) -> str:
        if not line.enabled or not _open(line, now):
            return line.settings.offline_text
        return line.settings.welcome_text

    def _silence_timer(self, line: Line, now: float, conversation_id: str | None = None) -> list[NewWork]:
        minutes = line.settings.autoclose_minutes
        return [timer("timer.autoclose", now + minutes * 60, conversation_id)] if minutes else []

    # -- everything else a platform tells --------------------------------------------------
    async def _edit(self, binding: ChannelBinding, edit: InboundEdit) -> Receipt | None:
        original_key = rules.dedupe_key(binding.id, edit.customer_ref, edit.external_id)
        key = rules.dedupe_key(binding.id, edit.customer_ref, f"edit:{edit.edit_id}")
        store = self.core.journal.conversations
        stored, _ = await store.inbound_state(key, "")
        if stored is not None:
            return await self._duplicate(stored)
        original, _ = await store.inbound_state(original_key, "")
        if original is None:  # an edit of something we never got: keep it as a message
            return await self._message(binding, InboundMessage(edit.customer_ref, f"edit:{edit.edit_id}",
                                                               edit.text, edit.customer_name))
        message = NewMessage(MessageKind.INBOUND, original.author, _checked_text(edit.text), self.core.clock.now(),
                             conversation_id=original.conversation_id, edit_of=original.seq, dedupe_key=key)
        try:
            committed = await self.core.commit(UnitOfWork(messages=[message], work=[post(0)]))
        except Conflict:
            stored, _ = await store.inbound_state(key, "")
            return await self._duplicate(stored) if stored else None
        m = committed.messages[0]
        return Receipt(m.seq, m.conversation_id, False, m.ts, m.author)

    async def _status(self, binding: ChannelBinding, status: CustomerStatus) -> None:
        state = await self.core.journal.state.get(binding.id, status.customer_ref)
        await self.core.journal.state.put(binding.id, status.customer_ref, {**state, "status": status.status})
        text = {"blocked": "⛔ The customer blocked the bot: nothing more can reach them on this channel.",
                "unsubscribed": "⛔ The customer unsubscribed: nothing more can reach them on this channel.",
                }.get(status.status, "✅ The customer can be reached again on this channel.")
        await self._notify(binding, status.customer_ref, text,
                           rules.dedupe_key(binding.id, status.customer_ref, f"status:{status.event_id}"))

    async def _receipt(self, binding: ChannelBinding, receipt: DeliveryReceipt) -> None:
        if receipt.status != "read":
            return  # delivery is already shown as sent; reads are what operators care about
        mark = receipt.external_ids[-1] if receipt.external_ids else str(receipt.watermark)
        await self._notify(binding, receipt.customer_ref, "👁 The customer read the conversation.",
                           rules.dedupe_key(binding.id, receipt.customer_ref, f"read:{mark}"))

    async def _notify(self, binding: ChannelBinding, customer_ref: str, text: str, key: str) -> None:
        _, conversation = await self.core.journal.conversations.inbound_state(
            "", open_key_of(binding.id, customer_ref))
        if conversation is None:
            return
        unit = self.core.notice(text, conversation.id)
        unit.messages[0] = NewMessage(MessageKind.NOTICE, "", text, self.core.clock.now(),
                                      conversation_id=conversation.id, dedupe_key=key)
        try:
            await self.core.commit(unit)
        except Conflict:
            pass  # told already


def _checked_text(text: str) -> str:
    if not relay.well_formed(text):
        raise Refused("a message that is not well-formed Unicode")
    cleaned = relay.clean_text(text)
    if len(cleaned) > relay.MAX_TEXT:
        raise Refused(f"a message longer than {relay.MAX_TEXT} characters")
    return cleaned


def _check_ids(event: InboundEvent) -> None:
    """Platform ids become keys in the journal: text no store can encode is refused, not half-stored."""
    ids = [event.customer_ref, *[getattr(event, name, "") for name in ("external_id", "edit_id", "event_id")]]
    if not all(isinstance(i, str) and len(i) <= 1000 and relay.well_formed(i) for i in ids):
        raise Refused("a platform id that is not well-formed text")


def _mended(name: str) -> str:
    """A name with lone surrogates keeps what can be shown (it is only shown, never a key)."""
    return name.encode("utf-8", "replace").decode("utf-8") if not relay.well_formed(name) else name


def _open(line: Line, now: float) -> bool:
    try:
        return schedule(line.settings.hours, line.settings.timezone, line.settings.holidays).is_open(now)
    except Refused:  # settings are checked when set; an old bad value must not stop messages
        return True
