"""What operators do: answer (one winner), write, whisper, close; rights on every step."""
from __future__ import annotations

import asyncio

import pytest

from bridge.errors import Refused
from bridge.model import ConversationStatus, Delivery, MessageKind
from bridge.relay import CUSTOMER_VISIBLE


async def _waiting(app, text: str = "Hi") -> str:
    receipt = await app.say(text)
    await app.settle()
    return receipt.conversation_id


async def test_the_first_to_answer_keeps_it(app):
    cid = await _waiting(app)
    taken = await app.actions.answer(cid, "ann")
    assert (taken.owner, taken.status) == ("ann", ConversationStatus.ACTIVE)
    with pytest.raises(Refused, match="answered by ann"):
        await app.actions.answer(cid, "bob")
    assert (await app.actions.answer(cid, "ann")).owner == "ann"  # again: no harm, no second notice
    await app.settle()
    assert app.team.texts(f"support-{cid}", ("notice",)).count("ann answers this conversation.") == 1


async def test_two_operators_answering_at_once_make_exactly_one_owner(app):
    for round_ in range(10):
        cid = (await app.say(f"race {round_}", ref=f"c{round_}")).conversation_id
        results = await asyncio.gather(app.actions.answer(cid, "ann"), app.actions.answer(cid, "bob"),
                                       return_exceptions=True)
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Refused)]
        assert len(winners) == 1 and len(losers) == 1
        assert (await app.conversation(cid)).owner == winners[0].owner


async def test_writing_first_answers_a_waiting_conversation(app):
    cid = await _waiting(app)
    reply = await app.actions.reply(cid, "bob", "Hello, Bob here")
    await app.settle()

    assert (await app.conversation(cid)).owner == "bob"
    assert app.channel.texts()[-1] == "Hello, Bob here"
    assert (await app.journal.conversations.message(reply.seq)).delivery is Delivery.SENT
    assert "bob answers this conversation." in app.team.texts(f"support-{cid}")


@pytest.mark.parametrize("who", ["mallory", "bob"])
async def test_only_the_owner_or_the_lines_people_may_write(app, who):
    cid = await _waiting(app)
    await app.actions.answer(cid, "ann")
    with pytest.raises(Refused):
        await app.actions.reply(cid, who, "let me in")


async def test_admins_may_write_in_any_conversation(app):
    cid = await _waiting(app)
    await app.actions.answer(cid, "ann")
    await app.actions.reply(cid, "root", "A supervisor's word")
    await app.settle()
    assert app.channel.texts()[-1] == "A supervisor's word"


async def test_a_send_retried_with_its_key_reaches_the_customer_once(app):
    cid = await _waiting(app)
    first = await app.actions.reply(cid, "ann", "Only once", key="k-1")
    again = await app.actions.reply(cid, "ann", "Only once", key="k-1")
    await app.settle()

    assert again.seq == first.seq
    assert app.channel.texts().count("Only once") == 1


async def test_a_whisper_is_kept_but_never_sent_nor_shown_to_the_customer(app):
    cid = await _waiting(app)
    whisper = await app.actions.whisper(cid, "ann", "~ this one is rude")
    await app.settle()

    assert whisper.kind is MessageKind.WHISPER and whisper.text == "this one is rude"
    assert "this one is rude" not in app.channel.texts()
    history = await app.services.inbound.history(app.binding, "alice")
    assert all(m.kind in CUSTOMER_VISIBLE for m, _ in history)
    assert "this one is rude" not in [m.text for m, _ in history]


async def test_closing_says_goodbye_and_attaches_the_transcript(app):
    cid = await _waiting(app, "My order is late")
    await app.actions.reply(cid, "ann", "It ships today")
    closed = await app.actions.close(cid, "ann")
    await app.settle()

    assert closed.status is ConversationStatus.CLOSED and closed.close_reason == "closed by ann"
    assert app.channel.texts()[-1] == app.line.settings.closing_text
    contact = app.store.find_contact("fake", "alice")
    [activity] = app.store.activities_of(contact.id)
    assert "My order is late" in activity.body and "It ships today" in activity.body
    assert any("Transcript attached" in t for t in app.team.texts(f"support-{cid}"))
    with pytest.raises(Refused, match="closed"):
        await app.actions.close(cid, "ann")
    with pytest.raises(Refused, match="closed"):
        await app.actions.reply(cid, "ann", "too late")


async def test_a_silent_close_sends_nothing(app):
    cid = await _waiting(app)
    sent = len(app.channel.sent)
    await app.actions.close(cid, "ann", silent=True)
    await app.settle()
    assert len(app.channel.sent) == sent


async def test_a_message_after_close_opens_the_next_conversation(app):
    cid = await _waiting(app)
    await app.actions.close(cid, "ann")
    again = await app.say("One more thing")
    assert again.conversation_id != cid


async def test_operators_typing_and_reading_reach_the_customers_screen_for_those_with_rights(app):
    cid = await _waiting(app)
    await app.actions.operator_signal(cid, "ann", "typing", {"on": True})
    await app.actions.operator_signal(cid, "ann", "read", {"seq": 1})
    assert [(s.kind, dict(s.data)) for s in app.channel.signals] == [("typing", {"on": True}), ("read", {"seq": 1})]
    assert app.channel.signals[0].conversation_id == cid
    with pytest.raises(Refused):
        await app.actions.operator_signal(cid, "mallory", "typing", {"on": True})
    assert len(app.channel.signals) == 2
