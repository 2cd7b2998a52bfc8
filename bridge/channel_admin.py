"""Connecting channels to lines: settings checked against each kind's schema, secrets kept apart.

Credentials are taken only in a direct message with the bot, never shown
back, never logged, and sealed at rest by the store.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Protocol

from bridge.admin import LineAdmin, Turn, one_at_a_time
from bridge.channel_settings import SettingSpec, secret_names, split_settings
from bridge.errors import Refused, SendError, channel_problem
from bridge.model import ChannelBinding, Line
from bridge.rights import Action

MASK = "••••••"


class ChannelKinds(Protocol):
    """What the core needs to know of the channel kinds this install has (the registry)."""

    def kinds(self) -> list[str]: ...

    def label(self, kind: str) -> str: ...

    def schema(self, kind: str) -> tuple[SettingSpec, ...]:
        """Raises NotFound for an unknown kind."""

    def binding_key(self, kind: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> str: ...

    async def check(self, binding: ChannelBinding) -> None:
        """Ask the platform whether the credentials work; raises SendError with plain words."""

    def callback_url(self, binding: ChannelBinding) -> str | None: ...

    def state(self, binding_id: str) -> str:
        """"running", "stopped", "failed (ErrorType)", or "saved, not running: why; retrying every N s"."""


@dataclass(frozen=True)
class ChannelView:
    binding: ChannelBinding
    state: str
    callback_url: str | None

    def settings_shown(self) -> str:
        shown = [f"{k}={shown_value(v)}" for k, v in sorted(self.binding.settings.items())]
        shown += [f"{k}={MASK}" for k in sorted(self.binding.secrets)]
        return " ".join(shown) or "(no settings)"


class ChannelAdmin:
    def __init__(self, lines: LineAdmin, kinds: ChannelKinds) -> None:
        self.lines = lines
        self.kinds = kinds

    @property
    def _directory(self) -> Any:
        return self.lines.core.directory

    @property
    def turn(self) -> Turn:
        return self.lines.turn  # a line's channels change in the same turn as the line

    def views(self, line: Line) -> list[ChannelView]:
        return [ChannelView(b, self.kinds.state(b.id), self.kinds.callback_url(b))
                for b in self._directory.bindings_of(line.id)]

    @one_at_a_time
    async def connect(self, actor: str, name: str, kind: str, given: Mapping[str, str], *,
                      private: bool) -> tuple[ChannelView, str | None]:
        """Connect (or reconnect with new keys); returns the channel and what the platform said if it failed."""
        line = self.lines.line_for(actor, name, Action.CONFIGURE)
        schema = self.kinds.schema(kind)
        secret_keys = secret_names(schema) & set(given)
        if secret_keys and not private:
            raise Refused(f"{', '.join(sorted(secret_keys))} must be sent in a direct message with the bot, "
                          "never in a room: rotate that credential now, it was seen by the room")
        current = self._directory.binding_of(line.id, kind)
        settings, secrets = split_settings(schema, given, current.settings if current else None,
                                           current.secrets if current else None)
        key = self.kinds.binding_key(kind, settings, secrets)
        binding = ChannelBinding(line.id, kind, key, self.kinds.label(kind), settings, secrets)
        self._refuse_taken(binding, line)
        problem = await self._check(binding)
        if current is not None and current.id != binding.id:
            await self.lines.drop_binding(current.id)
        await self.lines.keep_binding(binding)
        keys = " ".join(f"{k}={MASK if k in secrets else shown_value(v)}" for k, v in sorted(given.items()))
        await self.lines.audit(actor, line.id, "line connect", f"{kind} {keys}".strip())
        return ChannelView(binding, self.kinds.state(binding.id), self.kinds.callback_url(binding)), problem

    def _refuse_taken(self, binding: ChannelBinding, line: Line) -> None:
        other = self._directory.bindings.get(binding.id)
        if other is not None and other.line_id != line.id:
            owner = self._directory.line_or_removed(other.line_id).name
            raise Refused(f"that {binding.kind} channel ({binding.key}) is already connected to line {owner}")

    async def _check(self, binding: ChannelBinding) -> str | None:
        try:
            await self.kinds.check(binding)
        except SendError as exc:
            return channel_problem(exc)
        return None

    @one_at_a_time
    async def disconnect(self, actor: str, name: str, kind: str) -> ChannelBinding:
        line = self.lines.line_for(actor, name, Action.CONFIGURE)
        binding = self._directory.binding_of(line.id, kind)
        if binding is None:
            raise Refused(f"line {line.name} has no {kind} channel; see !line show {line.name}")
        await self.lines.drop_binding(binding.id)
        await self.lines.audit(actor, line.id, "line disconnect", kind)
        return binding

    async def restore(self, binding: ChannelBinding) -> None:
        """Put back a binding as it was (an import): secrets it does not carry are kept."""
        current = self._directory.bindings.get(binding.id)
        secrets = {**(current.secrets if current else {}), **binding.secrets}
        await self.lines.keep_binding(replace(binding, secrets=secrets))


def shown_value(value: Any) -> str:
    """A setting as an admin types it (a list as comma-separated values)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
