"""Meta channels from the team chat, through a real Errbot: connect, answer, and the platform's refusals told first."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest

from tests.channels.harness_meta import CommentsHarness, FacebookHarness, MetaHarness
from tests.plugins.conftest import OpenLinesBot
from tests.support.graph_api import FakeGraph, graph_in_thread

DAY = 86400.0


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with graph_in_thread() as fake:
        yield fake


def connect(bot: OpenLinesBot, graph: FakeGraph, harness: MetaHarness, token: str | None = None) -> str:
    graph.tokens[harness.token] = harness.account
    graph.objects.setdefault(harness.account, {"name": "The Shop"})
    harness.url = f"http://127.0.0.1:{bot.port}/meta/{harness.account}"
    return bot.command(f"!line connect Support {harness.kind} page_id={harness.account} "
                       f"page_token={token or harness.token} app_secret={harness.app_secret} "
                       f"verify_token={harness.verify_token} api_url={graph.api}")


def post(harness: MetaHarness, body: bytes) -> int:
    request = urllib.request.Request(harness.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": harness.sign(body)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def wait(predicate: Any, what: str) -> Any:
    deadline = time.monotonic() + 10
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


def test_connecting_a_page_checks_the_token_and_gives_the_callback_url(openlines: OpenLinesBot, graph: FakeGraph):
    harness = FacebookHarness()
    bad = connect(openlines, graph, harness, token="EAAG-not-the-page-token")
    assert "refused the credentials" in bad and "reconnect the channel" in bad
    good = connect(openlines, graph, harness)
    assert "Facebook Messenger connected" in good and "refused" not in good
    assert f"/meta/{harness.account}" in good
    assert harness.token not in good and harness.token not in openlines.command("!line show Support")


def test_a_reply_past_metas_window_is_refused_before_it_is_stored(openlines: OpenLinesBot, graph: FakeGraph):
    harness = FacebookHarness()
    connect(openlines, graph, harness)
    customer = "24000000000001"
    old = harness.envelope([harness.message(customer, "m-old", "Anyone there?", at=time.time() - 8 * DAY)])
    assert post(harness, old) == 200
    openlines.team.in_room("#support-1", "Anyone there?")
    refused = openlines.command("!reply 1 Sorry for the delay")
    assert "not sent: the platform will refuse this" in refused and "older than 7 days" in refused
    assert not any("Sorry for the delay" in c.text for c in graph.sent)
    assert "comment conversations" in openlines.command("!reply private 1 psst")
    fresh = harness.envelope([harness.message(customer, "m-new", "Hello again")])
    assert post(harness, fresh) == 200
    openlines.team.in_room("#support-1", "Hello again")
    assert "Sent to the customer" in openlines.command("!reply 1 Here we are")
    call = wait(lambda: [c for c in graph.sent if c.text == "Here we are"], "the reply at Meta")[0]
    assert call.payload["messaging_type"] == "RESPONSE"


def test_public_and_private_answers_to_a_comment(openlines: OpenLinesBot, graph: FakeGraph):
    harness = CommentsHarness()
    assert "Facebook comments connected" in connect(openlines, graph, harness)
    graph.objects[harness.post_id] = {"message": "New arrivals", "permalink_url": "https://facebook.example/p/555"}
    body = harness.envelope(changes=[harness.comment("7100000000001", "555_1001", "Price of the red one?")])
    assert post(harness, body) == 200
    shown = openlines.team.in_room("#support-1", "Price of the red one?")
    assert "New arrivals" in shown
    assert "Sent to the customer" in openlines.command("!reply public 1 It is 20 euros.")
    assert "Sent to the customer" in openlines.command("!reply private 1 I sent you the size chart too.")
    wait(lambda: graph.sends_to("messages"), "the private reply at Meta")
    assert graph.sends_to("messages")[0].recipient == {"comment_id": "555_1001"}
    state = openlines.api._runtime.journal.state
    wait(lambda: openlines.api.call(state.get(f"fbcomments:{harness.account}", "7100000000001")).get("private"),
         "the private reply noted once Meta took it")
    public = wait(lambda: [c for c in graph.sends_to("comments") if "20 euros" in c.text], "the public reply")
    assert public[0].path == "555_1001/comments"
    again = openlines.command("!reply private 1 One more thing")
    assert "not sent: a private reply was already sent to this comment" in again
    assert len(graph.sends_to("messages")) == 1
