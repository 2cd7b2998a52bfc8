"""What a tab sees live and what it gets back in history agree, even while replies keep coming."""
from __future__ import annotations

import asyncio

from bridge.line_settings import LineSettings

REPLIES = 60


async def test_a_message_reads_the_same_live_and_in_history(connect, reply):
    one = await connect()
    await one.hello(name="Ann")
    first = await one.say("from tab one")
    two = await connect()
    await two.hello(one.token, last_seq=0)  # the same visitor, a tab that gives no name
    second = await two.say("from tab two")
    await reply(first["conversation_id"], "to both tabs")

    live = [await one.expect("message", seq=second["seq"]),
            await one.expect("message", text="to both tabs"),
            await one.expect("message", text=LineSettings().welcome_text)]
    _, history = await (await connect()).hello(one.token, last_seq=0)
    by_seq = {m["seq"]: m for m in history["messages"]}
    for frame in live:
        assert by_seq[frame["seq"]] == frame


async def test_welcome_comes_first_even_while_replies_arrive(connect, reply):
    owner = await connect()
    await owner.hello()
    ack = await owner.say("keep them coming")
    await reply(ack["conversation_id"], "first answer")  # the claim is done before the flood
    done = asyncio.Event()

    async def flood() -> None:
        for i in range(REPLIES):
            await reply(ack["conversation_id"], f"flood {i}")
        done.set()

    task = asyncio.create_task(flood())
    firsts = []
    while not done.is_set():
        tab = await connect()
        await tab.send(type="hello", visitor_token=owner.token, last_seq=10**6)
        firsts.append((await tab.receive())["type"])
        await tab.close()
    await task
    assert firsts and set(firsts) == {"welcome"}, firsts


async def test_a_tab_saying_hello_during_replies_misses_none(connect, reply):
    owner = await connect()
    await owner.hello()
    ack = await owner.say("keep them coming")
    first = await reply(ack["conversation_id"], "first answer")
    sent: list[int] = []

    async def flood() -> None:
        for i in range(REPLIES):
            sent.append((await reply(ack["conversation_id"], f"flood {i}")).seq)

    task = asyncio.create_task(flood())
    tabs = []
    while not task.done() and len(tabs) < 20:
        last_seq = sent[-1] if sent else first.seq
        tab = await connect()
        await tab.send(type="hello", visitor_token=owner.token, last_seq=last_seq)
        await tab.expect("welcome")
        history = await tab.expect("history")
        tabs.append((tab, last_seq, {m["seq"] for m in history["messages"]}))
    await task
    assert tabs
    for tab, last_seq, seen in tabs:
        assert all(s > last_seq for s in seen)
        for seq in sorted(s for s in sent if s > last_seq and s not in seen):
            await tab.expect("message", seq=seq)
