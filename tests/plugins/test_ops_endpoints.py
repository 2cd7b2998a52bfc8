"""/metrics and /readyz on a real Errbot with the Open Lines plugins: metrics move when a customer writes
and an operator replies, labels stay bounded; a channel failing makes /readyz 503 until it recovers."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.plugins.conftest import OpenLinesBot
from tests.plugins.test_channel_state import TOKEN, FakeInThread, refusing  # noqa: F401  (a fixture)
from tests.support.customer import Customer

ROOM = "#support-1"
CUSTOMER_TEXT = "my parcel 7731 never came"


def scrape(port: int) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        kind, text = response.headers["Content-Type"], response.read().decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return kind, samples


def ready(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return response.status, dict(json.load(response))
    except urllib.error.HTTPError as refused:
        return refused.code, dict(json.load(refused))


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_when_a_customer_writes_and_an_operator_replies(openlines: OpenLinesBot, customer: Customer):
    kind, before = scrape(openlines.port)
    assert kind.startswith("text/plain; version=0.0.4")
    assert value(before, "openlines_messages_received_total", line="support", channel="webchat") == 0
    assert "process_cpu_seconds_total" in {name for name, _ in before}

    welcome, _ = customer.connect("Ada")
    customer.say(CUSTOMER_TEXT)
    openlines.team.in_room(ROOM, CUSTOMER_TEXT)
    openlines.command("!answer 1")
    openlines.say_in_room(ROOM, "Let me check", as_user="alice")
    while customer.next_message()["text"] != "Let me check":  # the welcome comes first
        pass
    deadline = time.monotonic() + 15
    while True:  # sends are counted as recorded, open conversations read again every few seconds
        _, after = scrape(openlines.port)
        if (value(after, "openlines_messages_sent_total", line="support", channel="webchat") >= 2
                and value(after, "openlines_conversations_open", line="support") >= 1) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert value(after, "openlines_messages_received_total", line="support", channel="webchat") == 1
    assert value(after, "openlines_messages_sent_total", line="support", channel="webchat") == 2  # welcome, reply
    assert value(after, "openlines_relay_seconds_count") == 1
    assert value(after, "openlines_relay_seconds_bucket", le="+Inf") == 1
    assert value(after, "openlines_first_answer_seconds_count", line="support") == 1
    assert value(after, "openlines_conversations_open", line="support") == 1
    assert value(after, "openlines_queue_waiting", line="support") == 0  # answered
    assert value(after, "openlines_webchat_sockets") == 1
    assert value(after, "openlines_dead_letters_total") == 0
    # Bounded labels: line ids, channel kinds, lane kinds, buckets — never a conversation, customer or text.
    for (name, labels) in after:
        for label, shown in labels:
            assert label in {"line", "channel", "lane_kind", "reason", "state", "le"}, (name, label)
            assert shown not in {"1", welcome["conversation_id"], "Ada"}, (name, label, shown)
            assert "parcel" not in shown and (customer.token or "-") not in shown


def test_readyz_says_a_failing_channel_with_its_reason_then_its_recovery(openlines: OpenLinesBot,
                                                                      refusing: FakeInThread):  # noqa: F811
    status, body = ready(openlines.port)
    assert status == 200 and body["status"] == "ready", body
    assert body["team_chat"] == "connected" and body["store"] == "writable" and body["dead_letters"] == 0
    assert body["channels"] == {"webchat:support": {"state": "running"}}
    assert isinstance(body["backlog"], dict)

    openlines.command("!line create Sales")
    openlines.command(f"!line connect Sales telegram token={TOKEN} api_url={refusing.url}")
    status, body = ready(openlines.port)
    assert status == 503 and body["status"] == "not ready"
    failing = body["channels"]["telegram:123456789"]
    assert failing["state"] == "failing" and "refused the credentials" in failing["reason"]
    assert TOKEN not in json.dumps(body)

    _, samples = scrape(openlines.port)
    assert value(samples, "openlines_channels", state="failing") == 1
    assert value(samples, "openlines_channels", state="running") == 1

    refusing.fake.token = TOKEN  # the platform takes the token now
    deadline = time.monotonic() + 30
    while (answer := ready(openlines.port))[0] != 200:
        assert time.monotonic() < deadline, f"never ready again: {answer}"
        time.sleep(0.5)
    assert answer[1]["channels"]["telegram:123456789"] == {"state": "running"}
    _, samples = scrape(openlines.port)
    assert value(samples, "openlines_channels", state="failing") == 0
