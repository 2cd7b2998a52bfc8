"""Events no parser can read are kept durably, told to the line once per kind, and never acknowledged unkept."""
from __future__ import annotations

import json
from pathlib import Path
from typing import AsyncIterator

import pytest

from bridge.model import ChannelBinding
from tests.channels.channel import Channel, FailingSink
from tests.channels.harness_viber import ViberHarness
from tests.support.runtime import Running


@pytest.fixture
async def harness() -> AsyncIterator[ViberHarness]:
    made = ViberHarness()
    yield made
    await made.close()


async def test_an_unreadable_event_the_journal_cannot_keep_is_answered_503_and_kept_when_sent_again(channel: Channel):
    assert isinstance(channel.harness, ViberHarness)
    backend = channel.runtime.app.channels.get(channel.binding.id)
    assert backend is not None
    backend.sink = FailingSink(backend.sink, error=ConnectionError("the journal is away"))
    odd = {"event": "something_new", "timestamp": 1, "user_id": "u1", "message_token": 5}
    assert await channel.harness.fake.callback(odd) == 503  # Viber calls again after a non-2xx
    assert await channel.kept() == {}
    assert await channel.harness.fake.callback(odd) == 200
    assert await channel.harness.fake.callback(odd) == 200  # a redelivery of one kept: kept once
    assert await channel.kept() == {"something_new callback": 1}
    note = await channel.wait_kept_note("something_new callback")
    assert "Open Lines does not know this kind of callback" in note and "Viber" in note


async def test_an_event_with_an_id_no_store_can_key_is_kept_and_shown(channel: Channel):
    """A customer id over 1,000 characters is no key: the event is kept, not dropped."""
    assert isinstance(channel.harness, ViberHarness)
    odd = {"event": "subscribed", "timestamp": 1, "user": {"id": "u" * 1001}, "message_token": 6}
    odd_message = {"event": "message", "timestamp": 1, "message_token": 7, "sender": {"id": "u" * 1001},
                   "message": {"type": "text", "text": "hello"}}
    assert await channel.harness.fake.callback(odd) == 200
    assert await channel.harness.fake.callback(odd_message) == 200
    assert await channel.kept() == {"message": 1}  # a status with no usable id tells the team nothing
    assert "no sender id" in await channel.wait_kept_note("message")


async def test_once_per_kind_holds_across_restarts_and_processes(tmp_path: Path, database_url: str):
    binding = ChannelBinding("support", "viber", "k1", label="Viber")
    first = Running(tmp_path / "data", database_url=database_url)
    try:
        first.call(first.app.inbound.keep(binding, "odd callback", "unknown", json.dumps({"n": 1})))
        first.team.wait_for(lambda team: any("could not read was kept: odd callback" in t
                                             for t in team.texts("support", ("notice",))))
    finally:
        first.stop()
    second = Running(tmp_path / "data", database_url=database_url)
    try:
        second.call(second.app.inbound.keep(binding, "odd callback", "unknown", json.dumps({"n": 2})))
        second.call(second.app.inbound.keep(binding, "other callback", "unknown", json.dumps({"n": 3})))
        second.team.wait_for(lambda team: any("kept: other callback" in t for t in team.texts("support")))
        assert not any("kept: odd callback" in t for t in second.team.texts("support"))
        counts = second.call(second.app.journal.conversations.kept_counts([binding.id]))  # type: ignore[union-attr]
        assert counts == {(binding.id, "odd callback"): 2, (binding.id, "other callback"): 1}
    finally:
        second.stop()
