"""Limits per visitor and per address: over one, the client is told to wait and nothing acked is lost."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.support.webchat import Tab, new_client_id


@pytest.fixture
def open_tab(session):
    async def open_(runtime, widget: str = "support") -> Tab:
        return Tab(await session.ws_connect(f"http://127.0.0.1:{runtime.http_port}/webchat/{widget}/ws"))
    return open_


async def test_a_burst_over_the_limit_is_refused_with_retry_after_and_nothing_acked_is_lost(make_runtime, open_tab):
    runtime = make_runtime(webchat_burst=5, webchat_messages_per_minute=1)
    tab = await open_tab(runtime)
    await tab.hello()
    ids = [new_client_id() for _ in range(8)]
    for client_id, i in zip(ids, range(8)):  # back to back
        await tab.send(type="message", client_id=client_id, text=f"spam {i}")
    answers = [await tab.expect("ack", client_id=c) if i < 5 else await tab.expect("error", client_id=c)
               for i, c in enumerate(ids)]
    assert [a["type"] for a in answers] == ["ack"] * 5 + ["error"] * 3
    assert {a["code"] for a in answers[5:]} == {"rate_limited"}
    assert all(isinstance(a["retry_after"], int) and a["retry_after"] >= 1 for a in answers[5:])
    _, history = await (await open_tab(runtime)).hello(tab.token, last_seq=0)
    stored = [m["text"] for m in history["messages"] if m["from"] == "customer"]
    assert stored == [f"spam {i}" for i in range(5)]  # every ack is in the journal, nothing refused is


async def test_new_visitors_per_address_are_limited_but_returning_ones_are_not(make_runtime, open_tab):
    runtime = make_runtime(webchat_new_visitors_per_minute=2)
    first = await open_tab(runtime)
    await first.hello()
    second = await open_tab(runtime)
    await second.hello()
    third = await open_tab(runtime)
    await third.send(type="hello", visitor_token=None, last_seq=0)
    refused = await third.expect("error")
    assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
    welcome, _ = await (await open_tab(runtime)).hello(first.token)
    assert welcome["visitor_token"] == first.token


async def test_new_conversations_per_address_are_limited(make_runtime, open_tab):
    runtime = make_runtime(webchat_new_visitors_per_minute=2)
    tabs = []
    for _ in range(2):
        tab = await open_tab(runtime)
        await tab.hello()
        tabs.append(tab)
    await tabs[0].say("one conversation")
    await tabs[1].say("two conversations")
    await runtime.run(runtime.app.actions.close(tabs[0].conversation_id, "alice", silent=True))
    await tabs[0].send(type="message", client_id="third", text="a third conversation")
    assert (await tabs[0].expect("error", client_id="third"))["code"] == "rate_limited"
    await tabs[1].say("an open conversation goes on")


async def test_hellos_per_minute_are_limited(make_runtime, open_tab):
    runtime = make_runtime(webchat_hellos_per_minute=3)
    tab = await open_tab(runtime)
    for _ in range(3):
        await tab.hello(tab.token)
    await tab.send(type="hello", visitor_token=tab.token, last_seq=0)
    assert (await tab.expect("error"))["code"] == "rate_limited"
    await tab.say("the socket still works")


async def test_sockets_per_visitor_are_limited(make_runtime, open_tab):
    runtime = make_runtime(webchat_sockets_per_visitor=2)
    one = await open_tab(runtime)
    await one.hello()
    two = await open_tab(runtime)
    await two.hello(one.token)
    third = await open_tab(runtime)
    await third.send(type="hello", visitor_token=one.token, last_seq=0)
    assert (await third.expect("error"))["code"] == "rate_limited"
    await one.ws.close()
    await asyncio.sleep(0)
    fourth = await open_tab(runtime)
    for _ in range(50):  # the server notices the closed tab as soon as it reads its close frame
        await fourth.send(type="hello", visitor_token=one.token, last_seq=0)
        frame = await fourth.receive()
        if frame["type"] == "welcome":
            break
    assert frame["type"] == "welcome"


async def test_sockets_per_address_are_limited(make_runtime, open_tab):
    runtime = make_runtime(webchat_sockets_per_ip=2)
    kept = [await open_tab(runtime) for _ in range(2)]
    extra = await open_tab(runtime)
    error = await extra.receive()
    assert error["type"] == "error" and error["code"] == "rate_limited" and error["retry_after"] >= 1
    msg = await extra.ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and extra.ws.close_code == 1013
    await kept[0].hello()
    await kept[0].say("the first ones still work")


async def test_a_silent_socket_is_closed(make_runtime, open_tab):
    runtime = make_runtime(webchat_idle_seconds=1)
    tab = await open_tab(runtime)
    await tab.hello()
    assert (await tab.expect("error", timeout=10))["code"] == "idle"
    msg = await tab.ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_the_silence_counts_from_the_last_frame_and_a_hello_is_waited_for(make_runtime, open_tab):
    runtime = make_runtime(webchat_idle_seconds=1)
    tab = await open_tab(runtime)
    await tab.hello()
    for i in range(4):  # 2.4 s in all, never 1 s silent: each frame moves the deadline
        await asyncio.sleep(0.6)
        await tab.say(f"still here {i}")
    assert not [f for f in tab.pending if f.get("type") == "error"] and not tab.ws.closed
    started = asyncio.get_running_loop().time()
    assert (await tab.expect("error", timeout=10))["code"] == "idle"
    assert 0.8 <= asyncio.get_running_loop().time() - started < 5  # once silent for 1 s, not later
    silent = await open_tab(runtime)  # no hello yet: its limit is the hello's (30 s), not the 1 s of silence
    with pytest.raises(asyncio.TimeoutError):
        await silent.ws.receive(timeout=1.5)


async def test_an_upload_counts_against_the_same_limits(make_runtime, session, open_tab):
    runtime = make_runtime(webchat_burst=1, webchat_messages_per_minute=1)
    tab = await open_tab(runtime)
    await tab.hello()
    await tab.say("the one message of this minute")
    form = aiohttp.FormData()
    form.add_field("visitor_token", tab.token)
    form.add_field("client_id", "file-1")
    form.add_field("file", b"hello", filename="a.txt", content_type="text/plain")
    async with session.post(f"http://127.0.0.1:{runtime.http_port}/webchat/support/upload", data=form) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
        assert json.loads(await resp.text())["code"] == "rate_limited"
    assert not list(Path(runtime.settings.path("files")).glob("blobs/*/*"))  # nothing stored


async def test_an_open_chat_keeps_no_http_parser_and_two_tabs_of_one_visitor_are_both_reached(make_runtime, open_tab):
    # Memory per open chat (issue 19): once upgraded, the connection's HTTP request parser and its
    # queue of parsed requests are dropped; the socket still reads, answers and closes as before.
    runtime = make_runtime()
    tab = await open_tab(runtime)
    welcome, _ = await tab.hello()
    backend = runtime.app.channels.get("webchat:support")
    (ws,) = next(iter(backend.tabs.values()))
    protocol = ws._req.protocol
    assert protocol._parser is None and not protocol._messages
    second = await open_tab(runtime)
    await second.hello(welcome["visitor_token"])
    assert [len(sockets) for sockets in backend.tabs.values()] == [2]
    await tab.say("read after the upgrade")
    assert (await second.expect("message"))["text"] == "read after the upgrade"  # the other tab hears it
    await second.ws.close()
    await tab.say("one tab left")
    await _until(lambda: [len(sockets) for sockets in backend.tabs.values()] == [1])
    await tab.ws.close()
    await _until(lambda: not backend.tabs)


async def _until(done, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not done():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
