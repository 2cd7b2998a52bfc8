"""The web console knows its people: a typo'd login is refused, never handed a conversation or a queue
place; what a command sends from the direct chat shows in the conversation's room. A real run command,
driven from its terminal (the first admin, @operator); what the rooms hold is read from the console's
room book, as the pages get it (the terminal prints only the answers to what is typed there)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from backends.team.console.rooms import RoomBook
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

UNKNOWN = "is not someone this team chat knows; check the spelling (admins add people with !console add LOGIN)."


@pytest.fixture
def bot(tmp_path):
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console")
    process.wait_for("team console: http://127.0.0.1:")
    yield process
    process.stop()


def _room(data_dir: Path, room: str, fragment: str, timeout: float = 10) -> list[str]:
    """The texts of ``room`` (its newest 100), once one holds ``fragment``."""
    deadline = time.monotonic() + timeout
    while True:
        book = RoomBook(str(data_dir / "console.sqlite3"))
        try:
            texts = [str(m.get("text", "")) for m in book.history(room)]
        finally:
            book.close()
        if any(fragment in t for t in texts):
            return texts
        assert time.monotonic() < deadline, f"{room} never held {fragment!r}: {texts[-5:]}"
        time.sleep(0.1)


def _said(bot: OpenLinesProcess, line: str, answer: str) -> str:
    """Type ``line``; the first line printed after it that holds ``answer``."""
    start = len(bot.output)
    bot.type(line)
    match = bot.wait_for(re.compile(re.escape(answer) + r"[^\n]*\n"), start=start)  # the whole line
    return bot.output[bot.output.rfind("\n", 0, match.start()) + 1:match.end() - 1]


def test_commands_refuse_logins_the_console_does_not_have(bot, tmp_path):
    customer = Customer(bot.port)
    try:
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        _room(tmp_path, "#support", "New conversation 1")
        _said(bot, "!answer 1", "You answer conversation 1")

        assert UNKNOWN in _said(bot, "!transfer @nobody 1", "@nobody is not someone")
        assert UNKNOWN in _said(bot, "!invite @ghost 1", "@ghost is not someone")
        assert UNKNOWN in _said(bot, "!line grant Support @ghost operator", "@ghost is not someone")
        assert "is not someone" in _said(bot, "!transfer @openlines 1", "@openlines is not")  # the bot is nobody
        imported = '!line import {"openlines_line": 1, "name": "Support", "operators": ["@operator", "@ghost"]}'
        assert "@ghost is not known to this team chat" in _said(bot, imported, "Not imported")
        start = len(bot.output)
        _said(bot, "!line queue Support", "1. @operator")
        time.sleep(0.3)  # the rest of the listing
        assert "@ghost" not in bot.output[start:]
        assert "You are still @operator" in _said(bot, "!asuser @ghost", "The console has no @ghost")
        _said(bot, "!conversations --mine", "Conversations of yours (1)")  # still the admin's

        _said(bot, "!console add bob Bob Builder", "@bob can sign in once")
        granted = _said(bot, "!line grant Support @bob operator", "@bob is now operator of line Support")
        assert "cannot tell" not in granted
        assert "cannot tell" not in _said(bot, "!transfer @bob 1", "Conversation 1 is @bob's now")
        _room(tmp_path, "@bob", "ℹ️ ↪ @operator handed you conversation 1 on Support (Lee)")
        said = "\n".join(_room(tmp_path, "#support-1", "@bob"))
        assert "Transferred to @nobody" not in said and "@ghost joins" not in said
    finally:
        customer.close()


def test_what_a_command_sends_from_the_direct_chat_shows_in_the_room_once(bot, tmp_path):
    customer = Customer(bot.port)
    try:
        customer.connect("Lee")
        customer.say("What does it cost?")
        assert "operator will answer" in customer.next_message()["text"]
        _room(tmp_path, "#support", "New conversation 1")
        _said(bot, "!quick add Support prices Our price list is at https://shop.example/prices", "has the quick")
        _said(bot, "!reply 1 It costs 12 euros.", "Sent to the customer of conversation 1")
        assert customer.next_message()["text"] == "It costs 12 euros."
        _said(bot, "!quick prices 1", "Sent “prices” to the customer of conversation 1")
        assert customer.next_message()["text"] == "Our price list is at https://shop.example/prices"
        _room(tmp_path, "#support-1", "💬 @operator: Our price list is at https://shop.example/prices")
        time.sleep(0.5)  # a second copy would follow in the same lane
        said = _room(tmp_path, "#support-1", "Our price list")
        assert said.count("💬 @operator: It costs 12 euros.") == 1
        assert said.count("💬 @operator: Our price list is at https://shop.example/prices") == 1
    finally:
        customer.close()
