"""A channel's credentials: taken in private only, sealed at rest, never shown, logged or exported."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from backends import registry
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, setting
from bridge.channels import ChannelBackend, OutboundMessage, SendResult
from bridge.errors import CredentialsRefused
from tests.plugins.conftest import OpenLinesBot

TOKEN = "987654:VERY-SECRET-bot-token"


@dataclass(frozen=True)
class VaultSettings(KindSettings):
    token: str = setting("the bot token", required=True, secret=True)
    name: str = setting("the bot's name", required=True)

    def key(self) -> str:
        return self.name


class Vault(ChannelBackend):
    kind = "vault"

    async def check(self) -> None:
        if self.binding.secrets.get("token") != TOKEN:
            raise CredentialsRefused("the platform refused the token")

    async def send(self, message: OutboundMessage) -> SendResult:
        return SendResult("v-1")


@pytest.fixture
def vault(monkeypatch):
    monkeypatch.setitem(registry.KINDS, "vault", ChannelKind("vault", "Vault", VaultSettings, Vault))


def _everything_written(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_a_token_is_found_nowhere_in_clear(vault, tmp_path, caplog):
    bot = OpenLinesBot(tmp_path)
    caplog.set_level(logging.DEBUG)  # after the bot set its own level: every line Errbot logs is kept
    try:
        bot.command("!line create Vaulted")
        room = bot.command_in_room("#ops", f"!line connect Vaulted vault token={TOKEN} name=v1")
        assert "direct message" in room and "rotate" in room
        reply = bot.command(f"!line connect Vaulted vault token={TOKEN} name=v1")
        assert "Vault connected" in reply and "refused" not in reply
        bad = bot.command("!line connect Vaulted vault token=wrong-but-long name=v1")
        assert "refused the credentials" in bad
        bot.command(f"!line connect Vaulted vault token={TOKEN} name=v1")
        for command in ("!line show Vaulted", "!line export Vaulted", "!audit Vaulted", "!line list"):
            assert TOKEN not in bot.command(command)
        assert "token=••••••" in bot.command("!line show Vaulted")
    finally:
        bot.stop()
    said = "\n".join(body for _to, body in bot.team.sent)
    assert TOKEN not in said
    assert TOKEN not in caplog.text and "VERY-SECRET" not in caplog.text
    assert TOKEN.encode() not in _everything_written(tmp_path)

    again = OpenLinesBot(tmp_path)  # a restart: the sealed token opens with the key in the data dir
    try:
        [binding] = [b for b in again.api.directory.bindings.values() if b.kind == "vault"]
        assert binding.secrets == {"token": TOKEN}
        assert "vault (v1): running" in again.command("!line show Vaulted")
    finally:
        again.stop()


def test_settings_and_rights_survive_a_restart(tmp_path):
    bot = OpenLinesBot(tmp_path)
    try:
        bot.command("!line create Sales")
        bot.command("!line set Sales capacity 4")
        bot.command("!line grant Sales bob operator")
        bot.command("!line disable Sales")
    finally:
        bot.stop()
    again = OpenLinesBot(tmp_path)
    try:
        shown = again.command("!line show Sales")
        assert "capacity = “4”" in shown and "bob" in shown and "disabled" in shown
        assert "Sales" in again.command("!line list", as_user="bob")
    finally:
        again.stop()
