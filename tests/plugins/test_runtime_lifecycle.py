"""The runtime starts and stops with its plugin, and survives a broken channel."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from backends import registry
from bridge.channels import ChannelBackend
from bridge.model import ChannelBinding
from bridge.sqlite_store import open_sqlite
from plugins.runtime import Runtime
from plugins.seed import seed_defaults
from plugins.settings import Settings
from tests.support.customer import Customer


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
    label = "Exploding"

    def __init__(self, binding, sink, context) -> None:
        super().__init__(binding, sink)

    async def start(self) -> None:
        raise RuntimeError("token=SECRET refused")

    async def send(self, message) -> None:
        raise AssertionError("never started")


class _NullTeam:
    async def open_room(self, conversation, line, topic): ...
    async def post(self, items): ...
    async def announce(self, line, text): ...


def test_deactivating_the_plugin_stops_the_server_and_activating_restarts_it(openlines):
    port = openlines.port
    assert _health(port)["status"] == "ok"

    openlines.bot.plugin_manager.deactivate_plugin("Operators")
    openlines.bot.plugin_manager.deactivate_plugin("OpenLines")
    with pytest.raises(urllib.error.URLError):
        _health(port)

    openlines.bot.plugin_manager.activate_plugin("OpenLines")
    openlines.bot.plugin_manager.activate_plugin("Operators")
    runtime = openlines.plugin.runtime
    assert runtime is not None and _health(runtime.http_port)["channels"] == ["webchat:support"]
    _a_customer_is_acked(runtime.http_port, "still here")


def test_a_broken_channel_does_not_stop_the_others(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(registry.KINDS, "exploding", _Exploding)
    worker, _journal, lines = open_sqlite(str(tmp_path / "journal.sqlite3"))

    async def configure() -> None:
        await seed_defaults(lines, ("alice",))
        await lines.save_binding(ChannelBinding("support", "exploding", "boom"))
        await lines.save_binding(ChannelBinding("support", "no-such-kind", "x"))

    asyncio.run(configure())
    worker.close()

    runtime = Runtime(Settings(data_dir=str(tmp_path), http_port=0, operators=("alice",)), _NullTeam())
    runtime.start()
    try:
        health = _health(runtime.http_port)
        assert health["channels"] == ["webchat:support"]
        assert health["failed_channels"] == {"exploding:boom": "RuntimeError",
                                             "no-such-kind:x": "NotFound"}
        assert "SECRET" not in caplog.text
        _a_customer_is_acked(runtime.http_port, "the web chat still works")
    finally:
        runtime.stop()
