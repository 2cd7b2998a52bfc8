"""The first-answer KPI: a conversation still unanswered (or answered late) when its time is up alerts
the line room, the conversation's room and each of the line's supervisors — once per conversation.

``bridge.inbound`` arms ``Work.TIMER_KPI`` at creation + ``kpi_first_answer_seconds``;
this decides when it fires. The alert is committed with a dedupe key of its
own, so a retry after a crash (the alert stored, the timer not yet marked
done) alerts nobody twice.
"""
from __future__ import annotations

import enum

from bridge.core import Core, direct, line_note, post, timer
from bridge.errors import Conflict
from bridge.model import Conversation, Line, MessageKind
from bridge.outbox import WorkKind
from bridge.stats import span
from bridge.store import NewMessage, UnitOfWork, WorkItem
from bridge.work_kinds import Work

KIND = Work.TIMER_KPI


class Verdict(enum.StrEnum):
    FINE = "fine"  # answered in time, spam, or no target
    EARLY = "early"  # not due yet (the target was raised since the timer was set)
    UNANSWERED = "unanswered"  # still waiting past the target
    LATE = "late"  # answered, after the target
    DROPPED = "dropped"  # closed past the target without an answer


def verdict(c: Conversation, target: int, now: float) -> Verdict:
    if not target or c.spam:
        return Verdict.FINE
    due = c.created_at + target
    if c.first_answer_at is not None:
        return Verdict.LATE if c.first_answer_at > due else Verdict.FINE
    if not c.is_open:  # closed unanswered: only a problem if it waited past the target first
        return Verdict.DROPPED if (c.closed_at or now) > due else Verdict.FINE
    return Verdict.UNANSWERED if now >= due else Verdict.EARLY


def alert_text(c: Conversation, line: Line, label: str, found: Verdict, target: int, now: float) -> str:
    who = f"conversation {c.id} ({c.customer_name}, {label}) on {line.name}"
    goal = f"(target: {span(target)})"
    if found is Verdict.LATE:
        return f"⏱ First-answer KPI missed: {who} was first answered after " \
               f"{span((c.first_answer_at or now) - c.created_at)} by {c.owner or 'an operator'} {goal}."
    if found is Verdict.DROPPED:
        return f"⏱ First-answer KPI missed: {who} was closed after {span((c.closed_at or now) - c.created_at)} " \
               f"without an answer {goal}."
    return f"⏱ First-answer KPI missed: {who} has waited {span(now - c.created_at)} without an answer " \
           f"{goal} — !answer {c.id}"


class KpiAlerts:
    def __init__(self, core: Core) -> None:
        self.core = core

    def kinds(self) -> dict[str, WorkKind]:
        return {KIND: WorkKind(self.check, max_attempts=20)}

    async def check(self, items: list[WorkItem]) -> UnitOfWork:
        conversation_id = items[0].conversation_id
        if conversation_id is None:
            return UnitOfWork()
        c = await self.core.journal.conversations.conversation(conversation_id)
        line = self.core.directory.line_or_removed(c.line_id)
        target, now = line.settings.kpi_first_answer_seconds, self.core.clock.now()
        found = verdict(c, target, now)
        if found is Verdict.EARLY:
            return UnitOfWork(work=[timer(KIND, c.created_at + target, c.id)])
        if found is not Verdict.FINE:
            await self._alert(c, line, alert_text(c, line, self.core.directory.channel_label(c), found, target, now))
        return UnitOfWork()

    async def _alert(self, c: Conversation, line: Line, text: str) -> None:
        note = NewMessage(MessageKind.NOTICE, "", text, self.core.clock.now(), conversation_id=c.id,
                          dedupe_key=f"kpi|{c.id}")
        unit = UnitOfWork(messages=[note], work=[post(note), line_note(line.id, text, c.id),
                                                 *(direct(person, text, c.id) for person in line.supervisors)])
        try:
            await self.core.commit(unit)
        except Conflict as exc:
            if exc.what != "dedupe":
                raise  # the journal failed: the outbox retries the timer
            # alerted already (before a restart): nobody is told twice
