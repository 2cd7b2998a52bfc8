"""What operators do to a conversation: answer, write, whisper, close."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from bridge import relay, rules
from bridge.core import Core, mirrors, post, send
from bridge.errors import Conflict, Refused
from bridge.ratings import Ratings
from bridge.model import Attachment, Conversation, Line, Message, MessageKind
from bridge.rights import Action
from bridge.store import NewMessage, NewWork, UnitOfWork
from bridge.work_kinds import CONVERSATION_TIMERS, Work




class OperatorActions:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.ratings = Ratings(core)

    def _line(self, conversation: Conversation) -> Line:
        return self.core.directory.line_or_removed(conversation.line_id)

    def check(self, person: str, action: Action, conversation: Conversation) -> Line:
        line = self._line(conversation)
        self.core.rights.check(person, action, line, conversation)
        return line

    async def conversation(self, conversation_id: str, person: str) -> Conversation:
        conversation = await self.core.journal.conversations.conversation(conversation_id)
        self.check(person, Action.VIEW, conversation)
        return conversation

    async def answer(self, conversation_id: str, person: str) -> Conversation:
        """``person`` takes the conversation; exactly one of two at once wins."""
        def change(c: Conversation) -> UnitOfWork:
            self.check(person, Action.ANSWER, c)
            taken = rules.claimed(c, person, self.core.clock.now())
            if taken is c:
                return UnitOfWork()
            note = self.core.note(f"{person} answers this conversation.")
            return UnitOfWork(conversation=taken, messages=[note], work=[post(note)],
                              cancel=[(Work.TIMER_OFFER, c.id)])

        committed = await self.core.decide(conversation_id, change)
        if committed.conversation is not None:  # taken just now: the customer's screen may say who joined
            await self.core.event(committed.conversation, "joined", person)
        return committed.conversation or await self.core.journal.conversations.conversation(conversation_id)

    async def reply(self, conversation_id: str, person: str, text: str, *, name: str = "",
                    key: str | None = None, attachments: tuple[Attachment, ...] = (),
                    options: Mapping[str, Any] | None = None, show_in_room: bool = False) -> Message:
        """An operator's message for the customer; writing first answers a waiting conversation.

        ``key`` makes a retried send (after a timeout) store and send nothing twice; ``options``
        reach the channel as ``OutboundMessage.options`` (a comment's {"visibility": "private"}).
        ``show_in_room``: the conversation's room does not show the text yet (it was written elsewhere,
        or is a canned answer), so it is posted there, signed, for colleagues to see what was sent.
        """
        text = _checked(text, attachments)
        dedupe = f"reply|{person}|{key}" if key else None

        def change(c: Conversation) -> UnitOfWork:
            self.check(person, Action.WRITE, c)
            rules.require_open(c)
            unit = UnitOfWork()
            if c.owner is None:
                unit.conversation = rules.claimed(c, person, self.core.clock.now())
                note = self.core.note(f"{person} answers this conversation.", c.id)
                unit.messages.append(note)
                unit.work.append(post(note))
                unit.cancel.append((Work.TIMER_OFFER, c.id))
            reply = self.core.for_customer(MessageKind.REPLY, person, text, conversation_id=c.id,
                                           attachments=attachments, dedupe_key=dedupe,
                                           meta={**(options or {}), **({"name": name} if name else {})})
            unit.messages.append(reply)
            # Written in the room, the room shows it already; else the post's own mirrors follow it.
            shown = [post(reply, author=person)] if show_in_room else mirrors(c, reply, author=person)
            unit.work += [send(reply), *shown]
            return unit

        try:
            committed = await self.core.decide(conversation_id, change)
        except Conflict as exc:
            if exc.what != "dedupe" or dedupe is None:
                raise
            return await self._sent_before(conversation_id, dedupe)
        reply = committed.messages[-1]
        conversation = committed.conversation or await self.core.view(conversation_id)  # just read by decide()
        await self.core.signal(conversation, "read", seq=reply.seq - 1)  # answering is having read
        return reply

    async def _sent_before(self, conversation_id: str, dedupe: str) -> Message:
        stored, _ = await self.core.journal.conversations.inbound_state(dedupe, "")
        if stored is None:
            raise Refused("the message could not be stored; send it again")
        return stored

    async def room_message(self, conversation_id: str, person: str, text: str, *, name: str = "",
                           prefixes: tuple[str, ...] = ("!",), attachments: tuple[Attachment, ...] = (),
                           key: str | None = None) -> Message | None:
        """A plain message in a conversation's room: to the customer, or a whisper (``~``, or whisper mode);
        files the operator attached go with it (alone too). ``key``: the team chat's id of the message, so
        one handed over again (after a restart) is stored and sent once."""
        conversation = await self.core.journal.conversations.conversation(conversation_id)
        kind = relay.classify_team_text(text, prefixes, conversation.whisper_mode)
        if kind is relay.TeamText.WHISPER:
            return await self.whisper(conversation_id, person, text, key=key)
        if kind is relay.TeamText.REPLY or (attachments and kind is relay.TeamText.IGNORED):
            return await self.reply(conversation_id, person, text.strip(), name=name, key=key,
                                    attachments=attachments)
        return None

    async def whisper(self, conversation_id: str, person: str, text: str, *, key: str | None = None) -> Message:
        """Operators among themselves: kept in the history, never sent to the customer; once per ``key``."""
        text = _checked(text.strip().removeprefix(relay.WHISPER_PREFIX).strip(), ())
        dedupe = f"whisper|{person}|{key}" if key else None

        def change(c: Conversation) -> UnitOfWork:
            self.check(person, Action.WRITE, c)
            rules.require_open(c)
            note = NewMessage(MessageKind.WHISPER, person, text, self.core.clock.now(), conversation_id=c.id,
                              dedupe_key=dedupe)
            # The room shows it already (the operator wrote it there); private copies for the others.
            return UnitOfWork(messages=[note], work=mirrors(c, note, author=person))

        try:
            committed = await self.core.decide(conversation_id, change)
        except Conflict as exc:
            if exc.what != "dedupe" or dedupe is None:
                raise
            return await self._sent_before(conversation_id, dedupe)
        return committed.messages[0]

    async def close(self, conversation_id: str, person: str, *, silent: bool = False) -> Conversation:
        def change(c: Conversation) -> UnitOfWork:
            line = self.check(person, Action.ACT, c)
            return self.closing(c, line, f"closed by {person}", f"Conversation closed by {person}.",
                                "" if silent else line.settings.text("closing_text", c.customer_language))

        committed = await self.core.decide(conversation_id, change)
        assert committed.conversation is not None
        await self.closed(committed.conversation, person)
        return committed.conversation

    async def closed(self, c: Conversation, by: str = "") -> None:
        """After a close is stored: the customer's screen hears it, and is asked to rate where the line wants."""
        await self.core.event(c, "closed", by)
        await self.ratings.asked(c)

    def closing(self, c: Conversation, line: Line, reason: str, notice: str, text: str) -> UnitOfWork:
        """Close ``c``: an optional last message to the customer, the transcript to the CRM."""
        unit = UnitOfWork(conversation=rules.closed(c, reason, self.core.clock.now()),
                          cancel=[(kind, c.id) for kind in CONVERSATION_TIMERS])
        if text:
            goodbye = self.core.for_customer(MessageKind.AUTO, "", text, conversation_id=c.id)
            unit.messages.append(goodbye)
            unit.work += [send(goodbye), post(goodbye)]
        self.ratings.asking(c, unit)
        note = self.core.note(notice, c.id)
        unit.messages.append(note)
        unit.work.append(post(note))
        if line.settings.yes.crm or c.contact_id:
            unit.work.append(NewWork(Work.CRM_TRANSCRIPT, conversation_id=c.id))
        return unit

    async def operator_signal(self, conversation_id: str, person: str, kind: str, data: dict[str, object]) -> None:
        """An operator typing, or having read up to a seq: shown to the customer where the channel can."""
        conversation = await self.conversation(conversation_id, person)
        if conversation.is_open:
            await self.core.signal(conversation, kind, **data)

    async def set_whisper_mode(self, conversation_id: str, person: str, on: bool) -> Conversation:
        def change(c: Conversation) -> UnitOfWork:
            self.check(person, Action.WRITE, c)
            state = "on: plain messages here stay internal" if on else "off: plain messages here reach the customer"
            note = self.core.note(f"🤫 Whisper mode {state} (set by {person}).", c.id)
            return UnitOfWork(conversation=replace(c, whisper_mode=on), messages=[note], work=[post(note)])

        committed = await self.core.decide(conversation_id, change)
        assert committed.conversation is not None
        return committed.conversation


def _checked(text: str, attachments: tuple[Attachment, ...]) -> str:
    if not relay.well_formed(text):
        raise Refused("a message that is not well-formed Unicode")
    if not text.strip() and not attachments:
        raise Refused("an empty message")
    if len(text) > relay.MAX_TEXT:
        raise Refused(f"a message longer than {relay.MAX_TEXT} characters")
    return text
