"""One running Open Lines core over a real SQLite journal, wired as the runtime wires it.

Only the outside world is faked: the clock, the team chat and the customer's channel.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bridge.channel_settings import SettingSpec
from bridge.channels import ChannelBackend, InboundMessage, OutboundMessage, Receipt, SendResult, Signal
from bridge.errors import NotFound, SendError
from bridge.line_settings import LineSettings
from bridge.model import ChannelBinding, Conversation, Line, Message
from bridge.retry import RetryPolicy
from bridge.services import Limits, Services
from crm_store import MemoryCrm
from crm_store.port import AsyncCrm
from journal_store import PgJournal, SqliteJournal, open_journal
from tests.support.clock import FakeClock
from tests.support.team import RecordingTeamChat

WELCOME = "Hello! An operator will answer you shortly."
LINE = Line(id="support", name="Support", settings=LineSettings(welcome_text=WELCOME, autoclose_minutes=0),
            operators=("ann", "bob"))
BINDING = ChannelBinding(line_id="support", kind="fake", key="site", label="Website chat")
ADMIN = "root"


class FakeChannel(ChannelBackend):
    """Records what it sends; ``fail_next`` scripts exceptions for the next sends."""

    kind = "fake"
    label = "Website chat"

    def __init__(self, binding: ChannelBinding, sink: Any, context: Any = None) -> None:
        super().__init__(binding, sink, context)
        self.sent: list[OutboundMessage] = []
        self.attempts = 0
        self.script: deque[tuple[str | None, BaseException]] = deque()
        self.signals: list[Signal] = []

    def fail_next(self, *errors: BaseException, ref: str | None = None) -> None:
        """The next sends (to customer ``ref``, or to anyone) raise these, in order."""
        self.script.extend((ref, e) for e in errors)

    async def send(self, message: OutboundMessage) -> SendResult:
        self.attempts += 1
        await asyncio.sleep(0)
        for entry in self.script:
            if entry[0] in (None, message.customer_ref):
                self.script.remove(entry)
                raise entry[1]
        self.sent.append(message)
        return SendResult(f"platform-{message.seq}")

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]

    async def signal(self, signal: Signal) -> None:
        self.signals.append(signal)


class FakeKinds:
    """The channel kinds the bridge tests know: the fake channel, with a secret token."""

    schema_ = (SettingSpec("token", "the bot's token", required=True, secret=True),
               SettingSpec("site", "which site", default="main"))

    def __init__(self, running: dict[str, ChannelBackend]) -> None:
        self._running = running
        self.refuse: str | None = None  # what check() says, if anything

    def kinds(self) -> list[str]:
        return ["fake"]

    def label(self, kind: str) -> str:
        return "Website chat"

    def schema(self, kind: str) -> tuple[SettingSpec, ...]:
        if kind != "fake":
            raise NotFound(f"no channel kind “{kind}”; known: fake")
        return self.schema_

    def binding_key(self, kind: str, settings: Any, secrets: Any) -> str:
        return str(settings["site"])

    async def check(self, binding: ChannelBinding) -> None:
        if self.refuse:
            raise SendError(self.refuse)

    def callback_url(self, binding: ChannelBinding) -> str | None:
        return f"https://chat.example/fake/{binding.key}"

    def state(self, binding_id: str) -> str:
        return "running" if binding_id in self._running else "stopped"


@dataclass
class App:
    path: Path | str  # a SQLite file, or a PostgreSQL URL
    journal: SqliteJournal | PgJournal
    clock: FakeClock
    team: RecordingTeamChat
    store: MemoryCrm
    services: Services
    channel: FakeChannel
    binding: ChannelBinding = BINDING
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def actions(self) -> Any:
        return self.services.actions

    @property
    def outbox(self) -> Any:
        return self.services.outbox

    @property
    def line(self) -> Line:
        return self.services.directory.line(self.binding.line_id)

    def set_line(self, **settings: Any) -> None:
        self.services.directory.put_line(replace(self.line, settings=replace(self.line.settings, **settings)))

    async def say(self, text: str, *, ref: str = "alice", name: str = "Alice", ext: str | None = None,
                  **extra: Any) -> Receipt:
        """The customer ``ref`` writes ``text`` on the channel."""
        ext = ext or f"ext-{next(self._ids)}"
        receipt = await self.services.inbound.accept(self.binding, InboundMessage(ref, ext, text, name, **extra))
        assert receipt is not None
        return receipt

    async def conversation(self, conversation_id: str) -> Conversation:
        return await self.journal.conversations.conversation(conversation_id)

    async def messages(self, conversation_id: str) -> list[Message]:
        return await self.journal.conversations.messages(conversation_id, limit=10_000)

    async def settle(self) -> None:
        """Deliver everything that is due now (nothing waits on the clock but what should)."""
        for _ in range(3):
            await self.outbox.run_due()
            await asyncio.wait_for(self.outbox.idle(), timeout=10)

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.settle()

    async def shutdown(self) -> None:
        await self.services.stop()
        await asyncio.to_thread(self.journal.close)


async def make_app(path: Path | str, *, start: bool = True, store: MemoryCrm | None = None,
                   team: RecordingTeamChat | None = None, clock: FakeClock | None = None,
                   retry: RetryPolicy | None = None, line: Line = LINE, admins: frozenset[str] = frozenset({ADMIN}),
                   limits: Limits = Limits(), mailer: Any = None, owner: str = "test") -> App:
    journal = await asyncio.to_thread(open_journal, str(path))
    if not await journal.config.lines():
        await journal.config.save_line(line)
        await journal.config.save_binding(BINDING)
    clock, team, store = clock or FakeClock(), team or RecordingTeamChat(), store or MemoryCrm()
    channels: dict[str, ChannelBackend] = {}
    services = await Services.build(journal=journal, team=team, crm=AsyncCrm(store), clock=clock,
                                    channels=channels.get, kinds=FakeKinds(channels), admins=admins, owner=owner,
                                    limits=limits, retry=retry, mailer=mailer)
    channel = FakeChannel(BINDING, services.inbound)
    channels[BINDING.id] = channel
    app = App(path, journal, clock, team, store, services, channel)
    if start:
        await services.start()
    return app
