"""A channel kind's SDK is imported when a binding of that kind is first built, never at start.

python-telegram-bot, botbuilder and viberbot held ~28 MB of every idle process and part of its start
(issue 19). The run command itself is watched: ``PYTHONPROFILEIMPORTTIME`` makes the interpreter
print every module it imports, as it imports it, into the output the test reads.
"""
from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request

from tests.support.process import OpenLinesProcess

SDKS = ("telegram", "botbuilder", "viberbot")


def imported(output: str) -> set[str]:
    """The SDKs whose top-level package the process imported so far."""
    return {m.group(1) for m in re.finditer(r"^import time:.*\|\s+(\w+)(?:\.|$)", output, re.MULTILINE)
            if m.group(1) in SDKS}


def post(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once closed: the Bot API is away


def test_the_product_with_a_webchat_line_imports_no_sdk_until_a_telegram_channel_is_connected(tmp_path):
    bot = OpenLinesProcess(tmp_path, PYTHONPROFILEIMPORTTIME="1")
    try:
        assert "import time:" in bot.output and "aiohttp" in bot.output  # the watch works
        assert bot.health()["channels"] == ["webchat:support"]
        for path in ("/telegram/1", "/viber/abc", "/botframework/anonymous/messages"):  # declared at start
            assert post(bot.port, path) == 404  # no such channel: answered without its SDK
        assert imported(bot.output) == set()
        before = len(bot.output)
        bot.type(f"!line connect Support telegram token=123456:ABC-fake api_url=http://127.0.0.1:{closed_port()}")
        bot.wait_for(re.compile(r"Telegram (connected|saved)"), timeout=60, start=before)  # its reply, whatever it says
        assert imported(bot.output) == {"telegram"}  # that kind's SDK alone, once a binding of it is built
    finally:
        bot.stop()
