"""What platforms tell besides messages: edits, blocked or returning customers, read receipts."""
from __future__ import annotations

from bridge import rules
from bridge.channels import CustomerStatus, DeliveryReceipt, InboundEdit, Receipt
from bridge.core import Core, post
from bridge.errors import Conflict
from bridge.inbound_units import checked_text
from bridge.model import ChannelBinding, MessageKind, open_key_of
from bridge.store import NewMessage, UnitOfWork

STATUS_TEXT = {"blocked": "⛔ The customer blocked the bot: nothing more can reach them on this channel.",
               "unsubscribed": "⛔ The customer unsubscribed: nothing more can reach them on this channel."}


class PlatformEvents:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def edit(self, binding: ChannelBinding, edit: InboundEdit) -> Receipt | None:
        """Kept beside the original (never over it), shown to operators as an edit."""
        store = self.core.journal.conversations
        key = rules.dedupe_key(binding.id, edit.customer_ref, f"edit:{edit.edit_id}")
        stored, _ = await store.inbound_state(key, "")
        if stored is None:
            original, _ = await store.inbound_state(rules.dedupe_key(binding.id, edit.customer_ref,
                                                                     edit.external_id), "")
            if original is None:
                return None  # an edit of something never received: the caller keeps it as a message
            message = NewMessage(MessageKind.INBOUND, original.author, checked_text(edit.text), self.core.clock.now(),
                                 conversation_id=original.conversation_id, edit_of=original.seq, dedupe_key=key)
            try:
                stored = (await self.core.commit(UnitOfWork(messages=[message], work=[post(message)]))).messages[0]
            except Conflict:
                stored, _ = await store.inbound_state(key, "")
                if stored is None:
                    raise
                duplicate = True
            else:
                duplicate = False
        else:
            duplicate = True
        return Receipt(stored.seq, stored.conversation_id, duplicate, stored.ts, stored.author)

    async def status(self, binding: ChannelBinding, status: CustomerStatus) -> None:
        await self.core.journal.state.update(binding.id, status.customer_ref, lambda s: {**s, "status": status.status})
        text = STATUS_TEXT.get(status.status, "✅ The customer can be reached again on this channel.")
        await self._notify(binding, status.customer_ref, text,
                           rules.dedupe_key(binding.id, status.customer_ref, f"status:{status.event_id}"))

    async def receipt(self, binding: ChannelBinding, receipt: DeliveryReceipt) -> None:
        if receipt.status != "read":
            return  # delivery is shown as sent already; reads are what operators care about
        mark = receipt.external_ids[-1] if receipt.external_ids else str(receipt.watermark)
        await self._notify(binding, receipt.customer_ref, "👁 The customer read the conversation.",
                           rules.dedupe_key(binding.id, receipt.customer_ref, f"read:{mark}"))

    async def _notify(self, binding: ChannelBinding, customer_ref: str, text: str, key: str) -> None:
        """A note in the customer's open conversation, once per platform event."""
        _, conversation = await self.core.journal.conversations.inbound_state(
            "", open_key_of(binding.id, customer_ref))
        if conversation is None:
            return
        note = NewMessage(MessageKind.NOTICE, "", text, self.core.clock.now(), conversation_id=conversation.id,
                          dedupe_key=key)
        try:
            await self.core.commit(UnitOfWork(messages=[note], work=[post(note)]))
        except Conflict:
            pass  # told already
