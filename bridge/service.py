"""The conversation service: what channels and operators do to conversations."""
from __future__ import annotations

import logging

from bridge import relay
from bridge.channels import InboundMessage, Receipt
from bridge.delivery import Dispatcher
from bridge.directory import Directory
from bridge.errors import Refused
from bridge.journal import Journal
from bridge.model import ChannelBinding, Conversation, Line, Message, MessageKind
from bridge.ports import Clock

log = logging.getLogger(__name__)


class ConversationService:
    """Implements ``InboundSink`` for the channels and the operators' actions."""

    def __init__(self, *, journal: Journal, directory: Directory, dispatcher: Dispatcher, clock: Clock) -> None:
        self.journal = journal
        self.directory = directory
        self.dispatcher = dispatcher
        self.clock = clock

    # -- the channels' side -----------------------------------------------------------
    async def accept(self, binding: ChannelBinding, inbound: InboundMessage) -> Receipt:
        text = inbound.text.strip()
        if not text:
            raise Refused("an empty message")
        if len(text) > relay.MAX_TEXT:
            raise Refused(f"a message longer than {relay.MAX_TEXT} characters")
        line = self.directory.line(binding.line_id)
        accepted = await self.journal.accept_inbound(binding, inbound, welcome=line.welcome_text,
                                                     now=self.clock.now())
        if not accepted.duplicate:
            self._hand_over(accepted.conversation, accepted.created, accepted.message, accepted.welcome)
        return Receipt(accepted.message.seq, accepted.conversation.id, accepted.duplicate,
                       accepted.message.ts, accepted.conversation.customer_name)

    def _hand_over(self, conversation: Conversation, created: bool, message: Message,
                   welcome: Message | None) -> None:
        d = self.dispatcher
        if created:
            d.room(conversation)
            d.crm.link(conversation)
        d.team(conversation, message)
        if welcome is not None:
            d.customer(conversation, welcome)
            d.team(conversation, welcome)

    async def history(self, binding: ChannelBinding, customer_ref: str, after_seq: int,
                      limit: int = 500) -> list[tuple[Message, str]]:
        messages = await self.journal.customer_history(binding.id, customer_ref, after_seq, limit)
        line = self.directory.line(binding.line_id)
        conversations: dict[str, Conversation] = {}
        result = []
        for m in messages:
            if m.kind is MessageKind.INBOUND:
                if m.conversation_id not in conversations:
                    conversations[m.conversation_id] = await self.journal.get_conversation(m.conversation_id)
                author = conversations[m.conversation_id].customer_name
            else:
                author = line.name
            result.append((m, author))
        return result

    async def current_conversation(self, binding: ChannelBinding, customer_ref: str) -> str | None:
        conversation = await self.journal.open_conversation_of(binding.id, customer_ref)
        return conversation.id if conversation else None

    # -- the operators' side --------------------------------------------------------------
    async def conversation(self, conversation_id: str) -> Conversation:
        return await self.journal.get_conversation(conversation_id)

    def _line_for(self, conversation: Conversation, operator: str) -> Line:
        line = self.directory.line(conversation.line_id)
        if not line.is_operator(operator):
            raise Refused(f"you are not an operator of line {line.name}")
        return line

    async def answer(self, conversation_id: str, operator: str) -> Conversation:
        conversation = await self.journal.get_conversation(conversation_id)
        self._line_for(conversation, operator)
        claimed, taken_now = await self.journal.claim(conversation_id, operator)
        if taken_now:
            await self.dispatcher.notice(claimed, f"{operator} answers this conversation.")
        return claimed

    async def reply(self, conversation_id: str, operator: str, text: str) -> Message:
        """An operator's message for the customer; writing first answers a queued conversation."""
        if not text.strip():
            raise Refused("an empty reply")
        if len(text) > relay.MAX_TEXT:
            raise Refused(f"a reply longer than {relay.MAX_TEXT} characters")
        replied = await self.journal.add_reply(conversation_id, operator, text, now=self.clock.now(),
                                               check=lambda c: self._line_for(c, operator))
        if replied.claimed is not None:
            self.dispatcher.team(replied.conversation, replied.claimed)
        self.dispatcher.customer(replied.conversation, replied.message)
        return replied.message

    async def close(self, conversation_id: str, operator: str) -> Conversation:
        conversation = await self.journal.get_conversation(conversation_id)
        line = self._line_for(conversation, operator)
        closed = await self.journal.close(conversation_id, reason=f"closed by {operator}",
                                          closing_text=line.closing_text, now=self.clock.now())
        if closed.closing is not None:
            self.dispatcher.customer(closed.conversation, closed.closing)
            self.dispatcher.team(closed.conversation, closed.closing)
        await self.dispatcher.notice(closed.conversation, f"Conversation closed by {operator}.")
        self.dispatcher.crm.transcript(closed.conversation)
        return closed.conversation
