"""The running channel backends: one per enabled binding, started and stopped live."""
from __future__ import annotations

import logging

from backends.base import RuntimeContext
from backends.registry import create_backend
from bridge.channel_health import ChannelHealth
from bridge.channels import ChannelBackend, InboundSink
from bridge.model import ChannelBinding
from runtime import redact

log = logging.getLogger(__name__)


class ChannelManager:
    def __init__(self, *, context: RuntimeContext, sink: InboundSink | None = None) -> None:
        self.sink = sink  # the core's inbound service: set before the first start
        self.context = context
        self.backends: dict[str, ChannelBackend] = {}
        self.failed: dict[str, str] = {}  # binding id -> the error's type (never its text)
        self.checked: dict[str, str] = {}  # binding id -> what its platform said when `!line connect` asked
        self.health = ChannelHealth()  # the core's, set with the sink: it tells the line when a channel fails

    def failing(self) -> dict[str, str]:
        """The channels that take no messages now, and why: failed to start, or their platform away."""
        troubled = {binding_id: b.trouble for binding_id, b in self.backends.items() if b.trouble}
        return {**self.failed, **troubled}

    def get(self, binding_id: str) -> ChannelBackend | None:
        return self.backends.get(binding_id)

    async def start(self, binding: ChannelBinding) -> None:
        """Start the binding's backend; a channel that fails is reported, never fatal to the others."""
        await self.stop(binding.id)
        self.failed.pop(binding.id, None)
        redact.know(binding.secrets.values())  # whatever logs later (an SDK's error text) must not show them
        if not binding.enabled:
            return
        try:
            assert self.sink is not None, "the channels start once the core can take what they receive"
            backend = create_backend(binding, self.sink, self.context)
            backend.on_trouble = lambda problem: self.health.troubled(binding.id, problem)
            await backend.start()
        except Exception as exc:
            log.error("channel %s did not start: %s", binding.id, type(exc).__name__,
                      extra={"line": binding.line_id, "channel": binding.kind})
            self.failed[binding.id] = type(exc).__name__
            self.health.troubled(binding.id, f"it did not start ({type(exc).__name__})")
            return
        noted = self.checked.pop(binding.id, None)
        if noted and backend.first_retry and backend.trouble is None:  # not running until its first try works
            backend.troubled(noted, backend.first_retry)
        self.backends[binding.id] = backend

    async def stop(self, binding_id: str) -> None:
        self.health.stopped(binding_id)  # on purpose: neither a failure nor a recovery to announce
        backend = self.backends.pop(binding_id, None)
        if backend is None:
            return
        backend.on_trouble = None
        try:
            await backend.stop()
        except Exception as exc:
            log.error("channel %s did not stop cleanly: %s", binding_id, type(exc).__name__)

    async def changed(self, before: ChannelBinding | None, after: ChannelBinding | None) -> None:
        """The directory's listener: a binding was added, changed or removed."""
        if before is not None and (after is None or after.id != before.id):
            await self.stop(before.id)
            self.failed.pop(before.id, None)
        if after is not None:
            await self.start(after)

    async def stop_all(self) -> None:
        for binding_id in list(self.backends):
            await self.stop(binding_id)
