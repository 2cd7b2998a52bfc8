"""Operators answer, reply and close; the transcript goes to the CRM; customers come back."""
from __future__ import annotations

import asyncio

import pytest

from bridge.errors import Refused
from bridge.model import ConversationStatus, MessageKind

CLOSING = "Thanks for writing to us. Bye!"


async def _conversation(app, text="Hi", **who):
    receipt = await app.say(text, **who)
    await app.settle()
    return receipt.conversation_id


async def test_only_the_lines_operators_may_answer_reply_or_close(app):
    cid = await _conversation(app)

    for action in (app.service.answer(cid, "mallory"), app.service.reply(cid, "mallory", "hi"),
                   app.service.close(cid, "mallory")):
        with pytest.raises(Refused, match="not an operator"):
            await action
    conversation = await app.service.conversation(cid)
    assert (conversation.status, conversation.operator) == (ConversationStatus.QUEUED, None)


async def test_answer_gives_the_conversation_to_the_operator_and_tells_the_room(app):
    cid = await _conversation(app)

    conversation = await app.service.answer(cid, "ann")
    await app.settle()

    assert (conversation.status, conversation.operator) == (ConversationStatus.ACTIVE, "ann")
    assert app.team.texts(conversation.room_name)[-1] == "ℹ️ ann answers this conversation."
    again = await app.service.answer(cid, "ann")  # answering twice is harmless
    assert again.operator == "ann"


async def test_two_operators_answering_at_once_exactly_one_wins(app):
    cid = await _conversation(app)

    results = await asyncio.gather(app.service.answer(cid, "ann"), app.service.answer(cid, "bob"),
                                   return_exceptions=True)
    await app.settle()

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Refused)
    stored = await app.service.conversation(cid)
    assert stored.operator == winners[0].operator
    answered = [t for t in app.team.texts(stored.room_name) if "answers this conversation" in t]
    assert answered == [f"ℹ️ {stored.operator} answers this conversation."]
    with pytest.raises(Refused):
        await app.service.answer(cid, "bob" if stored.operator == "ann" else "ann")


async def test_replies_reach_the_customer_in_order(app):
    cid = await _conversation(app)
    await app.service.answer(cid, "ann")

    messages = await asyncio.gather(*(app.service.reply(cid, "ann", f"part {i}") for i in range(20)))
    await app.settle()

    replies = app.channel.sent[1:]  # after the welcome
    assert [m.seq for m in replies] == sorted(m.seq for m in messages)
    assert [m.text for m in replies] == [f"part {i}" for i in range(20)]
    assert {m.customer_ref for m in replies} == {"alice"}
    assert all(m.to_customer.value == "done" for m in await app.journal.transcript(cid)
               if m.kind is MessageKind.REPLY)


async def test_reply_on_a_queued_conversation_claims_it(app):
    cid = await _conversation(app)

    message = await app.service.reply(cid, "bob", "Bob here")
    await app.settle()

    conversation = await app.service.conversation(cid)
    assert (conversation.status, conversation.operator) == (ConversationStatus.ACTIVE, "bob")
    assert (message.kind, message.author) == (MessageKind.REPLY, "bob")
    assert app.channel.texts()[-1] == "Bob here"
    assert "ℹ️ bob answers this conversation." in app.team.texts(conversation.room_name)


async def test_reply_on_a_closed_conversation_is_refused(app):
    cid = await _conversation(app)
    await app.service.close(cid, "ann")
    await app.settle()
    sent = list(app.channel.sent)

    with pytest.raises(Refused, match="closed"):
        await app.service.reply(cid, "ann", "Too late")
    with pytest.raises(Refused):
        await app.service.close(cid, "ann")
    await app.settle()
    assert app.channel.sent == sent


async def test_close_sends_the_closing_text_and_attaches_the_transcript_once(app):
    app.set_line(closing_text=CLOSING)
    cid = await _conversation(app, "My parcel is lost")
    await app.service.reply(cid, "ann", "We are sending a new one")

    closed = await app.service.close(cid, "ann")
    await app.settle()

    assert closed.status is ConversationStatus.CLOSED
    assert closed.close_reason == "closed by ann"
    assert app.channel.texts()[-1] == CLOSING
    assert app.channel.sent[-1].author == "Support"
    [activity] = app.store.activities_of(closed.contact_id)
    assert activity.kind == "transcript"
    assert "My parcel is lost" in activity.body and "We are sending a new one" in activity.body
    assert "Alice" in activity.body
    room = app.team.texts(closed.room_name)
    assert "ℹ️ Conversation closed by ann." in room
    assert room[-1] == f"ℹ️ 📎 Transcript attached to CRM contact {closed.contact_id}."

    posts = list(app.team.posts)
    await app.dispatcher.recover()  # nothing is owed any more
    await app.settle()
    assert len(app.store.activities_of(closed.contact_id)) == 1
    assert app.team.posts == posts


async def test_attach_retried_after_a_crash_stores_nothing_twice(app):
    cid = await _conversation(app)
    closed = await app.service.close(cid, "ann")
    await app.settle()
    # A crash between the CRM call and the journal's mark: the duty is owed again.
    await app.worker.run(lambda conn: conn.execute(
        "UPDATE conversations SET transcript_state = 'pending' WHERE id = ?", (int(cid),)))

    await app.dispatcher.recover()
    await app.settle()

    assert len(app.store.activities_of(closed.contact_id)) == 1
    assert (await app.journal.pending_work()).transcripts == []


async def test_returning_customer_gets_a_new_conversation_linked_to_the_same_contact(app):
    first_id = await _conversation(app, "Hi")
    first = await app.service.close(first_id, "ann")
    await app.settle()

    receipt = await app.say("Me again")
    await app.settle()

    assert receipt.conversation_id != first_id
    second = await app.service.conversation(receipt.conversation_id)
    assert second.status is ConversationStatus.QUEUED
    assert second.contact_id == first.contact_id
    assert len(app.store.leads_of(first.contact_id)) == 1  # no second lead
    assert app.team.rooms == [first.room_name, second.room_name]
    assert (f"ℹ️ Returning customer: linked to CRM contact {first.contact_id}."
            in app.team.texts(second.room_name))
    assert app.channel.texts().count(app.line.welcome_text) == 2  # a new conversation is welcomed
