"""Moving conversations between people and lines, and marking them: transfer, invite, pin, spam.

The room stays the same through all of it (it is the conversation's, not
the line's), so whoever receives a conversation sees its whole history.
"""
from __future__ import annotations

from dataclasses import replace

from bridge import relay, rules
from bridge.actions import OperatorActions
from bridge.core import Core, direct, invite, line_announcement, post, timer
from bridge.errors import Refused
from bridge.model import Conversation, Line
from bridge.ratings import customer_slot
from bridge.rights import Action
from bridge.store import NewWork, UnitOfWork
from bridge.work_kinds import Work



class Moves:
    def __init__(self, core: Core, actions: OperatorActions) -> None:
        self.core = core
        self.actions = actions

    def _line(self, c: Conversation) -> Line:
        return self.core.directory.line_or_removed(c.line_id)

    async def transfer_to_person(self, conversation_id: str, actor: str, person: str) -> Conversation:
        """Only the assigned operator, a supervisor or an admin may transfer; the customer notices nothing."""
        def change(c: Conversation) -> UnitOfWork:
            self._may_transfer(actor, c)
            if c.owner == person:
                raise Refused(f"conversation {c.id} is already {person}'s")
            moved = rules.handed_to(c, person)
            text = f"↪ Transferred to {person} by {actor}{'' if c.owner in (None, actor) else f' (was {c.owner})'}."
            note = self.core.note(text, c.id)
            work = [post(note), invite(person, c.id)]
            if person != actor:  # a room's unread badge is easy to miss: they are told in private
                work.append(direct(person, _handed_text(c, self._line(c), actor), c.id))
            return UnitOfWork(conversation=replace(moved, first_answer_at=c.first_answer_at or self.core.clock.now()),
                              messages=[note], work=work, cancel=[(Work.TIMER_OFFER, c.id)])

        return await self._decide(conversation_id, change, "transferred", person)

    async def transfer_to_line(self, conversation_id: str, actor: str, line_name: str) -> Conversation:
        target = self.core.directory.find_line(line_name)

        def change(c: Conversation) -> UnitOfWork:
            self._may_transfer(actor, c)
            if target.id == c.line_id:
                raise Refused(f"conversation {c.id} is already on line {target.name}")
            moved = rules.handed_to(c, None, target.id)
            text = f"↪ Transferred to line {target.name} by {actor}; it waits for one of its operators."
            note = self.core.note(text, c.id)
            return UnitOfWork(conversation=moved, messages=[note], work=[
                post(note), line_announcement(c, target.id, c.preview),
                timer(Work.TIMER_OFFER, self.core.clock.now(), c.id)])

        return await self._decide(conversation_id, change, "transferred", None)  # nobody yet: said unnamed

    def _may_transfer(self, actor: str, c: Conversation) -> None:
        rules.require_open(c)
        line = self._line(c)
        if c.owner != actor and not self.core.rights.allows(actor, Action.SUPERVISE, line):
            raise Refused(f"only the operator who has conversation {c.id}, or a supervisor of line {line.name}, "
                          "may transfer it")

    async def invite(self, conversation_id: str, actor: str, person: str, with_history: bool) -> Conversation:
        newest = await self.core.journal.conversations.messages(conversation_id, limit=1)
        last_seq = newest[-1].seq if newest else 0

        def change(c: Conversation) -> UnitOfWork:
            self.actions.check(actor, Action.ACT, c)
            since = 0 if with_history else last_seq
            how = "with the history" if with_history else "without the history (what follows only)"
            note = self.core.note(f"➕ {actor} invited {person} {how}.", c.id)
            unit = UnitOfWork(conversation=rules.invited(c, person, since), messages=[note], work=[post(note)])
            if with_history:  # the room shows everything; without it, new posts reach them in private
                unit.work.append(invite(person, c.id))
            return unit

        return await self._decide(conversation_id, change, "joined", person)

    async def pin(self, conversation_id: str, actor: str, on: bool) -> Conversation:
        """A pinned conversation is not auto-closed, for at most the line's pin_max_minutes."""
        def change(c: Conversation) -> UnitOfWork:
            self.actions.check(actor, Action.ACT, c)
            rules.require_open(c)
            line = self._line(c)
            until = self.core.clock.now() + line.settings.pin_max_minutes * 60 if on else None
            text = (f"📌 Pinned by {actor} for up to {line.settings.pin_max_minutes} minutes: it is not auto-closed "
                    "meanwhile." if on else f"📌 Unpinned by {actor}.")
            note = self.core.note(text, c.id)
            return UnitOfWork(conversation=replace(c, pinned_until=until), messages=[note], work=[post(note)])

        return await self._decide(conversation_id, change)

    async def spam(self, conversation_id: str, actor: str) -> Conversation:
        """Closed without a word to the customer; their messages are kept but not announced for a while."""
        def change(c: Conversation) -> UnitOfWork:
            line = self.actions.check(actor, Action.ACT, c)
            unit = self.actions.closing(replace(c, spam=True), line, "spam", f"🚫 Marked as spam by {actor}.", "")
            if c.contact_id:
                unit.work.append(NewWork(Work.CRM_TAG, {"tag": "spam"}, conversation_id=c.id))
            return unit

        closed = await self._decide(conversation_id, change)
        minutes = self._line(closed).settings.spam_minutes
        if minutes:
            slot = customer_slot(closed.binding_id)
            until = self.core.clock.now() + minutes * 60
            await self.core.journal.state.update(slot, closed.customer_ref, lambda s: {**s, "spam_until": until})
        return closed

    async def _decide(self, conversation_id: str, change: object, event: str | None = None,
                      person: str | None = None) -> Conversation:
        """Decide ``change``; then tell the customer's screen ``event`` about ``person`` (who joined, who has it)."""
        committed = await self.core.decide(conversation_id, change)  # type: ignore[arg-type]
        assert committed.conversation is not None
        if event:
            await self.core.event(committed.conversation, event, person)
        return committed.conversation


def _handed_text(c: Conversation, line: Line, actor: str) -> str:
    return (f"↪ {actor} handed you conversation {c.id} on {line.name} ({c.customer_name}): "
            f"“{relay.preview(c.preview, 60)}”. It is yours now: write in its room, or !reply {c.id} <text>.")
