"""Whispers never reach a customer: a property checked over random sequences of what operators do.

Seeded random runs of customer messages, room messages (plain, ``~`` whispers), whisper-mode
toggles, transfers and restarts; afterwards no whisper is in what the channel sent nor in any
history a customer can read, and every reply was sent.
"""
from __future__ import annotations

import random

import pytest

from bridge.errors import Refused

RUNS, STEPS = 12, 40


@pytest.mark.parametrize("seed", range(RUNS))
async def test_no_whisper_ever_reaches_a_customer(make_app, seed):
    rng = random.Random(seed)
    app = await make_app()
    customers = ["c1", "c2", "c3"]
    owners: dict[str, str] = {}
    whispers, replies, sent = set(), set(), set()
    for step in range(STEPS):
        action = rng.choice(["customer", "room", "room", "whisper", "mode", "transfer", "restart"])
        ref = rng.choice(customers)
        if action == "customer" or ref not in owners:
            cid = (await app.say(f"customer {step}", ref=ref)).conversation_id
            if ref not in owners:
                await app.actions.answer(cid, "ann")
                owners[ref] = cid
            continue
        cid, owner = owners[ref], (await app.conversation(owners[ref])).owner or "ann"
        if action == "room":
            text = f"plain {step}"
            mode = (await app.conversation(cid)).whisper_mode
            (whispers if mode else replies).add(text)
            await app.actions.room_message(cid, owner, text)
        elif action == "whisper":
            text = f"~ secret {step}"
            whispers.add(f"secret {step}")
            await app.actions.room_message(cid, owner, text)
        elif action == "mode":
            await app.actions.set_whisper_mode(cid, owner, rng.random() < 0.5)
        elif action == "transfer":
            try:
                await app.services.moves.transfer_to_person(cid, owner, "bob" if owner == "ann" else "ann")
            except Refused:
                pass
        else:
            await app.settle()
            sent |= {m.text for m in app.channel.sent}
            await app.shutdown()
            app = await make_app(path=app.path, team=app.team, clock=app.clock, store=app.store)
    await app.settle()
    sent |= {m.text for m in app.channel.sent}
    assert not (whispers & sent)
    assert replies <= sent
    for ref in customers:
        history = {m.text for m, _ in await app.services.inbound.history(app.binding, ref, limit=10_000)}
        assert not (whispers & history)
