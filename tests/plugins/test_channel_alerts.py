"""!line status says how each channel is doing; the line is told once when a channel stops working and
once when it works again, never per message (a fake Telegram going down, then up)."""
from __future__ import annotations

import time

from tests.plugins.conftest import OpenLinesBot
from tests.plugins.test_channel_state import TOKEN, FakeInThread
from tests.support.fake_telegram import text_update

DOWN, UP = "Telegram of line Support stopped working", "Telegram of line Support works again"


def _until(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_platform_outage_is_told_once_each_way_and_shown_by_line_status(openlines: OpenLinesBot):
    platform = FakeInThread(TOKEN)
    try:
        reply = openlines.command(f"!line connect Support telegram token={TOKEN} api_url={platform.url}")
        assert "connected to the line (running)" in reply, reply
        status = openlines.command("!line status Support")
        assert "Telegram (123456789): ✅ connected" in status, status
        assert "last inbound: none since this process started" in status and "waiting to be sent: 0" in status

        platform.loop.call_soon_threadsafe(platform.fake.push, text_update(1, 42, 1, "Hello, is my parcel on its way?"))
        openlines.team.in_room("#support", "New conversation")
        openlines.command("!answer 1")
        openlines.say_in_room("#support-1", "Yes, it left today")
        _until(lambda: any(s.text == "Yes, it left today" for s in platform.fake.sent), "the reply never arrived")
        _until(lambda: "last successful send: 20" in openlines.command("!line status Support"), "no send recorded")
        status = openlines.command("!line status Support")
        assert "last inbound: 20" in status and " ago)" in status, status

        platform.loop.call_soon_threadsafe(platform.fake.go_down)
        openlines.team.in_room("#support", DOWN, timeout=30)
        openlines.team.wait_for(lambda to, body: to == "alice" and DOWN in body)  # the admin, in private
        status = openlines.command("!line status Support")
        assert "⚠️ not connected — Telegram could not be reached" in status, status
        assert "last error (" in status
        openlines.say_in_room("#support-1", "Are you still there?")  # waits: one backlog, no further alert
        _until(lambda: "waiting to be sent: 1" in openlines.command("!line status Support"), "no backlog shown")
        time.sleep(3)  # several failed polls and sends meanwhile
        assert openlines.team.count("#support", DOWN) == 1

        platform.loop.call_soon_threadsafe(platform.fake.come_up)
        openlines.team.in_room("#support", UP, timeout=60)
        _until(lambda: any(s.text == "Are you still there?" for s in platform.fake.sent), "the backlog was not sent")
        _until(lambda: "✅ connected" in openlines.command("!line status Support"), "never connected again")
        time.sleep(2)
        assert openlines.team.count("#support", DOWN) == 1 and openlines.team.count("#support", UP) == 1
    finally:
        platform.stop()


def test_line_status_without_a_name_lists_every_line_of_yours_and_refuses_strangers(openlines: OpenLinesBot):
    openlines.command("!line create Sales")
    status = openlines.command("!line status")
    assert "Line Support:" in status and "Website chat (support): ✅ connected" in status, status
    assert "Line Sales: no channels yet" in status
    assert "no role on line Sales" in openlines.command("!line status Sales", as_user="mallory")
