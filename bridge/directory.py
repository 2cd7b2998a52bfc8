"""An in-memory snapshot of lines and bindings, read on every message."""
from __future__ import annotations

from dataclasses import dataclass, field

from bridge.errors import NotFound
from bridge.model import ChannelBinding, Line


@dataclass
class Directory:
    lines: dict[str, Line] = field(default_factory=dict)
    bindings: dict[str, ChannelBinding] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: list[Line], bindings: list[ChannelBinding]) -> "Directory":
        return cls({l.id: l for l in lines}, {b.id: b for b in bindings})

    def line(self, line_id: str) -> Line:
        try:
            return self.lines[line_id]
        except KeyError:
            raise NotFound(f"no line {line_id}") from None

    def binding(self, binding_id: str) -> ChannelBinding:
        try:
            return self.bindings[binding_id]
        except KeyError:
            raise NotFound(f"no channel {binding_id}") from None

    def binding_or_removed(self, binding_id: str, line_id: str) -> ChannelBinding:
        """The binding, or a stand-in when it was removed since (its kind is in its id)."""
        binding = self.bindings.get(binding_id)
        if binding is not None:
            return binding
        kind, _, key = binding_id.partition(":")
        return ChannelBinding(line_id, kind, key, label=f"{kind} (removed)")

    def line_or_removed(self, line_id: str) -> Line:
        """The line, or a stand-in named after its id when it was removed since."""
        return self.lines.get(line_id) or Line(line_id, line_id)

    def put_line(self, line: Line) -> None:
        self.lines[line.id] = line

    def put_binding(self, binding: ChannelBinding) -> None:
        self.bindings[binding.id] = binding
