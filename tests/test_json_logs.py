"""OPENLINES_LOG_FORMAT=json on the real run command: every line of its log is one JSON event, with the
line and channel ids where it has them, and neither a credential nor a customer's words."""
from __future__ import annotations

import json
import socket

from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

TOKEN = "123456789:AAJsonLogsMustNeverShowThisToken"
CUSTOMER_TEXT = "my card number is 4111 1111"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_json_log_lines_of_a_real_run(tmp_path):
    bot = OpenLinesProcess(tmp_path, OPENLINES_LOG_FORMAT="json", OPENLINES_LOG_LEVEL="INFO")
    customer = Customer(bot.port)
    try:
        customer.connect("Kim")
        customer.say(CUSTOMER_TEXT)
        bot.wait_for(CUSTOMER_TEXT)  # shown to the operator on the console (stdout), not logged
        bot.type(f"!line connect Support telegram token={TOKEN} api_url=http://127.0.0.1:{_closed_port()}")
        bot.wait_for("saved, not running", timeout=30)
        bot.type("!answer 1")
        bot.wait_for("You answer conversation 1")
    finally:
        customer.close()
        bot.stop()

    text = (tmp_path / "errbot.log").read_text(encoding="utf-8")
    events = [json.loads(line) for line in text.splitlines()]  # every line parses, or this fails
    assert len(events) >= 3
    for event in events:
        assert {"time", "level", "logger", "event"} <= set(event), event
        assert event["time"].endswith("+00:00") and event["level"] in ("INFO", "WARNING", "ERROR", "CRITICAL")
    failing = [e for e in events if e["event"].startswith("channel telegram:123456789 is failing")]
    assert len(failing) == 1, events  # once, not once per retry
    assert failing[0]["line"] == "support" and failing[0]["channel"] == "telegram"
    assert any(e["event"].startswith('Processing command "line_connect"') for e in events)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert CUSTOMER_TEXT not in text and "4111" not in text
