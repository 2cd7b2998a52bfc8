"""Owed work toward customers: each message sent once, in order per conversation."""
from __future__ import annotations

import logging
from typing import Callable

from bridge import relay
from bridge.channels import ChannelBackend, OutboundMessage, SendResult
from bridge.core import Core
from bridge.errors import NotFound, SendError
from bridge.model import Conversation, Delivery, Message, MessageKind
from bridge.outbox import WorkKind
from bridge.store import MessageUpdate, NewWork, UnitOfWork, WorkItem

log = logging.getLogger(__name__)
ChannelLookup = Callable[[str], ChannelBackend | None]  # a binding id's running backend
# Work a delivered message owes besides (an email when the customer was away).
Afterwards = Callable[[Conversation, Message, SendResult], list[NewWork]]


class CustomerWork:
    def __init__(self, core: Core, max_attempts: int = 8, afterwards: Afterwards | None = None) -> None:
        self.core = core
        self.max_attempts = max_attempts
        self.afterwards = afterwards

    def kinds(self) -> dict[str, WorkKind]:
        return {"customer.send": WorkKind(self.send, max_attempts=self.max_attempts, on_dead=self._failed)}

    async def send(self, items: list[WorkItem]) -> UnitOfWork:
        message = await self.core.message_of(items[0])
        if not relay.reaches_customer(message):  # the one gate for everything sent to customers
            log.error("message %d (%s) is not for the customer; not sent", message.seq, message.kind.value)
            return UnitOfWork()
        conversation = await self.core.view(message.conversation_id)
        backend = self.core.channels(conversation.binding_id)
        if backend is None:
            raise SendError("the channel is not running")
        line = self.core.directory.line_or_removed(conversation.line_id)
        outbound = OutboundMessage(
            seq=message.seq, conversation_id=conversation.id, customer_ref=conversation.customer_ref,
            author=relay.public_author(line, message, conversation), text=message.text, ts=message.ts,
            attachments=message.attachments, thread=conversation.thread, options=message.meta,
            automatic=message.kind is MessageKind.AUTO)
        try:
            result = await backend.send(outbound)
        except SendError:
            raise
        except Exception as exc:  # the reason names the error type only: texts may hold secrets
            log.warning("channel %s raised %s", conversation.binding_id, type(exc).__name__)
            raise SendError(f"unexpected {type(exc).__name__} in the channel") from None
        owed = self.afterwards(conversation, message, result) if self.afterwards else []
        return UnitOfWork(updates=[MessageUpdate(message.seq, Delivery.SENT, result.external_id)], work=owed)

    async def _failed(self, item: WorkItem, reason: str) -> None:
        """A final failure: marked on the message and shown in the conversation's room."""
        message = await self.core.message_of(item)
        unit = self.core.notice(f"✗ Not delivered to the customer: “{relay.preview(message.text)}” — {reason}",
                                message.conversation_id)
        unit.updates.append(MessageUpdate(message.seq, Delivery.FAILED, error=reason))
        await self.core.commit(unit)

