"""Durable timers: work items due later, so a restart forgets none.

A timer is replaced, not stacked (one pending per kind and conversation),
and checks its conditions again when it fires: a customer who wrote since,
or a pin, simply moves it. (So a customer's message costs no timer write.)
"""
from __future__ import annotations

from bridge.actions import OperatorActions
from bridge.core import Core, timer
from bridge.model import Conversation, MessageKind
from bridge.outbox import WorkKind
from bridge.store import UnitOfWork, WorkItem
from bridge.work_kinds import Work


class Timers:
    def __init__(self, core: Core, actions: OperatorActions) -> None:
        self.core = core
        self.actions = actions

    def kinds(self) -> dict[str, WorkKind]:
        return {Work.TIMER_AUTOCLOSE: WorkKind(self.autoclose, max_attempts=20)}

    async def autoclose(self, items: list[WorkItem]) -> UnitOfWork:
        conversation_id = items[0].conversation_id
        if conversation_id is None:
            return UnitOfWork()
        committed = await self.core.decide(conversation_id, self._autoclose_now)
        if committed.conversation is not None and not committed.conversation.is_open:
            await self.actions.closed(committed.conversation)
        return UnitOfWork()

    async def _autoclose_now(self, c: Conversation) -> UnitOfWork:
        # The customer's last word is read in each attempt, and the close holds only while it stays their
        # last (quiet_after): a message stored meanwhile, by any process, makes the store refuse it.
        newest = await self.core.journal.conversations.messages(c.id, limit=1,
                                                                kinds=frozenset({MessageKind.INBOUND}))
        unit = self._autoclose(c, newest[-1].ts if newest else None)
        if unit.conversation is not None and not unit.conversation.is_open:
            unit.quiet_after = (c.id, newest[-1].seq if newest else 0)
        return unit

    def _autoclose(self, c: Conversation, last_word: float | None) -> UnitOfWork:
        if not c.is_open:
            return UnitOfWork()
        line = self.core.directory.line_or_removed(c.line_id)
        minutes = line.settings.autoclose_minutes
        now = self.core.clock.now()
        if not minutes:
            return UnitOfWork()
        silent_until = (last_word or c.created_at) + minutes * 60
        if silent_until > now:  # the customer wrote since: wait for the silence from their last word
            return UnitOfWork(work=[timer(Work.TIMER_AUTOCLOSE, silent_until, c.id)])
        if c.pinned_until is not None and c.pinned_until > now:
            return UnitOfWork(work=[timer(Work.TIMER_AUTOCLOSE, c.pinned_until, c.id)])
        return self.actions.closing(
            c, line, "closed after the customer's silence",
            f"Closed automatically after {minutes} minutes without news from the customer.",
            line.settings.text("autoclose_text", c.customer_language))

