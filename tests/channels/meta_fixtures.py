"""Fixtures of the Meta channels' own tests: a real runtime with one Meta channel connected to its fake.

Import the fixtures a test module uses (``from tests.channels.meta_fixtures import facebook``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from bridge.channels import OutboundMessage
from bridge.model import Conversation, Message
from tests.channels.channel import Channel
from tests.channels.contract import eventually
from tests.channels.harness_meta import CommentsHarness, FacebookHarness, InstagramHarness, MetaHarness
from tests.support.clock import FakeClock
from tests.support.runtime import Running


class MetaChannel(Channel):
    harness: MetaHarness

    @property
    def backend(self) -> Any:
        return self.runtime.app.channels.get(self.binding.id)

    async def state(self, customer: str) -> dict[str, Any]:
        return await self.runtime.run(self.runtime.app.journal.state.get(self.binding.id, customer))  # type: ignore

    async def set_state(self, customer: str, **values: Any) -> None:
        state = {**await self.state(customer), **values}
        await self.runtime.run(self.runtime.app.journal.state.put(self.binding.id, customer, state))  # type: ignore

    async def conversations(self) -> list[Conversation]:
        journal = self.runtime.app.journal
        assert journal is not None
        return [c for c in await self.runtime.run(journal.conversations.conversations(open_only=False))
                if c.binding_id == self.binding.id]

    async def thread(self, thread: str) -> Conversation:
        async def found() -> Conversation | None:
            return next((c for c in await self.conversations() if c.thread == thread), None)
        conversation: Conversation = await eventually(found, f"a conversation for thread {thread}")
        return conversation

    async def reply_in(self, conversation_id: str, text: str, **options: Any) -> Message:
        return await self.runtime.run(self.runtime.app.actions.reply(conversation_id, "alice", text,
                                                                      options=options))

    async def preflight(self, customer: str, text: str, thread: str | None = None, **options: Any) -> str | None:
        """What the channel says, before a message is stored, of sending it now (``ChannelBackend.preflight``)."""
        message = OutboundMessage(seq=0, conversation_id="", customer_ref=customer, author="", text=text,
                                  ts=self.clock.now(), thread=thread, options=options)
        return await self.runtime.run(self.backend.preflight(message))  # type: ignore[no-any-return]

    async def wait_room(self, conversation_id: str, words: str) -> list[str]:
        room = self.room(conversation_id)
        return await eventually(lambda: [t for t in self.runtime.team.rendered(room) if words in t],
                                f"“{words}” in {room}: {self.runtime.team.rendered(room)[-4:]}")


async def _connected(tmp_path: Path, harness: MetaHarness, database_url: str) -> AsyncIterator[MetaChannel]:
    clock = FakeClock()
    runtime = Running(tmp_path / "data", clock=clock, database_url=database_url)
    try:
        binding = await harness.connect(runtime)
        assert runtime.app.channels.get(binding.id) is not None, runtime.app.channels.failed
        yield MetaChannel(runtime, harness, binding, clock)
    finally:
        runtime.stop()
        await harness.close()


@pytest.fixture
async def facebook(tmp_path: Path, database_url: str) -> AsyncIterator[MetaChannel]:
    async for channel in _connected(tmp_path, FacebookHarness(), database_url):
        yield channel


@pytest.fixture
async def instagram(tmp_path: Path, database_url: str) -> AsyncIterator[MetaChannel]:
    async for channel in _connected(tmp_path, InstagramHarness(), database_url):
        yield channel


@pytest.fixture
async def comments(tmp_path: Path, database_url: str) -> AsyncIterator[MetaChannel]:
    async for channel in _connected(tmp_path, CommentsHarness(), database_url):
        yield channel
