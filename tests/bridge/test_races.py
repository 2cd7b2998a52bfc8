"""The races that matter, with real concurrency on one loop: each ends in one consistent state."""
from __future__ import annotations

import asyncio

from bridge.errors import Refused
from bridge.model import Delivery


async def _answered(app) -> str:
    cid = (await app.say("hello")).conversation_id
    await app.actions.answer(cid, "ann")
    await app.settle()
    return cid


async def test_a_transfer_during_a_reply_leaves_it_sent_once_or_refused_in_words(app):
    for round_ in range(8):
        cid = (await app.say("hi", ref=f"r{round_}")).conversation_id
        await app.actions.answer(cid, "ann")
        reply, transfer = await asyncio.gather(
            app.actions.reply(cid, "ann", f"answer {round_}"),
            app.services.moves.transfer_to_person(cid, "ann", "bob"), return_exceptions=True)
        await app.settle()
        assert (await app.conversation(cid)).owner == "bob" and not isinstance(transfer, Exception)
        if isinstance(reply, Exception):
            assert isinstance(reply, Refused) and "answered by bob" in str(reply)
            assert f"answer {round_}" not in app.channel.texts()
        else:
            assert app.channel.texts().count(f"answer {round_}") == 1


async def test_a_close_while_a_send_is_in_flight_delivers_it_then_the_goodbye(app):
    cid = await _answered(app)
    gate = asyncio.Event()
    send = app.channel.send

    async def slow(message):
        if message.text == "one last thing":
            await gate.wait()
        return await send(message)

    app.channel.send = slow  # type: ignore[method-assign]
    reply = await app.actions.reply(cid, "ann", "one last thing")
    await asyncio.sleep(0)  # the send has started and waits on the platform
    closed = await app.actions.close(cid, "ann")
    gate.set()
    await app.settle()
    assert not closed.is_open
    assert app.channel.texts()[-2:] == ["one last thing", app.line.settings.closing_text]
    assert (await app.journal.conversations.message(reply.seq)).delivery is Delivery.SENT
