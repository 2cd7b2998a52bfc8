"""A conversation as the team reads it afterwards: its transcript by pages, and its customer's record.

Reading needs ``Action.VIEW`` (the conversation's operator, colleagues
invited in, the line's supervisors and admins, and the line's operators
while it waits). A colleague invited without history reads only what
followed the invitation, whatever page they ask for.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from bridge.core import Core
from bridge.errors import Refused
from bridge.model import Conversation, Line, Message
from bridge.ports import ContactCard, Crm
from bridge.rights import Action

log = logging.getLogger(__name__)
PAGE = 30  # messages a page; page 1 is the newest
MAX_PAGE = 10_000
PAST = 10  # past conversations a CRM record lists


@dataclass(frozen=True)
class TranscriptPage:
    conversation: Conversation
    line: Line
    number: int
    messages: list[Message]  # oldest first
    older: bool  # an older page exists
    pages: int | None  # known when this page reached the oldest message
    since_seq: int  # > 0: the reader sees only what followed their invitation


@dataclass(frozen=True)
class CustomerRecord:
    conversation: Conversation
    card: ContactCard | None
    problem: str  # why there is no card ("" when there is one)
    past: list[Conversation]  # the customer's other conversations on the channel, newest last
    past_total: int


class Transcripts:
    def __init__(self, core: Core, crm: Crm | None = None) -> None:
        self.core = core
        self.crm = crm

    async def readable(self, conversation_id: str, person: str) -> tuple[Conversation, Line]:
        c = await self.core.journal.conversations.conversation(conversation_id)
        line = self.core.directory.line_or_removed(c.line_id)
        if not self.core.rights.allows(person, Action.VIEW, line, c):
            raise Refused(f"conversation {c.id} is not yours to read: only its operator, colleagues invited in, "
                          f"and line {line.name}'s supervisors and admins may")
        return c, line

    def _visible_after(self, c: Conversation, line: Line, person: str) -> int:
        me = c.participant(person)
        if me is None or self.core.rights.allows(person, Action.SUPERVISE, line):
            return 0
        return me.since_seq

    async def page(self, conversation_id: str, person: str, number: int = 1) -> TranscriptPage:
        if not 1 <= number <= MAX_PAGE:
            raise Refused(f"--page is a whole number from 1 to {MAX_PAGE}")
        c, line = await self.readable(conversation_id, person)
        after = self._visible_after(c, line, person)
        # The newest number×PAGE (+1 to know if older ones exist); this page is the oldest PAGE of them.
        found = await self.core.journal.conversations.messages(c.id, after_seq=after, limit=number * PAGE + 1)
        older = len(found) > number * PAGE
        newest_first_end = len(found) - (number - 1) * PAGE
        shown = found[max(0, newest_first_end - PAGE):max(0, newest_first_end)]
        pages = None if older else max(1, -(-len(found) // PAGE))
        if not shown and number > 1:
            raise Refused(f"conversation {c.id} has {pages} page(s) of messages")
        return TranscriptPage(c, line, number, shown, older, pages, after)

    # -- the CRM record ----------------------------------------------------------------------
    async def record(self, conversation_id: str, person: str) -> CustomerRecord:
        c, line = await self.readable(conversation_id, person)
        card, problem = await self._card(c, line)
        others = await self.core.journal.conversations.conversations(
            customer=(c.binding_id, c.customer_ref), open_only=False, limit=1000)
        past = [o for o in others if o.id != c.id]
        return CustomerRecord(c, card, problem, past[-PAST:], len(past))

    async def _card(self, c: Conversation, line: Line) -> tuple[ContactCard | None, str]:
        if c.contact_id is None:
            if not line.settings.yes.crm:
                return None, f"line {line.name} does not record customers in the CRM (crm is off)"
            return None, "the customer is not linked to a CRM contact yet; try again in a moment"
        if self.crm is None:
            return None, "no CRM is connected"
        try:
            card = await self.crm.card(c.contact_id)
        except Exception as exc:  # the CRM is outside: a failure is said, never a crash
            log.warning("CRM card of %s failed: %s", c.contact_id, type(exc).__name__)
            return None, f"the CRM cannot be read right now ({type(exc).__name__})"
        if card is None:
            return None, f"its CRM contact {c.contact_id} no longer exists"
        return card, ""

