"""The runtime starts and stops with its plugin, and survives a broken channel."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from backends import registry
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings
from bridge.channels import ChannelBackend, OutboundMessage, SendResult
from bridge.model import ChannelBinding
from journal_store import open_journal
from runtime.seed import seed_defaults
from tests.support.customer import Customer
from tests.support.runtime import Running


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.load(response)


def _a_customer_is_acked(port: int, text: str) -> None:
    customer = Customer(port)
    try:
        customer.connect()
        assert customer.say(text)["seq"] == 1
    finally:
        customer.close()


class _Exploding(ChannelBackend):
    kind = "exploding"

    async def start(self) -> None:
        raise RuntimeError("token=SECRET refused")

    async def send(self, message: OutboundMessage) -> SendResult:
        raise AssertionError("never started")


@dataclass(frozen=True)
class _NoSettings(KindSettings):
    pass


def test_deactivating_the_plugin_stops_the_server_and_activating_restarts_it(openlines):
    port = openlines.port
    assert _health(port)["status"] == "ok"

    openlines.bot.plugin_manager.deactivate_plugin("Operators")
    openlines.bot.plugin_manager.deactivate_plugin("OpenLines")
    with pytest.raises(urllib.error.URLError):
        _health(port)

    openlines.bot.plugin_manager.activate_plugin("OpenLines")
    openlines.bot.plugin_manager.activate_plugin("Operators")
    assert _health(openlines.port)["channels"] == ["webchat:support"]
    _a_customer_is_acked(openlines.port, "still here")


def test_a_broken_channel_does_not_stop_the_others(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(registry.KINDS, "exploding", ChannelKind("exploding", "Exploding", _NoSettings, _Exploding))
    journal = open_journal(str(tmp_path / "journal.sqlite3"))

    async def configure() -> None:
        await seed_defaults(journal.config, ("alice",))
        await journal.config.save_binding(ChannelBinding("support", "exploding", "boom"))
        await journal.config.save_binding(ChannelBinding("support", "no-such-kind", "x"))

    asyncio.run(configure())
    journal.close()

    running = Running(tmp_path)
    try:
        health = _health(running.http_port)
        assert health["status"] == "ok" and health["channels"] == ["webchat:support"]
        assert health["failed_channels"] == {"exploding:boom": "RuntimeError", "no-such-kind:x": "NotFound"}
        assert "SECRET" not in caplog.text
        _a_customer_is_acked(running.http_port, "the web chat still works")
    finally:
        running.stop()
