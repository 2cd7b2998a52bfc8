"""A channel's own rules reach the operator through the channel contract alone: a kind declares the
words a reply may start with and answers ``preflight``; the commands know no kind by name.

The "pager" kind below is the whole of a new channel with a send window: its settings, its class, its
description and its registry line. Nothing in plugins/ names it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from backends import registry
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, ReplyChoices, setting
from bridge.channels import ChannelBackend, InboundMessage, OutboundMessage, SendResult
from tests.plugins.conftest import OpenLinesBot
from tests.plugins.test_meta_commands import wait

ASLEEP = "the pager is switched off at night: only an urgent page reaches it"


@dataclass(frozen=True)
class PagerSettings(KindSettings):
    name: str = setting("the pager's name", required=True)

    def key(self) -> str:
        return self.name


class Pager(ChannelBackend):
    kind = "pager"
    asked: list[OutboundMessage] = []
    sent: list[OutboundMessage] = []

    async def preflight(self, message: OutboundMessage) -> str | None:
        Pager.asked.append(message)
        night = (await self.context.state.get(self.binding.id, message.customer_ref)).get("night")
        return ASLEEP if night and message.options.get("priority") != "high" else None

    async def send(self, message: OutboundMessage) -> SendResult:
        Pager.sent.append(message)
        return SendResult(f"page-{len(Pager.sent)}")


PAGER = ChannelKind("pager", "Pager", PagerSettings, Pager,
                    reply_choices=ReplyChoices({"urgent": {"priority": "high"}}, "pager conversations"), preflight=True)


def by_people() -> list[OutboundMessage]:
    return [m for m in Pager.sent if not m.automatic]  # not the line's welcome


@pytest.fixture
def pager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.KINDS, "pager", PAGER)  # the registry line
    Pager.asked, Pager.sent = [], []


def a_customer_writes(bot: OpenLinesBot, customer: str, night: bool) -> None:
    assert "connected" in bot.command("!line connect Support pager name=p1")
    api = bot.api
    backend = api._runtime.channels.get("pager:p1")
    assert backend is not None
    bot.api.call(backend.context.state.put(backend.binding.id, customer, {"night": night}))
    bot.api.call(backend.sink.accept(backend.binding, InboundMessage(customer, "m-1", "Are you there?")))
    bot.team.in_room("#support-1", "Are you there?")


def test_the_channel_refuses_before_anything_is_stored_and_its_own_word_gets_through(pager, openlines):
    a_customer_writes(openlines, "c-1", night=True)
    refused = openlines.command("!reply 1 Good evening")
    assert f"not sent: {ASLEEP}" in refused
    assert [m.text for m in Pager.asked] == ["Good evening"] and Pager.asked[0].customer_ref == "c-1"
    assert "Sent to the customer" in openlines.command("!reply urgent 1 The server room is flooding")
    page = wait(by_people, "the page")
    assert [(m.text, m.options.get("priority")) for m in page] == [("The server room is flooding", "high")]
    stored = openlines.command("!transcript 1")
    assert "Good evening" not in stored and "flooding" in stored


def test_another_channels_word_is_refused_with_whose_it_is(pager, openlines):
    a_customer_writes(openlines, "c-2", night=False)
    assert "not sent: public and private answers are for Facebook comment conversations" in \
        openlines.command("!reply private 1 psst")
    on_comments = registry.KINDS["fbcomments"].reply_choices
    assert on_comments is not None and "urgent" not in on_comments.options
    assert "Sent to the customer" in openlines.command("!reply 1 Hello")
    assert [m.text for m in wait(by_people, "the reply")] == ["Hello"]


def test_a_channel_no_longer_running_is_still_asked(pager, openlines):
    a_customer_writes(openlines, "c-3", night=True)
    assert "disconnected" in openlines.command("!line disconnect Support pager")
    assert openlines.api._runtime.channels.get("pager:p1") is None
    assert f"not sent: {ASLEEP}" in openlines.command("!reply 1 Good evening")
