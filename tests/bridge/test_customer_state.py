"""A customer's record is changed in one transaction: a change made meanwhile is never lost (both stores)."""
from __future__ import annotations

import asyncio
from dataclasses import replace

from backends.base import CustomerStates
from bridge.mail_work import MailWork
from bridge.model import MessageKind
from bridge.store import NewMessage, UnitOfWork, WorkItem


class SlowMailer:
    """An SMTP send that takes its time: the test acts while it is under way."""

    def __init__(self) -> None:
        self.sending, self.done = asyncio.Event(), asyncio.Event()
        self.sent: list[str] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append(to)
        self.sending.set()
        await self.done.wait()


async def _missed_reply(app):
    c = await app.conversation((await app.say("anyone there?")).conversation_id)
    await app.settle()  # the room is opened: nothing else changes the conversation now
    c = await app.conversation(c.id)
    done = await app.journal.conversations.commit(UnitOfWork(
        conversation=replace(c, customer_email="alice@example.com"),
        messages=[NewMessage(MessageKind.REPLY, "bob", "We will call you back", app.clock.now())]))
    return done.conversation, done.messages[0]


async def test_a_token_revoked_while_the_missed_replies_are_mailed_stays_revoked(app):
    c, reply = await _missed_reply(app)
    state = app.journal.state
    await state.put(c.binding_id, c.customer_ref, {"seen": 1.0})
    mailer = SlowMailer()
    item = WorkItem(id=1, kind="mail.missed", lane=f"mail:{c.id}", conversation_id=c.id, payload={}, not_before=0)

    mailing = asyncio.create_task(MailWork(app.services.core, mailer).missed([item]))
    await asyncio.wait_for(mailer.sending.wait(), 10)
    await CustomerStates(state, c.binding_id).change(c.customer_ref, lambda s: s.update(revoked=True))  # "forget me"
    mailer.done.set()
    await mailing

    assert mailer.sent == ["alice@example.com"]
    assert await state.get(c.binding_id, c.customer_ref) == {"seen": 1.0, "revoked": True, "mailed_seq": reply.seq}

