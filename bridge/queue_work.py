"""Offering waiting conversations to operators, passing them on, and operators coming and going.

An offer is a durable timer (``timer.offer``): due when the conversation
arrives (or when the line opens), again ``wait_seconds`` after each offer, at
once after a skip or when an operator comes back. A restart forgets none.
"""
from __future__ import annotations

from dataclasses import replace

from bridge import relay, rules
from bridge.core import Core, direct, invite, line_note, post, send, timer
from bridge.errors import Refused
from bridge.hours import line_schedule
from bridge.model import Conversation, ConversationStatus, Line, MessageKind
from bridge.outbox import WorkKind
from bridge.queue import Offer, Presence, offer, offered
from bridge.store import UnitOfWork, WorkItem
from bridge.work_kinds import Work


class QueueWork:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.presence = Presence(core.journal.state)

    def kinds(self) -> dict[str, WorkKind]:
        return {Work.TIMER_OFFER: WorkKind(self._due, max_attempts=20)}

    async def _due(self, items: list[WorkItem]) -> UnitOfWork:
        if items[0].conversation_id is not None:
            await self.offer(items[0].conversation_id)
        return UnitOfWork()

    async def offer(self, conversation_id: str) -> None:
        """Offer a waiting conversation to whoever the line's queue mode says (or try again later)."""
        conversation = await self.core.journal.conversations.conversation(conversation_id)
        line = self.core.directory.line_or_removed(conversation.line_id)
        if not conversation.waiting or line.deleted or not line.enabled:
            return
        now = self.core.clock.now()
        opens = line_schedule(line).next_open(now)
        if opens is None or opens > now:  # out of hours: distributed when the next shift starts
            if opens is not None:
                await self.core.commit(UnitOfWork(work=[timer(Work.TIMER_OFFER, opens, conversation_id)]))
            return
        # Operators' loads matter only under a capacity: no read of the line's conversations otherwise.
        open_ones = await self.core.journal.conversations.conversations(
            line_ids=[line.id], open_only=True, limit=10_000) if line.settings.capacity else []
        who = await self.presence.availability(line, open_ones)
        made: list[Offer] = []

        def change(c: Conversation) -> UnitOfWork:
            if c.version < conversation.version:  # this process's older copy: decide() reads the store
                raise Refused("changed since")
            if not c.waiting or (c.offered_to, c.passed) != (conversation.offered_to, conversation.passed):
                return UnitOfWork()  # answered, or offered meanwhile (another process): that offer stands
            result = offer(line, c, who)
            made.append(result)
            return self._offer_unit(c, line, result, now)

        await self.core.decide(conversation_id, change)
        if made:
            await self.presence.offered_now(made[-1].to, now)

    def _offer_unit(self, c: Conversation, line: Line, result: Offer, now: float) -> UnitOfWork:
        waiting = line.settings.text("waiting_text", c.customer_language)
        told = result.new_round and not c.waited and bool(waiting)
        unit = UnitOfWork(conversation=replace(offered(c, result), waited=c.waited or told),
                          work=[timer(Work.TIMER_OFFER, now + line.settings.wait_seconds, c.id)])
        if told:
            told_to_wait = self.core.for_customer(MessageKind.AUTO, "", waiting, conversation_id=c.id)
            unit.messages.append(told_to_wait)
            unit.work += [send(told_to_wait), post(told_to_wait)]
        for person in result.to:
            unit.work.append(direct(person, _offer_text(c, line), c.id))
            unit.work.append(invite(person, c.id))
        return unit

    async def skip(self, conversation_id: str, person: str) -> Conversation:
        """``person`` lets it pass: it goes to the next operator at once."""
        def change(c: Conversation) -> UnitOfWork:
            rules.require_open(c)
            if person not in c.offered_to and c.owner != person:
                raise Refused(f"conversation {c.id} is not offered to you nor yours")
            passed = tuple(dict.fromkeys((*c.passed, person)))
            offered_to = tuple(p for p in c.offered_to if p != person)
            changed = replace(c, offered_to=offered_to, passed=passed)
            if c.owner == person:
                changed = replace(changed, owner=None, participants=tuple(p for p in c.participants
                                                                           if p.person != person),
                                  status=ConversationStatus.QUEUED)
            note = self.core.note(f"{person} let it pass.", c.id)
            return UnitOfWork(conversation=changed, messages=[note],
                              work=[post(note), timer(Work.TIMER_OFFER, self.core.clock.now(), c.id)])

        committed = await self.core.decide(conversation_id, change)
        assert committed.conversation is not None
        return committed.conversation

    async def set_away(self, person: str, away: bool) -> int:
        """Away operators get nothing new, and what was offered to them passes on at once; back, what
        waits offered to nobody (everyone was away) is offered again. What is offered to someone
        present stays theirs until it passes on, as it would have.

        Returns how many conversations wait on the person's lines."""
        await self.presence.set_away(person, away)
        lines = [line.id for line in self.core.directory.live_lines() if person in line.operators]
        if not lines:
            return 0
        waiting = [c for c in await self.core.journal.conversations.conversations(line_ids=lines, limit=10_000)
                   if c.waiting]
        again = [c for c in waiting if (person in c.offered_to if away else not c.offered_to)]
        now = self.core.clock.now()
        if again:
            await self.core.commit(UnitOfWork(work=[timer(Work.TIMER_OFFER, now, c.id) for c in again]))
        return len(waiting)

    async def tell_what_waits(self) -> None:
        """After a restart, each line room hears which conversations are still waiting."""
        now = self.core.clock.now()
        for line in self.core.directory.live_lines():
            waiting = [c for c in await self.core.journal.conversations.conversations(line_ids=[line.id], limit=50)
                       if c.waiting]
            if waiting:
                listed = ", ".join(f"{c.id} ({c.customer_name}, {_age(now - c.created_at)})" for c in waiting[:20])
                await self.core.commit(UnitOfWork(work=[line_note(
                    line.id, f"⏳ Still waiting after a restart: {listed}. !conversations {line.name} lists them.")]))


def _offer_text(c: Conversation, line: Line) -> str:
    return (f"🔔 Conversation {c.id} on {line.name} ({c.customer_name}): “{relay.preview(c.preview, 60)}” is "
            f"offered to you — !answer {c.id} to take it, !skip {c.id} to pass it on.")


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
