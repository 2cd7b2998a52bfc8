"""Many visitors at once: every message acked once, with its own seq, and relayed once."""
from __future__ import annotations

import asyncio
from collections import Counter

from tests.support.webchat import wait_until

VISITORS = 16
MESSAGES = 20


async def visitor(connect, v: int) -> list[dict]:
    tab = await connect()
    await tab.hello(name=f"Visitor {v}")
    for m in range(MESSAGES):  # back to back, without waiting for acks
        await tab.send(type="message", client_id=f"v{v}-m{m}", text=f"load v{v} m{m}")
    acks = [await tab.expect("ack", timeout=30, client_id=f"v{v}-m{m}") for m in range(MESSAGES)]
    assert not [f for f in tab.pending if f["type"] == "error"], tab.pending
    assert len({a["conversation_id"] for a in acks}) == 1  # one conversation per visitor
    return acks


async def test_sixteen_visitors_sending_twenty_messages_each(connect, team, runtime):
    results = await asyncio.gather(*(visitor(connect, v) for v in range(VISITORS)))
    acks = [ack for acks in results for ack in acks]
    assert len(acks) == VISITORS * MESSAGES
    assert len({a["seq"] for a in acks}) == VISITORS * MESSAGES
    assert len({a["conversation_id"] for a in acks}) == VISITORS
    for per_visitor in results:  # one tab's messages are stored in the order it sent them
        seqs = [a["seq"] for a in per_visitor]
        assert seqs == sorted(seqs)

    expected = {f"load v{v} m{m}" for v in range(VISITORS) for m in range(MESSAGES)}

    def relayed() -> Counter:
        return Counter(team.customer_texts())

    await wait_until(lambda: expected <= set(relayed()), timeout=30, what="all 320 customer messages")
    # Then let the dispatcher drain, so a late second copy would be seen too.
    await runtime.run(runtime.app.services.outbox.idle())
    counts = relayed()
    assert {text: n for text, n in counts.items() if n != 1} == {}
    assert set(counts) == expected
    assert all(post.label == "Website chat" for _, post in team.posts if post.kind == "customer")
