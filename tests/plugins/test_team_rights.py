"""Errbot's own room commands are admins' only, and identities are compared exactly (no glob matching)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from errbot.backends import test as errbot_test

from plugins.team_rights import access_controls, core_plugins, exact

PLUGINS = str(Path(__file__).resolve().parents[2] / "plugins")


@pytest.fixture
def bot(tmp_path):
    admins = ("alice", "ops*")  # "ops*" is somebody's odd identity, not a pattern
    testbot = errbot_test.TestBot(extra_plugin_dir=PLUGINS, loglevel=logging.WARNING, extra_config={
        "BOT_ADMINS": tuple(exact(a) for a in admins), "ACCESS_CONTROLS": access_controls(admins),
        "CORE_PLUGINS": core_plugins("Test"), "HIDE_RESTRICTED_COMMANDS": True, "AUTOINSTALL_DEPS": False,
        "OPENLINES": {"data_dir": str(tmp_path), "http_port": 0, "admins": admins, "operators": admins}})
    testbot.start(timeout=10)
    yield testbot
    testbot.stop()


def _as(bot: errbot_test.TestBot, person: str, text: str) -> str:
    bot.bot.sender = bot.bot.build_identifier(person)
    bot.push_message(text)
    return bot.pop_message()


@pytest.mark.parametrize("command", ["!room list", "!room create #x", "!room topic #support-1 pwned",
                                     "!room destroy #support-1", "!room occupants #support-1"])
def test_room_commands_are_refused_to_anyone_but_an_admin(bot, command):
    assert "not allowed" in _as(bot, "bob", command).lower()


def test_an_admin_may_list_rooms(bot):
    assert "not allowed" not in _as(bot, "alice", "!room list").lower()


def test_an_identity_that_looks_like_a_pattern_matches_only_itself(bot):
    assert "not allowed" in _as(bot, "opsbob", "!room list").lower()
    assert "not allowed" not in _as(bot, "ops*", "!room list").lower()


def test_help_leads_with_open_lines_commands(bot):
    listing = _as(bot, "bob", "!help")
    assert listing.index("!answer") < listing.index("!whoami")
    assert "!room" not in listing  # hidden from who may not use it
