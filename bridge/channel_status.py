"""How a line's channels are doing (``!line status``), and what the line is told when one fails or recovers."""
from __future__ import annotations

from dataclasses import dataclass

from bridge.channel_admin import ChannelAdmin
from bridge.channel_health import Activity
from bridge.core import Core, direct, line_note
from bridge.model import ChannelBinding, Line
from bridge.relay import customer_label
from bridge.rights import Action
from bridge.store import UnitOfWork


@dataclass(frozen=True)
class ChannelStatus:
    binding: ChannelBinding
    state: str  # as !line show says it: running, stopped, failed (…), saved, not running: …
    activity: Activity
    backlog: int  # messages waiting to reach customers through it

    @property
    def connected(self) -> bool:
        return self.state == "running" and self.activity.problem is None


@dataclass(frozen=True)
class LineStatus:
    line: Line
    channels: list[ChannelStatus]


class ChannelStatuses:
    def __init__(self, channels: ChannelAdmin) -> None:
        self.channels = channels

    @property
    def core(self) -> Core:
        return self.channels.lines.core

    async def of(self, actor: str, name: str | None) -> list[LineStatus]:
        """The named line's channels, or those of every line ``actor`` has a role on."""
        admin = self.channels.lines
        lines = [admin.line_for(actor, name, Action.VIEW)] if name else admin.visible_lines(actor)
        backlog = await self.core.journal.outbox.customer_backlog()  # one query for every line
        health, kinds = self.core.health, self.channels.kinds
        return [LineStatus(line, [ChannelStatus(b, kinds.state(b.id), health.of(b.id), backlog.get(b.id, 0))
                                  for b in self.core.directory.bindings_of(line.id)]) for line in lines]


async def tell_channel_state(core: Core, binding_id: str, problem: str | None) -> None:
    """The line's room and its admins (and the install's), once each way: failing, then working again."""
    binding = core.directory.bindings.get(binding_id)
    if binding is None:  # removed meanwhile
        return
    line = core.directory.line_or_removed(binding.line_id)
    label = customer_label(binding)
    if problem:
        text = (f"⚠️ {label} of line {line.name} stopped working: {problem}. What customers write there waits "
                f"on their platform; replies wait here and are sent once it works: !line status {line.name}")
    else:
        text = f"✅ {label} of line {line.name} works again."
    people = sorted({*core.rights.global_admins, *line.admins})
    await core.commit(UnitOfWork(work=[line_note(line.id, text), *(direct(person, text) for person in people)]))
