"""What every service of the core shares: the stores, the live directory, the outbox.

``decide`` is the pattern every change follows: read the conversation,
decide with pure rules, commit with the version read; on a conflict read
again and decide again.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bridge.channel_health import ChannelHealth
from bridge.channels import ChannelBackend, Signal
from bridge.directory import Directory
from bridge.errors import Conflict, NotFound, Refused
from bridge.metrics import FIRST_ANSWER_SECONDS, Metrics, NoMetrics
from bridge.model import Conversation, Delivery, Message, MessageKind
from bridge.outbox import Outbox
from bridge.ports import Clock
from bridge.rights import Rights
from bridge.store import Committed, Journal, NewMessage, NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import Work, dm_lane, line_lane

log = logging.getLogger(__name__)
ATTEMPTS = 8


def post(message: NewMessage, author: str = "") -> NewWork:
    """Show ``message`` (one of the unit's messages) in the conversation's room (its ``author``, who
    wrote it elsewhere, needs no private copy of it)."""
    return NewWork(Work.TEAM_POST, {"author": author} if author else {}, message=message)


def send(message: NewMessage) -> NewWork:
    """Deliver ``message`` (one of the unit's messages) to the customer."""
    return NewWork(Work.CUSTOMER_SEND, message=message)


def direct(person: str, text: str, conversation_id: str | None = None) -> NewWork:
    """A private note to one employee (in order with their other notes)."""
    return NewWork(Work.TEAM_DIRECT, {"person": person, "text": text}, conversation_id=conversation_id,
                   lane=dm_lane(person))


def line_note(line_id: str, text: str, conversation_id: str | None = None) -> NewWork:
    """A note in a line's room (where new conversations are announced)."""
    return NewWork(Work.TEAM_ALERT, {"text": text, "line": line_id}, conversation_id=conversation_id,
                   lane=line_lane(line_id))


def line_announcement(conversation: Conversation, line_id: str, preview: str) -> NewWork:
    """A conversation announced in a line's room (its own line's, or the one it moved to)."""
    return NewWork(Work.TEAM_ANNOUNCE, {"preview": preview}, conversation_id=conversation.id, lane=line_lane(line_id))


def invite(person: str, conversation_id: str) -> NewWork:
    """Bring an employee into a conversation's room (in the room's lane: after the room exists)."""
    return NewWork(Work.TEAM_INVITE, {"person": person}, conversation_id=conversation_id)


def mirrors(conversation: Conversation, message: NewMessage | None = None, *, seq: int | None = None,
            author: str = "") -> list[NewWork]:
    """Copies in private for colleagues invited without the history (the room would show it to them):
    of ``message`` (one of the unit's messages), or of the stored message ``seq``."""
    payload = {} if seq is None else {"seq": seq}
    return [NewWork(Work.TEAM_MIRROR, {"person": p.person, **payload}, conversation_id=conversation.id,
                    lane=dm_lane(p.person), message=message)
            for p in conversation.participants if p.since_seq and p.person != author]


def timer(kind: Work, at: float, conversation_id: str | None = None, **payload: object) -> NewWork:
    """Work due at ``at``; it replaces the pending one of its kind for the conversation."""
    return NewWork(kind, payload=payload, not_before=at, conversation_id=conversation_id, replace=True)


async def _no_signal(conversation_id: str, kind: str, data: dict[str, object]) -> None:
    return None


def with_messages(committed: Committed) -> list[WorkItem]:
    """The new work, each item carrying the message it is about when this unit stored it."""
    if len(committed.messages) == 1:  # a customer's message: no lookup table for one
        message = committed.messages[0]
        return [w.about(message) if w.payload.get("seq") == message.seq else w for w in committed.work]
    by_seq: dict[Any, Message] = {m.seq: m for m in committed.messages}
    return [w.about(by_seq[w.payload["seq"]]) if w.payload.get("seq") in by_seq else w for w in committed.work]


class Recent:
    """Conversations as this process last stored or read them: for showing (a post's author, a
    send's address), never for deciding — decisions always read the store and check the version."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._open: dict[str, str] = {}  # open key -> the id of its open conversation, as last seen

    def put(self, conversation: Conversation) -> None:
        known = self._items.get(conversation.id)
        if known is not None and known.version > conversation.version:
            return
        self._items[conversation.id] = conversation
        self._items.move_to_end(conversation.id)
        if conversation.is_open:
            self._open[conversation.open_key] = conversation.id
        elif self._open.get(conversation.open_key) == conversation.id:
            del self._open[conversation.open_key]
        if len(self._items) > self._size:
            _, dropped = self._items.popitem(last=False)
            if self._open.get(dropped.open_key) == dropped.id:
                del self._open[dropped.open_key]

    def get(self, conversation_id: str) -> Conversation | None:
        return self._items.get(conversation_id)

    def open_for(self, open_key: str) -> Conversation | None:
        """The open conversation of a customer as last seen here (the store has the last word)."""
        conversation_id = self._open.get(open_key)
        return self._items.get(conversation_id) if conversation_id is not None else None


@dataclass
class Core:
    journal: Journal
    directory: Directory
    outbox: Outbox
    clock: Clock
    rights: Rights
    channels: Callable[[str], ChannelBackend | None] = lambda _: None
    team_signal: Callable[[str, str, dict[str, object]], Awaitable[None]] = field(default=_no_signal)
    person_name: Callable[[str], str] = lambda person: person.removeprefix("@")  # the team chat's, once wired
    recent: Recent = field(default_factory=Recent)
    metrics: Metrics = field(default_factory=NoMetrics)  # the process's exporter, once wired
    health: ChannelHealth = field(default_factory=ChannelHealth)  # how each channel is doing, in memory

    async def view(self, conversation_id: str) -> Conversation:
        """The conversation to show or address (maybe a moment old); raises NotFound."""
        known = self.recent.get(conversation_id)
        if known is None:
            known = await self.journal.conversations.conversation(conversation_id)
            self.recent.put(known)
        return known

    async def message_of(self, item: WorkItem) -> Message:
        """The message a work item is about: in hand when the same unit stored it, else read."""
        if item.message is not None:
            return item.message
        seq = item.payload.get("seq")
        if not isinstance(seq, int):
            raise NotFound(f"work {item.id} names no message")
        return await self.journal.conversations.message(seq)

    async def signal(self, conversation: Conversation, kind: str, **data: object) -> None:
        """Tell the customer's screen (typing, read, joined…) where the channel can; never fails."""
        backend = self.channels(conversation.binding_id)
        if backend is None:
            return
        try:
            await backend.signal(Signal(kind, conversation.customer_ref, conversation.id, data))
        except Exception as exc:  # a signal is a courtesy: it must never break what caused it
            log.info("signal %s to %s failed: %s", kind, conversation.binding_id, type(exc).__name__)

    async def event(self, conversation: Conversation, kind: str, person: str | None) -> None:
        """joined / transferred / closed on the customer's screen: ``person`` is the operator it is
        about, named as their replies are, where the line shows operators' names (else unnamed)."""
        line = self.directory.line_or_removed(conversation.line_id)
        named = bool(person) and line.settings.yes.operator_names
        # Off the loop: a team chat may look the name up in its own store (the web console's accounts).
        author = await asyncio.to_thread(self.person_name, person) if named and person else ""
        await self.signal(conversation, kind, author=author)

    async def commit(self, unit: UnitOfWork) -> Committed:
        if not unit.messages and unit.empty:  # a decision that changes nothing costs no write transaction
            return Committed(None, [], [])
        self.outbox.stamp(unit)
        committed = await self.journal.conversations.commit(unit)
        if committed.conversation is not None:
            self.recent.put(committed.conversation)
        self.outbox.push(with_messages(committed))
        return committed

    async def decide(self, conversation_id: str,
                     change: Callable[[Conversation], Awaitable[UnitOfWork] | UnitOfWork]) -> Committed:
        # The first decision may start from this process's own copy: a stale copy cannot commit
        # (every change bumps the version the store checks), and a conflict reads the store.
        known = self.recent.get(conversation_id)
        for _ in range(ATTEMPTS):
            conversation = known or await self.journal.conversations.conversation(conversation_id)
            self.recent.put(conversation)
            try:
                unit = change(conversation)
                if not isinstance(unit, UnitOfWork):
                    unit = await unit
            except Refused:
                if known is None:
                    raise
                known = None  # refused on our own copy: refused only if the store says so too
                continue
            known = None
            try:
                committed = await self.commit(unit)
            except Conflict as exc:
                if exc.what != "version":
                    raise
                log.debug("conversation %s changed meanwhile; deciding again", conversation_id)
                continue
            self._answered(conversation, committed.conversation)
            return committed
        raise Refused(f"conversation {conversation_id} is changing too fast; try again")

    def _answered(self, before: Conversation, after: Conversation | None) -> None:
        """Time to first answer, observed once: when a decision gave the conversation its first answer."""
        if before.first_answer_at is None and after is not None and after.first_answer_at is not None:
            self.metrics.observe(FIRST_ANSWER_SECONDS, max(0.0, after.first_answer_at - after.created_at),
                                 (after.line_id,))

    def notice(self, text: str, conversation_id: str | None = None) -> UnitOfWork:
        """A note for the team only, kept in the conversation's history."""
        note = self.note(text, conversation_id)
        return UnitOfWork(messages=[note], work=[post(note)])

    def note(self, text: str, conversation_id: str | None = None) -> NewMessage:
        return NewMessage(MessageKind.NOTICE, "", text, self.clock.now(), conversation_id=conversation_id)

    def for_customer(self, kind: MessageKind, author: str, text: str, **extra: object) -> NewMessage:
        return NewMessage(kind, author, text, self.clock.now(), delivery=Delivery.PENDING, **extra)  # type: ignore[arg-type]
