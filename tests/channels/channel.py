"""One connected channel under test: the operator's verbs and the clock, for the contract suite."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, TypeVar

from aiohttp import web

from backends.registry import kind_of
from bridge.channels import ChannelBackend
from bridge.model import Attachment, ChannelBinding, Message, MessageKind
from tests.channels.contract import Harness, eventually
from tests.support.clock import FakeClock
from tests.support.loopback import serve
from tests.support.runtime import OPERATOR, Running

B = TypeVar("B", bound=ChannelBackend)


class Channel:
    """One connected channel under test: its runtime, its fake platform, and the operator's verbs."""

    def __init__(self, runtime: Running, harness: Harness, binding: ChannelBinding, clock: FakeClock) -> None:
        self.runtime, self.harness, self.binding, self.clock = runtime, harness, binding, clock

    async def conversation_id(self, customer: str) -> str | None:
        return await self.runtime.run(self.runtime.app.inbound.current_conversation(self.binding, customer))

    async def wait_conversation(self, customer: str) -> str:
        found: str = await eventually(lambda: self.conversation_id(customer), f"a conversation for {customer}")
        return found

    async def messages(self, conversation_id: str, kind: MessageKind | None = None) -> list[Message]:
        journal = self.runtime.app.journal
        assert journal is not None
        found = await self.runtime.run(journal.conversations.messages(conversation_id, limit=1000))
        return [m for m in found if kind is None or m.kind is kind]

    async def reply(self, customer: str, text: str, attachments: tuple[Attachment, ...] = ()) -> Message:
        conversation_id = await self.wait_conversation(customer)
        return await self.runtime.run(self.runtime.app.actions.reply(conversation_id, OPERATOR, text,
                                                                      attachments=attachments))

    async def put_file(self, data: bytes, name: str, content_type: str) -> Attachment:
        files = self.runtime.host.files
        assert files is not None
        return await self.runtime.run(files.put(data, name, content_type))

    async def advance(self, seconds: float) -> None:
        """Move the clock and let every lane run what came due."""
        async def move() -> None:
            await self.runtime.app.services.outbox.idle()  # what runs now fails or succeeds first
            self.clock.advance(seconds)
            await self.runtime.app.services.outbox.run_due()
            await self.runtime.app.services.outbox.idle()
        await self.runtime.run(move())

    async def settle(self) -> None:
        await self.advance(0)

    async def kept(self) -> dict[str, int]:
        """The unreadable events this channel kept, counted per kind."""
        journal = self.runtime.app.journal
        assert journal is not None
        counts = await self.runtime.run(journal.conversations.kept_counts([self.binding.id]))
        return {kind: n for (_, kind), n in counts.items()}

    def kept_notes(self) -> list[str]:
        """What the line's room was told of kept events."""
        return [t for t in self.runtime.team.texts(self.binding.line_id, ("notice",))
                if t.startswith("⚠️ An event Open Lines could not read was kept")]

    async def wait_kept_note(self, kind: str) -> str:
        found: list[str] = await eventually(lambda: [t for t in self.kept_notes() if f"kept: {kind} (" in t],
                                            f"a note of a kept “{kind}” in the line room: {self.kept_notes()}")
        return found[0]

    def room(self, conversation_id: str) -> str:
        return f"{self.binding.line_id}-{conversation_id}"

    async def wait_sent(self, customer: str, text: str) -> None:
        await eventually(lambda: any(s.customer == customer and s.text == text for s in self.harness.sent()),
                         f"“{text}” sent to {customer}; sent: {self.harness.sent()[-3:]}")


async def connect_binding(runtime: Running, kind: type[B], settings: dict[str, Any], secrets: dict[str, str],
                          label: str) -> B:
    """Save a binding of ``kind`` on the line "support" and start it live, as `!line connect` would."""
    binding = ChannelBinding("support", kind.kind, kind_of(kind.kind).binding_key(settings, secrets), label=label,
                             settings=settings, secrets=secrets)
    journal = runtime.app.journal
    assert journal is not None
    await runtime.run(journal.config.save_binding(binding))
    await runtime.run(runtime.app.services.directory.put_binding(binding))
    backend = runtime.app.channels.get(binding.id)
    assert isinstance(backend, kind), runtime.app.channels.failed
    return backend


class FailingSink:
    """The core's sink whose journal cannot write for one accept, after ``after`` succeed."""

    def __init__(self, sink: Any, after: int = 0, error: Exception | None = None) -> None:
        self.sink, self.after = sink, after
        self.error = error or OSError("disk I/O error")

    async def accept(self, binding: ChannelBinding, event: Any) -> Any:
        self.after -= 1
        if self.after == -1:
            raise self.error
        return await self.sink.accept(binding, event)

    async def keep(self, binding: ChannelBinding, kind: str, reason: str, raw: str) -> None:
        self.after -= 1
        if self.after == -1:
            raise self.error
        await self.sink.keep(binding, kind, reason, raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sink, name)


async def raw_post(port: int, path: str, header: bytes, body: bytes = b"{}") -> int:
    """A POST with ``header`` sent byte for byte (clients refuse to send what platforms may): its status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + header
    writer.write(head + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


@contextlib.asynccontextmanager
async def internal_service() -> AsyncIterator[tuple[str, list[str]]]:
    """A service inside our network (127.0.0.1, a port no platform uses): its URL and the paths asked."""
    asked: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=b"\x89PNG\r\n\x1a\n secret credentials", content_type="image/png")

    runner, url = await serve([web.get("/{path:.*}", answer)])
    try:
        yield url, asked
    finally:
        await runner.cleanup()
