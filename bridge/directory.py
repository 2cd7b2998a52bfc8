"""Lines and channel bindings as the running process knows them, changed live.

The store is the truth; this is its copy in memory, read on every message.
Listeners hear about binding changes (the runtime starts and stops channels).
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bridge.errors import NotFound
from bridge.model import ChannelBinding, Conversation, Line

BindingListener = Callable[[ChannelBinding | None, ChannelBinding | None], Awaitable[None]]
Saving = Callable[[], Awaitable[None]]
Loading = Callable[[], Awaitable[tuple[list[Line], list[ChannelBinding]]]]


@dataclass
class Directory:
    lines: dict[str, Line] = field(default_factory=dict)
    bindings: dict[str, ChannelBinding] = field(default_factory=dict)
    _listeners: list[BindingListener] = field(default_factory=list)
    # Binding changes one at a time, whether made here or reloaded: a channel is never started twice at once.
    _changing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def of(cls, lines: list[Line], bindings: list[ChannelBinding]) -> "Directory":
        return cls({line.id: line for line in lines}, {b.id: b for b in bindings})

    def listen(self, listener: BindingListener) -> None:
        self._listeners.append(listener)

    def line(self, line_id: str) -> Line:
        try:
            return self.lines[line_id]
        except KeyError:
            raise NotFound(f"no line {line_id}") from None

    def find_line(self, name: str) -> Line:
        """By id or name, case-insensitively: names are unique whatever their case."""
        wanted = name.strip().lower()
        for line in self.lines.values():
            if not line.deleted and wanted in (line.id, line.name.lower()):
                return line
        raise NotFound(f"no line “{name[:60]}”; see !line list")

    def live_lines(self) -> list[Line]:
        return sorted((line for line in self.lines.values() if not line.deleted), key=lambda x: x.name.lower())

    def binding(self, binding_id: str) -> ChannelBinding:
        try:
            return self.bindings[binding_id]
        except KeyError:
            raise NotFound(f"no channel {binding_id}") from None

    def bindings_of(self, line_id: str) -> list[ChannelBinding]:
        return sorted((b for b in self.bindings.values() if b.line_id == line_id), key=lambda b: b.kind)

    def binding_of(self, line_id: str, kind: str) -> ChannelBinding | None:
        """The line's channel of that kind (a line has at most one of each)."""
        return next((b for b in self.bindings.values() if b.line_id == line_id and b.kind == kind), None)

    def binding_or_removed(self, binding_id: str, line_id: str) -> ChannelBinding:
        """The binding, or a stand-in when it was removed since (its kind is in its id)."""
        binding = self.bindings.get(binding_id)
        if binding is not None:
            return binding
        kind, _, key = binding_id.partition(":")
        return ChannelBinding(line_id, kind, key, label=f"{kind} (removed)")

    def channel_label(self, conversation: Conversation) -> str:
        """How a conversation's channel is named to people ("Website chat", "Telegram"…)."""
        binding = self.binding_or_removed(conversation.binding_id, conversation.line_id)
        return binding.label or binding.kind

    def line_or_removed(self, line_id: str) -> Line:
        """The line, or a stand-in named after its id when it was removed since."""
        return self.lines.get(line_id) or Line(line_id, line_id, deleted=True)

    def put_line(self, line: Line) -> None:
        self.lines[line.id] = line

    async def put_binding(self, binding: ChannelBinding, save: Saving | None = None) -> None:
        """``save`` (storing it) runs first, in the same turn: no reload comes between, to start it twice."""
        async with self._changing:
            if save is not None:
                await save()
            await self._put(binding)

    async def remove_binding(self, binding_id: str, save: Saving | None = None) -> None:
        async with self._changing:
            if save is not None:
                await save()
            await self._remove(binding_id)

    async def sync(self, load: Loading) -> None:
        """Become what the store holds (another process changed it): listeners hear of the bindings
        added, changed or removed; an unchanged one is left running. ``load`` reads the store in this
        turn, so a change saved here (in its turn) is in what it reads, never undone by an older read."""
        async with self._changing:
            lines, bindings = await load()
            for line in lines:
                self.lines[line.id] = line
            stored = {b.id: b for b in bindings}
            for binding_id in [i for i in self.bindings if i not in stored]:
                await self._remove(binding_id)
            for binding in stored.values():
                known = self.bindings.get(binding.id)
                if known is None or _canonical(known) != _canonical(binding):
                    await self._put(binding)

    async def _put(self, binding: ChannelBinding) -> None:
        before = self.bindings.get(binding.id)
        self.bindings[binding.id] = binding
        for listener in self._listeners:
            await listener(before, binding)

    async def _remove(self, binding_id: str) -> None:
        before = self.bindings.pop(binding_id, None)
        if before is not None:
            for listener in self._listeners:
                await listener(before, None)


def _canonical(binding: ChannelBinding) -> str:
    """As stored: a tuple and the list it reloads as are the same setting."""
    fields: dict[str, Any] = dataclasses.asdict(binding)
    return json.dumps(fields, sort_keys=True, default=str)
