"""Customers rate a closed conversation (when the line asks them); supervisors rate it 1 to 5.

Channels with buttons (the website chat) get a ``rating_request`` signal;
the others get a short text, and a reply of 1 or 0 is the rating — kept in
the closed conversation, never opening a new one.
"""
from __future__ import annotations

from dataclasses import replace

from bridge.core import Core, post, send
from bridge.errors import Refused
from bridge.model import Conversation, MessageKind, Rating
from bridge.rights import Action
from bridge.store import NewMessage, UnitOfWork

ASK = "How did we do? Reply 1 if we helped you, 0 if we did not."
GOOD, BAD = ("1", "👍", "good", "yes"), ("0", "👎", "bad", "no")
RATING_DAYS = 3
RATINGS = frozenset(r.value for r in Rating)


def customer_slot(binding_id: str) -> str:
    """The state store's slot for what Open Lines itself keeps per customer (spam, a pending rating)."""
    return f"openlines:customer:{binding_id}"


def rating_of(text: str) -> Rating | None:
    word = text.strip().lower().rstrip(".!")
    return Rating.GOOD if word in GOOD else Rating.BAD if word in BAD else None


class Ratings:
    def __init__(self, core: Core) -> None:
        self.core = core

    def asking(self, c: Conversation, unit: UnitOfWork) -> None:
        """Add the question to a closing unit, for channels without buttons."""
        line = self.core.directory.line_or_removed(c.line_id)
        backend = self.core.channels(c.binding_id)
        if line.settings.yes.ratings and not c.spam and not (backend and backend.rates_with_buttons):
            question = self.core.for_customer(MessageKind.AUTO, "", ASK, conversation_id=c.id)
            unit.messages.append(question)
            unit.work += [send(question), post(question)]

    async def asked(self, c: Conversation) -> None:
        """After the close is stored: remember the question, and show the buttons where there are some."""
        line = self.core.directory.line_or_removed(c.line_id)
        if not line.settings.yes.ratings or c.spam:
            return
        slot = customer_slot(c.binding_id)
        until = self.core.clock.now() + RATING_DAYS * 86400
        await self.core.journal.state.update(slot, c.customer_ref,
                                             lambda s: {**s, "rating_for": c.id, "rating_until": until})
        await self.core.signal(c, "rating_request", conversation_id=c.id)

    async def pending(self, binding_id: str, customer_ref: str) -> str | None:
        """The closed conversation the customer was asked to rate, if still open to a rating."""
        state = await self.core.journal.state.get(customer_slot(binding_id), customer_ref)
        if state.get("rating_for") and float(state.get("rating_until", 0)) > self.core.clock.now():
            return str(state["rating_for"])
        return None

    async def rate(self, binding_id: str, customer_ref: str, conversation_id: str, value: str,
                   reply: NewMessage | None = None) -> Conversation:
        """The customer's rating; ``reply`` is their 1/0 message, kept in the closed conversation."""
        if value not in RATINGS:
            raise Refused("a rating is good or bad")
        if await self.pending(binding_id, customer_ref) != conversation_id:
            raise Refused(f"conversation {conversation_id} is not waiting for a rating")

        def change(c: Conversation) -> UnitOfWork:
            if c.customer_ref != customer_ref or c.binding_id != binding_id or c.customer_rating:
                raise Refused(f"conversation {conversation_id} is not waiting for a rating")
            unit = UnitOfWork(conversation=replace(c, customer_rating=Rating(value)))
            if reply is not None:
                unit.messages.append(replace(reply, conversation_id=c.id))
            note = self.core.note(f"⭐ The customer rated this conversation: {value}.", c.id)
            unit.messages.append(note)
            unit.work.append(post(note))
            return unit

        committed = await self.core.decide(conversation_id, change)
        slot = customer_slot(binding_id)
        await self.core.journal.state.update(slot, customer_ref, lambda s: {
            k: v for k, v in s.items() if k not in ("rating_for", "rating_until")})
        assert committed.conversation is not None
        return committed.conversation

    async def supervise(self, conversation_id: str, actor: str, stars: int, comment: str) -> Conversation:
        if not 1 <= stars <= 5:
            raise Refused("a supervisor's rating is 1 to 5 stars")

        def change(c: Conversation) -> UnitOfWork:
            line = self.core.directory.line_or_removed(c.line_id)
            self.core.rights.check(actor, Action.SUPERVISE, line, c)
            text = f"{'★' * stars}{'☆' * (5 - stars)} rated by {actor}{': ' + comment if comment else ''}"
            note = self.core.note(text, c.id)
            return UnitOfWork(conversation=replace(c, supervisor_rating=stars, rating_comment=comment[:500]),
                              messages=[note], work=[post(note)])

        committed = await self.core.decide(conversation_id, change)
        assert committed.conversation is not None
        return committed.conversation
