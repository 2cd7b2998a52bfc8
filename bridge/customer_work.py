"""Owed work toward customers: each message sent once, in order per conversation."""
from __future__ import annotations

import logging
from typing import Callable

from bridge import relay
from bridge.channels import ChannelBackend, OutboundMessage, SendResult
from bridge.core import Core
from bridge.errors import CredentialsRefused, RateLimited, SendError, channel_problem
from bridge.metrics import SEND_FAILURES, SEND_RETRIES, SENT, channel_kind, failure_reason
from bridge.model import Conversation, Delivery, Message, MessageKind
from bridge.outbox import WorkKind
from bridge.store import MessageUpdate, NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import Work

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
        return {Work.CUSTOMER_SEND: WorkKind(self.send, max_attempts=self.max_attempts, on_dead=self._failed)}

    async def send(self, items: list[WorkItem]) -> UnitOfWork:
        try:
            return await self._send(items[0])
        except SendError as exc:
            self._count_failure(items[0], exc)
            raise

    def _count_failure(self, item: WorkItem, error: SendError) -> None:
        """A retry, or the last try (the outbox gives up on the same terms)."""
        channel = self._channel_of(item)
        if error.retryable and item.attempts + 1 < self.max_attempts:
            self.core.metrics.count(SEND_RETRIES, (channel,))
        else:
            reason = failure_reason(error.retryable, error.retry_after, error.reason)
            self.core.metrics.count(SEND_FAILURES, (channel, reason))

    def _channel_of(self, item: WorkItem) -> str:
        """The channel kind from the conversation in hand (sending it read it), else "unknown"."""
        known = self.core.recent.get(item.conversation_id) if item.conversation_id else None
        return channel_kind(known.binding_id) if known is not None else "unknown"

    async def _send(self, item: WorkItem) -> UnitOfWork:
        message = await self.core.message_of(item)
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
        except SendError as exc:
            self._noted(conversation.binding_id, exc)
            raise
        except Exception as exc:  # the reason names the error type only: texts may hold secrets
            log.warning("channel %s raised %s", conversation.binding_id, type(exc).__name__)
            self.core.health.send_failed(conversation.binding_id, f"unexpected {type(exc).__name__}")
            raise SendError(f"unexpected {type(exc).__name__} in the channel") from None
        self.core.metrics.count(SENT, (conversation.line_id, channel_kind(conversation.binding_id)))
        self.core.health.sent(conversation.binding_id)
        owed = self.afterwards(conversation, message, result) if self.afterwards else []
        return UnitOfWork(updates=[MessageUpdate(message.seq, Delivery.SENT, result.external_id)], work=owed)

    def _noted(self, binding_id: str, exc: SendError) -> None:
        """A failure of the channel's own counts toward its health; a refusal for one customer (blocked, too
        long) or a platform's "slow down" says nothing of the channel."""
        if isinstance(exc, CredentialsRefused):
            self.core.health.send_failed(binding_id, channel_problem(exc), at_once=True)
        elif exc.retryable and not isinstance(exc, RateLimited):
            self.core.health.send_failed(binding_id, exc.reason)

    async def _failed(self, item: WorkItem, reason: str) -> None:
        """A final failure: marked on the message and shown in the conversation's room."""
        message = await self.core.message_of(item)
        unit = self.core.notice(f"✗ Not delivered to the customer: “{relay.preview(message.text)}” — {reason}",
                                message.conversation_id)
        unit.updates.append(MessageUpdate(message.seq, Delivery.FAILED, error=reason))
        await self.core.commit(unit)

