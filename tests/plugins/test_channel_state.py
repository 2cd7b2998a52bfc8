"""A channel whose platform is away or refuses its credentials says so: in `!line connect`, `!line show`
and /healthz — never "running" while it takes nothing."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from typing import Any, Iterator

import pytest

from tests.plugins.conftest import OpenLinesBot
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456789:AAFakeTokenForTheStateTest"


class FakeInThread:
    """A fake Telegram on its own loop: the bot's commands block the test's thread."""

    def __init__(self, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeTelegram(token)
        self.url = self._run(self.fake.start())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def stop(self) -> None:
        self._run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def refusing() -> Iterator[FakeInThread]:
    fake = FakeInThread("999:a-token-that-is-not-ours")  # any other token is answered 401
    yield fake
    fake.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return dict(json.load(response))


def test_a_platform_that_cannot_be_reached_is_saved_not_running_everywhere(openlines: OpenLinesBot):
    openlines.command("!line create Sales")
    reply = openlines.command(f"!line connect Sales telegram token={TOKEN} api_url=http://127.0.0.1:{_closed_port()}")
    assert reply.startswith("Telegram saved, not running: Telegram could not be reached; retrying every "), reply
    assert "running)" not in reply and "refused" not in reply
    show = openlines.command("!line show Sales")
    assert "telegram (123456789): saved, not running: Telegram could not be reached; retrying every" in show
    failing = _health(openlines.port)["failed_channels"]
    assert "Telegram could not be reached" in failing["telegram:123456789"]
    assert TOKEN not in json.dumps(failing) and TOKEN not in reply + show


def test_refused_credentials_are_named_as_such_not_as_an_absent_platform(openlines: OpenLinesBot,
                                                                          refusing: FakeInThread):
    openlines.command("!line create Sales")
    reply = openlines.command(f"!line connect Sales telegram token={TOKEN} api_url={refusing.url}")
    assert reply.startswith("Telegram saved, not running: the platform refused the credentials (Telegram does not "
                            "accept the bot's token"), reply
    assert "could not be reached" not in reply
    assert "refused the credentials" in openlines.command("!line show Sales")
    assert "refused the credentials" in _health(openlines.port)["failed_channels"]["telegram:123456789"]
    refusing.fake.token = TOKEN  # the platform takes the token now: the next try works, and says so
    deadline = time.monotonic() + 30
    while "telegram (123456789): running" not in openlines.command("!line show Sales"):
        assert time.monotonic() < deadline, "the channel never said it runs again"
        time.sleep(0.5)
    assert _health(openlines.port)["failed_channels"] == {}


def test_line_show_counts_the_events_its_channels_kept_unread(openlines: OpenLinesBot):
    api = openlines.api
    (binding,) = [b for b in api.directory.bindings.values() if b.kind == "webchat"]
    for n in range(3):
        api.call(api._services.inbound.keep(binding, "odd event", "Open Lines does not know it", f'{{"n": {n}}}'))
    line = api.directory.line(binding.line_id)
    show = openlines.command(f"!line show {line.name}")
    assert "events it could not read, kept: odd event ×3" in show
    openlines.team.in_room(f"#{line.id}", "could not read was kept: odd event")
    assert openlines.team.count(f"#{line.id}", "could not read was kept") == 1  # once per kind


def test_line_kept_lists_the_newest_kept_events_bounded_and_masked(openlines: OpenLinesBot):
    api = openlines.api
    (binding,) = [b for b in api.directory.bindings.values() if b.kind == "webchat"]
    name = api.directory.line(binding.line_id).name
    assert openlines.command(f"!line kept {name}") == f"No events kept on {name}: every event its channels got " \
                                                      "could be read."
    secret = "EAAB-a-page-token-nobody-may-read"
    events = [("odd event", "Open Lines does not know it", '{"n": 1,\n  "access_token": "x\\"%s"}' % secret),
              ("odd event", "Open Lines does not know it", '{"n": 2, "url": "https://x/?token=%s"}' % secret),
              ("huge event", "too deep to read", '{"n": 3, "pad": "' + "z" * 2000 + '"}')]
    for kind, reason, raw in events:
        api.call(api._services.inbound.keep(binding, kind, reason, raw))
    shown = openlines.command(f"!line kept {name}")
    lines = shown.splitlines()
    assert lines[0] == f"Events {name}'s channels could not read, kept (newest 3 of 3):"
    assert [line.split(" · ")[-1] for line in lines[1::2]] == [
        "huge event — too deep to read", "odd event — Open Lines does not know it",
        "odd event — Open Lines does not know it"]  # newest first
    assert f"webchat ({binding.key})" in lines[1] and " UTC · " in lines[1]
    assert lines[2].startswith('  {"n": 3, "pad": "zzz') and lines[2].endswith("…") and len(lines[2]) < 310
    assert lines[4] == '  {"n": 2, "url": "https://x/?token=••••••'  # key=value: masked to the next space
    assert lines[6] == '  {"n": 1, "access_token": "••••••"}'  # on one line, the credential masked
    assert secret not in shown
    newest = openlines.command(f"!line kept {name} --limit 1")
    assert "(newest 1 of 3)" in newest and "huge event" in newest and "odd event" not in newest
    for bad in ("!line kept", f"!line kept {name} --limit", f"!line kept {name} --limit many"):
        assert openlines.command(bad) == "Usage: !line kept NAME [--limit N]", bad
    assert "no line “Nowhere”" in openlines.command("!line kept Nowhere")
