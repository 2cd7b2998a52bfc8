"""Credentials and sign-in links typed in the bot's direct chat: used, then found nowhere in clear.

The real run command at DEBUG, its data dir (SQLite files and their WAL), its log and its terminal.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.support.console import TeamMember
from tests.support.fake_telegram import FakeTelegram
from tests.support.loopback import LoopThread
from tests.support.process import OpenLinesProcess

TOKEN = "7654321:AAcanaryTGsecretZZ-sealed"
WELCOME = re.compile(r"#welcome=([\w-]{20,})")


def _everything_written(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def assert_found_nowhere(secrets: list[str], data_dir: Path, printed: str) -> None:
    """Not in any file of the data dir (the log, SQLite files and their WAL), not on the terminal."""
    written = _everything_written(data_dir)
    for secret in secrets:
        assert secret.encode() not in written, secret
        assert secret not in printed, secret
    assert "DEBUG" in (data_dir / "errbot.log").read_text()  # it did log at DEBUG


class FakeBotApi:
    """The fake Telegram Bot API on a loop thread of its own, for a test of the real run command."""

    def __init__(self, token: str) -> None:
        self.platform = LoopThread()
        self.fake = FakeTelegram(token)
        self.url = self.platform.call(self.fake.start())

    def close(self) -> None:
        self.platform.call(self.fake.stop())
        self.platform.stop()


def test_on_the_console_a_token_and_a_sign_in_link_are_used_then_found_nowhere(tmp_path):
    api = FakeBotApi(TOKEN)
    data = tmp_path / "data"
    bot = OpenLinesProcess(data, OPENLINES_TEAM_BACKEND="Console", OPENLINES_LOG_LEVEL="DEBUG")
    admin, kim = TeamMember(bot.port), TeamMember(bot.port)
    try:
        admin.sign_in_first(bot)
        admin.connect()
        admin.say("@operator", f"!line connect Support telegram token={TOKEN} api_url={api.url}")
        assert "refused" not in admin.message("@operator", "Telegram connected")["text"]
        assert "getMe" in api.fake.calls  # the token was used, against the platform

        admin.say("@operator", "!console add kim Kim K.")
        live = admin.message("@operator", "can sign in once")["text"]
        link = WELCOME.search(live)
        assert link, live  # delivered live, whole, to whoever asked
        bot.type("!console add lee")  # the terminal types as the first admin, in the same direct chat
        second = WELCOME.search(admin.message("@operator", "@lee can sign in once")["text"])
        assert second

        mark = admin.mark()
        admin.send({"type": "open", "room": "@operator"})
        history = admin.wait(lambda f: f["type"] == "history" and f["room"] == "@operator", start=mark)
        kept = "\n".join(m["text"] for m in history["messages"])
        assert "!line connect Support telegram token=••••••" in kept and "#welcome=••••••" in kept
        assert kim.redeem(live) == 200  # the link delivered live signs in (once)
    finally:
        kim.close()
        admin.close()
        bot.kill()  # no clean shutdown: the WAL stays as it was
        api.close()
    assert any(p.name.endswith("-wal") for p in data.rglob("*")), "the WAL is part of what is searched"
    assert_found_nowhere([TOKEN, TOKEN.split(":")[1], link.group(1), second.group(1)], data, bot.output)


def test_on_the_text_console_a_token_is_used_then_found_nowhere(tmp_path):
    api = FakeBotApi(TOKEN)
    data = tmp_path / "data"
    bot = OpenLinesProcess(data, OPENLINES_LOG_LEVEL="DEBUG")  # Errbot's Text backend
    try:
        bot.type(f"!line connect Support telegram token={TOKEN} api_url={api.url}")
        bot.wait_for("Telegram connected")
        assert "getMe" in api.fake.calls
    finally:
        bot.kill()
        api.close()
    assert_found_nowhere([TOKEN, TOKEN.split(":")[1]], data, bot.output)
