"""The channel kinds of this install as the core's admin sees them: the registry plus live state."""
from __future__ import annotations

from typing import Any, Mapping

from backends import registry
from bridge.channel_settings import ReplyChoices, SettingSpec
from bridge.channels import ChannelBackend, OutboundMessage
from bridge.errors import SendError, channel_problem
from bridge.model import ChannelBinding
from runtime import redact
from runtime.channels import ChannelManager


class RegistryKinds:
    """Implements ``bridge.channel_admin.ChannelKinds``."""

    def __init__(self, channels: ChannelManager) -> None:
        self._channels = channels

    def kinds(self) -> list[str]:
        return sorted(registry.KINDS)

    def label(self, kind: str) -> str:
        return registry.label_of(kind)

    def schema(self, kind: str) -> tuple[SettingSpec, ...]:
        return registry.kind_of(kind).settings_schema

    def binding_key(self, kind: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> str:
        return registry.kind_of(kind).binding_key(settings, secrets)

    async def check(self, binding: ChannelBinding) -> None:
        redact.know(binding.secrets.values())  # before the SDK is built: some log their URL with the token
        backend = registry.create_backend(binding, self._channels.sink, self._channels.context)  # type: ignore[arg-type]
        try:
            await backend.check()
        except SendError as exc:
            self._channels.checked[binding.id] = channel_problem(exc)
            raise
        except Exception as exc:  # the type only: an SDK's message may carry a token
            self._channels.checked[binding.id] = f"the platform could not be reached ({type(exc).__name__})"
            raise SendError(self._channels.checked[binding.id]) from None
        self._channels.checked.pop(binding.id, None)

    def callback_url(self, binding: ChannelBinding) -> str | None:
        running = self._channels.get(binding.id)
        if running is not None:
            return running.callback_url()
        try:
            return registry.create_backend(binding, self._channels.sink, self._channels.context).callback_url()  # type: ignore[arg-type]
        except Exception:
            return None

    def state(self, binding_id: str) -> str:
        if binding_id in self._channels.failed:
            return f"failed ({self._channels.failed[binding_id]})"
        backend = self._channels.get(binding_id)
        if backend is None:
            return "stopped"
        return f"saved, not running: {backend.trouble}" if backend.trouble else "running"

    # -- what an operator's reply may say, and whether the platform will take it -------------------
    def reply_words(self) -> frozenset[str]:
        """Every word some kind takes before a reply (``!reply private …``)."""
        return frozenset(word for kind in registry.KINDS.values() if kind.reply_choices
                         for word in kind.reply_choices.options)

    def reply_choices(self, kind: str) -> ReplyChoices | None:
        described = registry.KINDS.get(kind)
        return described.reply_choices if described else None

    def refusal_of(self, word: str) -> str:
        """Why ``word`` is no choice here: which conversations take it."""
        said = [kind.reply_choices.refusal() for kind in registry.KINDS.values()
                if kind.reply_choices and word in kind.reply_choices.options]
        return "; ".join(said) or f"“{word}” is no reply choice"

    async def preflight(self, binding: ChannelBinding, message: OutboundMessage) -> str | None:
        """The channel's own pre-send check; a binding not running now (stopped, removed) is asked
        through a backend built for the question: its rules read the customer's kept state only."""
        backend: ChannelBackend | None = self._channels.get(binding.id)
        if backend is None:
            kind = registry.KINDS.get(binding.kind)
            if kind is None or not kind.preflight:  # nothing to ask (nor its SDK to load for it)
                return None
            backend = registry.create_backend(binding, self._channels.sink, self._channels.context)  # type: ignore[arg-type]
        return await backend.preflight(message)
