"""Missed replies by email: one digest per quiet period to a customer who had no screen open.

When an operator's reply reaches a channel that says the customer was not
there (``SendResult.customer_present is False``), a durable timer is set
``offline_email_seconds`` later; every further reply moves it (one digest
per quiet period). When it fires, the replies the customer has neither read
(the channel keeps ``read_seq`` in the customer's state) nor been mailed
(``mailed_seq``) go out in one email, retried like any other send.
"""
from __future__ import annotations

import logging
from typing import Protocol

from bridge import relay
from bridge.channels import SendResult
from bridge.core import Core, timer
from bridge.errors import NotFound
from bridge.model import Conversation, Message, MessageKind
from bridge.outbox import WorkKind
from bridge.store import NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import Work

log = logging.getLogger(__name__)
KIND = Work.MAIL_MISSED
DIGEST_LIMIT = 50  # replies in one email; older unread ones are in the chat


class Mailer(Protocol):
    """Sends one plain-text email; raises ``bridge.errors.SendError`` (retryable or not)."""

    async def send(self, to: str, subject: str, body: str) -> None: ...


class MailWork:
    def __init__(self, core: Core, mailer: Mailer) -> None:
        self.core = core
        self.mailer = mailer

    def kinds(self) -> dict[str, WorkKind]:
        return {KIND: WorkKind(self.missed, max_attempts=10)}

    def owed(self, conversation: Conversation, message: Message, result: SendResult) -> list[NewWork]:
        """The timer a reply to an absent customer sets (or moves); none when they were there."""
        if result.customer_present is not False or message.kind is not MessageKind.REPLY:
            return []
        seconds = self.core.directory.line_or_removed(conversation.line_id).settings.offline_email_seconds
        if not conversation.customer_email or seconds <= 0:
            return []
        return [timer(KIND, self.core.clock.now() + seconds, conversation.id)]

    async def missed(self, items: list[WorkItem]) -> UnitOfWork:
        if items[0].conversation_id is None:
            raise NotFound(f"work {items[0].id} names no conversation")
        c = await self.core.journal.conversations.conversation(items[0].conversation_id)
        if not c.customer_email:
            return UnitOfWork()
        state = await self.core.journal.state.get(c.binding_id, c.customer_ref)
        mark = max(int(state.get("read_seq", 0) or 0), int(state.get("mailed_seq", 0) or 0))
        replies = await self.core.journal.conversations.messages(
            c.id, after_seq=mark, limit=DIGEST_LIMIT, kinds=frozenset({MessageKind.REPLY}))
        if not replies:
            return UnitOfWork()  # read meanwhile, or mailed already
        subject, body = self._digest(c, replies)
        await self.mailer.send(c.customer_email, subject, body)
        # After the send: a crash in between mails the same digest again, never loses it.
        # One transaction: a change made during the send (a read mark, a revoked token) stays.
        mailed = replies[-1].seq
        await self.core.journal.state.update(c.binding_id, c.customer_ref, lambda now: {
            **now, "mailed_seq": max(mailed, int(now.get("mailed_seq", 0) or 0))})
        log.info("mailed %d missed replies of conversation %s", len(replies), c.id)
        return UnitOfWork()

    def _digest(self, c: Conversation, replies: list[Message]) -> tuple[str, str]:
        line = self.core.directory.line_or_removed(c.line_id)
        parts = [f"Hello {c.customer_name}," if c.customer_named else "Hello,", "",
                 f"{line.name} answered you while you were away:", ""]
        for m in replies:
            parts += [f"{relay.public_author(line, m, c)}:", m.text, *(f"[file] {a.describe()} {a.url}"
                                                                     for a in m.attachments), ""]
        backend = self.core.channels(c.binding_id)
        link = backend.chat_url() if backend is not None else None
        if link:
            parts += ["Continue the conversation:", link, ""]
        parts.append(f"— {line.name}")
        count = len(replies)
        subject = f"{line.name}: {count} new {'reply' if count == 1 else 'replies'}"
        return subject, "\n".join(parts)
