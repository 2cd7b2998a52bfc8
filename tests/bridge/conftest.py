"""Fixtures for the bridge tests: the real core over a real SQLite journal and a MemoryCrm.

Only the outside world is faked: the clock, the team chat and the customer channel.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bridge.channels import ChannelBackend, InboundMessage, OutboundMessage, Receipt
from bridge.delivery import Dispatcher
from bridge.directory import Directory
from bridge.model import ChannelBinding, Conversation, Line
from bridge.retry import RetryPolicy
from bridge.service import ConversationService
from bridge.sqlite_store import SqliteJournal, open_sqlite
from bridge.sqlite_worker import SqliteWorker
from crm_store import MemoryCrm
from crm_store.port import AsyncCrm

WELCOME = "Hello! An operator will answer you shortly."
LINE = Line(id="support", name="Support", welcome_text=WELCOME, operators=("ann", "bob"))
BINDING = ChannelBinding(line_id="support", kind="webchat", key="site", label="Website chat")


class FakeClock:
    """now() is a settable float; sleep() records the wait and jumps ahead by it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


class RecordingTeamChat:
    """A TeamChat that records everything; ``fail_posts`` first posts raise."""

    def __init__(self, *, fail_posts: int = 0, post_delay: float = 0.0) -> None:
        self.rooms: list[str] = []
        self.topics: dict[str, str] = {}
        self.announcements: list[tuple[str, str]] = []  # (line id, text)
        self.posts: list[tuple[str, str]] = []  # (room name, text)
        self.fail_posts = fail_posts
        self.post_delay = post_delay  # real seconds each post takes

    async def open_room(self, conversation: Conversation, line: Line, topic: str) -> None:
        await asyncio.sleep(0)
        self.rooms.append(conversation.room_name)
        self.topics[conversation.room_name] = topic

    async def announce(self, line: Line, text: str) -> None:
        await asyncio.sleep(0)
        self.announcements.append((line.id, text))

    async def post(self, items: list[tuple[Conversation, str]]) -> None:
        await asyncio.sleep(self.post_delay)
        if self.fail_posts > 0:
            self.fail_posts -= 1
            raise ConnectionError("team chat unreachable")
        self.posts.extend((conversation.room_name, text) for conversation, text in items)

    def texts(self, room: str) -> list[str]:
        return [text for name, text in self.posts if name == room]


class FakeChannel(ChannelBackend):
    """Records what it sends; ``fail_next`` scripts exceptions for the next sends."""

    kind = "webchat"
    label = "Website chat"

    def __init__(self, binding: ChannelBinding, sink, *, send_delay: float = 0.0) -> None:
        super().__init__(binding, sink)
        self.sent: list[OutboundMessage] = []
        self.attempts = 0
        self.script: deque[BaseException] = deque()
        self.send_delay = send_delay  # real seconds each send takes

    def fail_next(self, *errors: BaseException) -> None:
        self.script.extend(errors)

    async def send(self, message: OutboundMessage) -> None:
        self.attempts += 1
        await asyncio.sleep(self.send_delay)
        if self.script:
            raise self.script.popleft()
        self.sent.append(message)

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]


@dataclass
class App:
    """One running Open Lines core, wired like the runtime wires it."""

    path: Path
    worker: SqliteWorker
    journal: SqliteJournal
    directory: Directory
    clock: FakeClock
    team: RecordingTeamChat
    store: MemoryCrm
    dispatcher: Dispatcher
    service: ConversationService
    channel: FakeChannel
    binding: ChannelBinding = BINDING
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def line(self) -> Line:
        return self.directory.line(self.binding.line_id)

    def set_line(self, **changes) -> None:
        self.directory.put_line(replace(self.line, **changes))

    async def say(self, text: str, *, ref: str = "alice", name: str = "Alice",
                  ext: str | None = None) -> Receipt:
        """The customer ``ref`` writes ``text`` on the channel."""
        ext = ext or f"ext-{next(self._ids)}"
        return await self.service.accept(self.binding, InboundMessage(ref, ext, text, name))

    async def settle(self) -> None:
        await asyncio.wait_for(self.dispatcher.idle(), timeout=10)

    async def shutdown(self) -> None:
        await self.dispatcher.stop()
        self.worker.close()


@pytest.fixture
async def make_app(tmp_path: Path):
    """A factory: ``await make_app(start=False)`` simulates a process that crashes before delivering.

    Pass the same ``path`` (and CRM ``store``, team chat, clock) to simulate a restart.
    """
    apps: list[App] = []

    async def make(*, path: Path | None = None, start: bool = True, store: MemoryCrm | None = None,
                   team: RecordingTeamChat | None = None, clock: FakeClock | None = None,
                   retry: RetryPolicy | None = None, send_delay: float = 0.0) -> App:
        path = path or tmp_path / "journal.sqlite3"
        worker, journal, _lines = open_sqlite(str(path))
        directory = Directory.of([LINE], [BINDING])
        clock = clock or FakeClock()
        team = team or RecordingTeamChat()
        store = store or MemoryCrm()
        dispatcher = Dispatcher(journal=journal, team=team, crm=AsyncCrm(store), directory=directory,
                                clock=clock, retry=retry)
        service = ConversationService(journal=journal, directory=directory, dispatcher=dispatcher, clock=clock)
        channel = FakeChannel(BINDING, service, send_delay=send_delay)
        dispatcher.backends[BINDING.id] = channel
        app = App(path, worker, journal, directory, clock, team, store, dispatcher, service, channel)
        apps.append(app)
        if start:
            dispatcher.start()
        return app

    yield make
    for app in apps:
        await app.shutdown()


@pytest.fixture
async def app(make_app) -> App:
    return await make_app()
