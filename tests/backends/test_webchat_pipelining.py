"""A tab that sends several messages without waiting: they are stored together, acked in order, once each."""
from __future__ import annotations

import asyncio
import threading

from tests.support.webchat import new_client_id, wait_until

BURST = 12


async def answers(tab, n: int) -> list[dict]:
    """The next ``n`` answers (acks and errors) in the order they came; the welcome pushed meanwhile aside."""
    got: list[dict] = []
    while len(got) < n:
        frame = await tab.receive()
        if frame["type"] in ("ack", "error"):
            got.append(frame)
    return got


def _writers(runtime) -> list:
    """The journal's writer threads (their queues are where commits wait for their group commit): one on
    SQLite; on PostgreSQL several, a customer's commits always on the same one."""
    writer = runtime.app.journal.conversations._write.__self__
    return getattr(writer, "_workers", [writer])


async def test_messages_sent_back_to_back_share_a_group_commit_and_are_acked_in_order(runtime, connect):
    tab = await connect()
    await tab.hello()
    first = await tab.say("the first opens the conversation")
    writers, gate = _writers(runtime), threading.Event()
    holding = [threading.Event() for _ in writers]

    def hold(event):  # the writer is busy with a slow commit
        def op(conn):
            event.set()
            gate.wait(10)
        return op

    held = [asyncio.ensure_future(runtime.run(w.run(hold(e)))) for w, e in zip(writers, holding)]
    try:
        await wait_until(lambda: all(e.is_set() for e in holding), what="the writers holding")
        queued = sum(w._queue.qsize() for w in writers)
        ids = [new_client_id() for _ in range(BURST)]
        for n, client_id in enumerate(ids):
            await tab.send(type="message", client_id=client_id, text=f"burst {n}")
        # Read ahead: every message of the burst waits for the same commit (one at a time, only one would).
        await wait_until(lambda: sum(w._queue.qsize() for w in writers) >= queued + BURST, timeout=3,
                         what="the whole burst queued for one commit")
    finally:
        gate.set()
        await asyncio.gather(*held)
    acks = await answers(tab, BURST)
    assert [a["type"] for a in acks] == ["ack"] * BURST
    assert [a["client_id"] for a in acks] == ids  # in the order sent
    seqs = [a["seq"] for a in acks]
    assert seqs == sorted(seqs) and len(set(seqs)) == BURST and seqs[0] > first["seq"]
    again = await connect()
    _, history = await again.hello(tab.token, last_seq=0)
    stored = [m["text"] for m in history["messages"] if m["from"] == "customer"]
    assert stored == ["the first opens the conversation"] + [f"burst {n}" for n in range(BURST)]


async def test_a_bad_frame_in_a_burst_is_answered_in_its_place(runtime, connect):
    tab = await connect()
    await tab.hello()
    await tab.say("hello there")
    ids = [new_client_id() for _ in range(3)]
    await tab.send(type="message", client_id=ids[0], text="one")
    await tab.ws.send_str("{not json")
    await tab.send(type="message", client_id=ids[1], text="two")
    await tab.send(type="message", client_id=ids[2], text="")  # refused: empty
    got = await answers(tab, 4)
    assert [(a["type"], a.get("client_id")) for a in got] == [
        ("ack", ids[0]), ("error", None), ("ack", ids[1]), ("error", ids[2])]
