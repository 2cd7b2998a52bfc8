"""A visitor with tabs on two processes sharing one PostgreSQL database: what either process pushes
(the visitor's own words, an operator's reply, typing, read marks) reaches every tab, once."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import psycopg

from bridge.channels import OutboundMessage
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)
from tests.support.runtime import OPERATOR, Running
from tests.support.webchat import Tab, wait_until


def _two(make_runtime: Any, url: str, tmp_path: Any) -> tuple[Running, Running]:
    shared = {"database_url": url, "secret_key": "one key for the install"}
    return make_runtime(tmp_path / "first", **shared), make_runtime(tmp_path / "second", **shared)


async def _quiet(tab: Tab, seconds: float = 0.5) -> list[dict[str, Any]]:
    """What else the tab gets within ``seconds`` (a frame pushed twice would be there)."""
    frames = list(tab.pending)
    tab.pending.clear()
    try:
        while True:
            msg = await tab.ws.receive(seconds)
            if msg.type is aiohttp.WSMsgType.TEXT:
                frames.append(json.loads(msg.data))
    except asyncio.TimeoutError:
        return frames


async def test_every_tab_gets_what_either_process_pushes_once(make_runtime, connect, pg_database, tmp_path):
    first, second = _two(make_runtime, emptied(pg_database), tmp_path)
    here, there = await connect(port=first.http_port), await connect(port=second.http_port)
    welcome, _ = await here.hello(name="Ann")
    again, _ = await there.hello(welcome["visitor_token"])  # the token one process signed is good on the other
    assert again["visitor_token"] == welcome["visitor_token"]

    ack = await here.say("where is my parcel?")
    assert (await there.expect("message", seq=ack["seq"]))["text"] == "where is my parcel?"  # its other tab
    cid = ack["conversation_id"]
    for tab in (here, there):
        await tab.expect("message", **{"from": "agent"})  # the welcome auto-reply

    await first.run(first.app.actions.operator_signal(cid, OPERATOR, "typing", {"on": True}))
    for tab in (here, there):
        assert (await tab.expect("typing"))["on"] is True
    reply = await first.run(first.app.actions.reply(cid, OPERATOR, "It left the warehouse today"))
    for tab in (here, there):
        assert (await tab.expect("message", seq=reply.seq))["text"] == "It left the warehouse today"
        assert (await tab.expect("read"))["seq"] == reply.seq - 1  # answering is having read
    long = "🙂" * 2500  # 10 kB: more than a notification carries, told another way
    reply = await second.run(second.app.actions.reply(cid, OPERATOR, long))
    for tab in (here, there):
        assert (await tab.expect("message", seq=reply.seq))["text"] == long
    for tab in (here, there):
        assert [f for f in await _quiet(tab) if f.get("type") == "message"] == []


async def test_a_send_redone_after_a_crash_reaches_each_tab_once(make_runtime, connect, pg_database, tmp_path):
    first, second = _two(make_runtime, emptied(pg_database), tmp_path)
    here, there = await connect(port=first.http_port), await connect(port=second.http_port)
    welcome, _ = await here.hello(name="Ann")
    await there.hello(welcome["visitor_token"])
    ack = await here.say("hello")
    reply = await first.run(first.app.actions.reply(ack["conversation_id"], OPERATOR, "Hi Ann"))
    for tab in (here, there):
        await tab.expect("message", seq=reply.seq)
    binding_id = next(iter(first.app.channels.backends))
    conversation = await first.run(first.app.conversation(ack["conversation_id"]))
    again = OutboundMessage(seq=reply.seq, conversation_id=conversation.id, customer_ref=conversation.customer_ref,
                            author="Support", text="Hi Ann", ts=reply.ts)
    for process in (first, second):  # the outbox sends again what it may have sent before a crash, anywhere
        await process.run(process.app.channels.backends[binding_id].send(again))
    for tab in (here, there):
        assert [f for f in await _quiet(tab) if f.get("seq") == reply.seq] == []


async def test_a_worker_leaves_the_room_to_the_team_side_and_tells_it_the_customer_types(
        make_runtime, connect, pg_database, tmp_path):
    shared = {"database_url": emptied(pg_database), "secret_key": "one key for the install"}
    team_side = make_runtime(tmp_path / "team", **shared)
    worker = make_runtime(tmp_path / "worker", leave=("team.",), **shared)
    tab = await connect(port=worker.http_port)
    await tab.hello(name="Ann")
    await tab.say("is anyone there?")
    await wait_until(lambda: any(p.text == "is anyone there?" for _, p in team_side.team.posts), what="the post")
    await tab.send(type="typing", on=True)
    await wait_until(lambda: [s for s in team_side.team.signals if s[1] == "typing"], what="the typing, in the room")
    assert (worker.team.rooms, worker.team.posts, worker.team.signals) == ([], [], [])  # never the worker's to do


async def test_a_worker_stopping_lets_go_of_its_lanes_for_the_others_at_once(make_runtime, connect, pg_database,
                                                                             tmp_path):
    url = emptied(pg_database)
    worker = make_runtime(tmp_path / "worker", leave=("team.",), database_url=url, secret_key="k", node="worker-1")
    tab = await connect(port=worker.http_port)
    await tab.hello(name="Ann")
    await tab.say("hello")  # its welcome auto-reply is sent by the worker: the conversation's lane is its own
    await tab.expect("message", **{"from": "agent"})
    held = "SELECT lane FROM lanes WHERE owner = 'worker-1' AND until > extract(epoch FROM now())"
    with psycopg.connect(url) as conn:
        assert conn.execute(held).fetchall()
    await asyncio.to_thread(worker.stop)
    with psycopg.connect(url) as conn:
        assert conn.execute(held).fetchall() == []


async def test_forgetting_on_one_process_closes_the_visitors_tabs_on_the_other(make_runtime, connect, pg_database,
                                                                               tmp_path):
    first, second = _two(make_runtime, emptied(pg_database), tmp_path)
    here, there = await connect(port=first.http_port), await connect(port=second.http_port)
    welcome, _ = await here.hello(name="Ann")
    await there.hello(welcome["visitor_token"])
    stranger = await connect(port=second.http_port)  # another visitor's tab on the same process stays open
    await stranger.hello(name="Bob")
    await here.send(type="forget")
    for tab in (here, there):
        await tab.expect("forgotten", timeout=1.0)
        assert (await tab.ws.receive(1.0)).type is aiohttp.WSMsgType.CLOSE
        assert tab.ws.close_code == aiohttp.WSCloseCode.OK  # closed the same way on either process
    assert not stranger.ws.closed and (await stranger.say("still here?"))["seq"] > 0
    welcome, history = await (await connect(port=second.http_port)).hello(welcome["visitor_token"], last_seq=0)
    assert history["messages"] == [] and welcome["visitor_token"] != here.token
