"""Reading the work: the open conversations of one's lines, and a line's statistics.

Who sees what is decided here, with ``Rights`` as everywhere: anyone with a
role on a line sees its open conversations; statistics are for the line's
supervisors and admins (bot admins: every line).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import enum
from dataclasses import dataclass

from bridge import stats
from bridge.admin import LineAdmin
from bridge.errors import Refused
from bridge.hours import parse_zone
from bridge.model import Conversation, Line
from bridge.relay import customer_label
from bridge.rights import Action

MAX_OPEN = 1000  # an open list longer than this is cut (the oldest are kept: they matter most)
MAX_STATS = 100_000  # conversations read for one statistics report
CHUNK = 2000  # read this many at a time: customers' reads share the journal's reader and wait for one chunk only
MAX_DAYS = 366


class Only(enum.StrEnum):
    ALL = "all"
    WAITING = "waiting"  # nobody has it yet
    MINE = "mine"  # the asker has it, or was invited in


@dataclass(frozen=True)
class StatsReport:
    lines: list[Line]
    days: int
    report: stats.Report
    cut: bool  # more conversations than MAX_STATS: the newest were left out


class Reports:
    def __init__(self, admin: LineAdmin) -> None:
        self.admin = admin
        self.core = admin.core

    def channel_label(self, c: Conversation) -> str:
        return self.core.directory.channel_label(c)

    def line_name(self, c: Conversation) -> str:
        return self.core.directory.line_or_removed(c.line_id).name

    # -- the open conversations ---------------------------------------------------------------
    async def open_conversations(self, actor: str, line_name: str | None, only: Only = Only.ALL) -> list[Conversation]:
        """Oldest first; Refused when ``actor`` has no role on the line (or on any line)."""
        if line_name:
            lines = [self.admin.line_for(actor, line_name, Action.VIEW)]
        else:
            lines = self.admin.visible_lines(actor)
        if not lines:
            return []
        found = await self.core.journal.conversations.conversations(
            line_ids=[line.id for line in lines], open_only=True, limit=MAX_OPEN)
        if only is Only.WAITING:
            return [c for c in found if c.waiting]
        if only is Only.MINE:
            return [c for c in found if c.owner == actor or c.participant(actor) is not None]
        return found

    # -- statistics ------------------------------------------------------------------------------
    def supervised_lines(self, actor: str, line_name: str | None) -> list[Line]:
        if line_name:
            return [self.admin.line_for(actor, line_name, Action.SUPERVISE)]
        lines = [line for line in self.core.directory.live_lines()
                 if self.core.rights.allows(actor, Action.SUPERVISE, line)]
        if not lines:
            raise Refused("statistics are for a line's supervisors and admins, and you supervise no line")
        return lines

    async def statistics(self, actor: str, line_name: str | None, days: int) -> StatsReport:
        if not 1 <= days <= MAX_DAYS:
            raise Refused(f"--days is a whole number from 1 to {MAX_DAYS}")
        lines = self.supervised_lines(actor, line_name)
        until = self.core.clock.now()
        since = until - days * stats.DAY
        found = await self._window([line.id for line in lines], since)
        zones = {line.id: line_zone(line) for line in lines}
        names = {line.id: line.name for line in self.core.directory.lines.values()}
        labels = {b.id: customer_label(b) for b in self.core.directory.bindings.values()}
        # Figures for a big window take a while: off the loop (which serves customers meanwhile), over
        # copies of what they need from the live configuration, which is the loop's to read.
        report = await asyncio.to_thread(
            stats.report, found[:MAX_STATS], since=since, until=until,
            line_of=lambda c: names.get(c.line_id, c.line_id),
            channel_of=lambda c: labels.get(c.binding_id) or f"{c.binding_id.partition(':')[0]} (removed)",
            zone_of=lambda c: zones.get(c.line_id, dt.timezone.utc))
        return StatsReport(lines, days, report, cut=len(found) > MAX_STATS)

    async def _window(self, line_ids: list[str], since: float) -> list[Conversation]:
        """The lines' conversations begun since ``since``, oldest first, up to MAX_STATS + 1, a chunk at a time."""
        found: list[Conversation] = []
        while len(found) <= MAX_STATS:
            chunk = await self.core.journal.conversations.conversations(
                line_ids=line_ids, open_only=False, since=since, limit=CHUNK,
                after_id=found[-1].id if found else None)
            found += chunk
            if len(chunk) < CHUNK:
                break
        return found[:MAX_STATS + 1]


def line_zone(line: Line) -> dt.tzinfo:
    try:
        return parse_zone(line.settings.timezone)
    except Refused:  # checked when set; an old bad value must not stop the report
        return dt.timezone.utc
