"""A channel kind as the runtime knows it before any binding of it starts: no platform SDK imported.

Each channel package describes its kind in its ``kind.py`` (its label, its settings class, its
routes, its reply words); ``backends/registry.py`` lists them. The backend module, which imports the
platform's SDK (python-telegram-bot, botbuilder, viberbot: tens of MB and most of a second), is
imported only when a binding of the kind is built. aiohttp freezes its router when it starts
serving, so the routes are declared at start; their handlers find a started, hence imported,
backend per request.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence, cast

from bridge.channel_settings import KindSettings, ReplyChoices, SettingSpec

if TYPE_CHECKING:
    from aiohttp import web

    from backends.base import AiohttpMounts
    from bridge.channels import ChannelBackend


def no_routes(mounts: AiohttpMounts) -> Sequence[web.RouteDef]:
    return ()


@dataclass(frozen=True)
class ChannelKind:
    name: str  # the kind as bindings and commands spell it: "telegram"
    label: str  # what operators see: "Telegram"
    settings: type[KindSettings]  # its `!line connect` keys, typed, with their defaults
    # "package.module:Class", imported (with its SDK) when a binding of it is built; or the class
    backend: str | type[ChannelBackend]
    routes: Callable[[AiohttpMounts], Sequence[web.RouteDef]] = no_routes  # declared once, at start
    reply_choices: ReplyChoices | None = None  # the words a reply may start with (``!reply private …``)
    preflight: bool = False  # its backend answers ``preflight``: ask it even when the binding is stopped
    tuning: Callable[..., object] | None = None  # its process-wide knobs, built once by the runtime

    @property
    def settings_schema(self) -> tuple[SettingSpec, ...]:
        return self.settings.schema()

    def binding_key(self, settings: Any, secrets: Any) -> str:
        """The binding's public key from its settings as given; Refused names the fix."""
        return self.settings.of(settings, secrets).key()

    def load(self) -> type[ChannelBackend]:
        """The backend class: its module (and the platform's SDK) imported now if not yet."""
        if not isinstance(self.backend, str):
            return self.backend
        module, _, name = self.backend.partition(":")
        return cast("type[ChannelBackend]", getattr(importlib.import_module(module), name))
