"""A customer writes: the conversation, its room, the welcome, the CRM lead, redeliveries, history."""
from __future__ import annotations

import pytest

from bridge.errors import Refused
from bridge.model import ConversationStatus, MessageKind
from bridge.relay import public_author


async def test_first_message_opens_a_queued_conversation_with_its_room(app):
    receipt = await app.say("Hi, my order is late", ref="alice", name="Alice")
    await app.settle()

    conversation = await app.service.conversation(receipt.conversation_id)
    assert receipt.duplicate is False
    assert conversation.status is ConversationStatus.QUEUED
    assert conversation.operator is None
    assert (conversation.customer_ref, conversation.customer_name) == ("alice", "Alice")
    assert app.team.rooms == [conversation.room_name]
    assert conversation.room_name == f"support-{conversation.id}"
    [(line_id, announcement)] = app.team.announcements
    assert line_id == "support"
    assert f"!answer {conversation.id}" in announcement
    assert "Alice" in announcement and "Website chat" in announcement


async def test_customer_message_is_posted_marked_as_customer_with_channel_label(app):
    receipt = await app.say("Hi, my order is late")
    await app.settle()

    room = f"support-{receipt.conversation_id}"
    first = app.team.texts(room)[0]
    assert "Alice" in first
    assert "customer" in first and "Website chat" in first
    assert first.endswith("Hi, my order is late")


async def test_welcome_is_sent_signed_with_the_line_name_like_an_operator_reply(app):
    receipt = await app.say("Hi")
    await app.settle()
    welcome_text = app.line.welcome_text
    await app.service.reply(receipt.conversation_id, "ann", "Ann here, checking")
    await app.settle()

    welcome, reply = app.channel.sent
    assert (welcome.text, welcome.customer_ref) == (welcome_text, "alice")
    assert welcome.author == app.line.name == "Support"
    assert reply.author == welcome.author  # the customer cannot tell them apart
    assert "ann" not in reply.author
    [stored_welcome, stored_reply] = [m for m in await app.journal.transcript(receipt.conversation_id)
                                      if m.kind.to_customer]
    conversation = await app.service.conversation(receipt.conversation_id)
    assert public_author(app.line, stored_welcome, conversation) == public_author(
        app.line, stored_reply, conversation)
    assert any("auto-reply sent" in t and welcome_text in t for t in app.team.texts(conversation.room_name))


async def test_new_customer_becomes_a_crm_lead_and_the_team_is_told(app):
    receipt = await app.say("Hi")
    await app.settle()

    conversation = await app.service.conversation(receipt.conversation_id)
    assert conversation.contact_id is not None
    contact = app.store.get_contact(conversation.contact_id)
    assert contact.identities == (("webchat", "alice"),)
    [lead] = app.store.leads_of(contact.id)
    assert "Alice" in lead.title and "Support" in lead.title
    notices = [t for t in app.team.texts(conversation.room_name) if "lead was created" in t]
    assert notices == [f"ℹ️ New customer: a lead was created in the CRM (contact {contact.id})."]


async def test_second_message_joins_the_same_conversation(app):
    first = await app.say("Hi")
    await app.settle()
    second = await app.say("Anyone there?")
    await app.settle()

    assert second.conversation_id == first.conversation_id
    assert second.seq > first.seq
    assert len(app.team.rooms) == len(app.team.announcements) == 1
    assert len(app.store.leads_of((await app.service.conversation(first.conversation_id)).contact_id)) == 1
    assert app.channel.texts() == [app.line.welcome_text]  # welcomed once
    assert app.team.texts(f"support-{first.conversation_id}")[-1].endswith("Anyone there?")


async def test_redelivery_is_acknowledged_with_the_same_receipt_and_not_posted_again(app):
    first = await app.say("Hi", ext="tg-42")
    await app.settle()
    posts = list(app.team.posts)

    again = await app.say("Hi", ext="tg-42")
    await app.settle()

    assert (again.seq, again.conversation_id) == (first.seq, first.conversation_id)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert app.team.posts == posts
    assert app.channel.texts() == [app.line.welcome_text]
    inbound = [m for m in await app.journal.transcript(first.conversation_id) if m.kind is MessageKind.INBOUND]
    assert len(inbound) == 1


async def test_same_external_id_from_another_customer_is_not_a_duplicate(app):
    alice = await app.say("Hi", ref="alice", ext="m-1")
    bob = await app.say("Hello", ref="bob", name="Bob", ext="m-1")
    await app.settle()

    assert bob.duplicate is False
    assert bob.seq != alice.seq
    assert bob.conversation_id != alice.conversation_id
    assert len(app.team.rooms) == 2


@pytest.mark.parametrize("text", ["", "   \n", "x" * 4097])
async def test_empty_or_oversized_message_is_refused_and_stores_nothing(app, text):
    with pytest.raises(Refused):
        await app.say(text)
    assert await app.service.current_conversation(app.binding, "alice") is None


async def test_history_returns_only_this_customers_visible_messages_after_seq(app):
    hi = await app.say("Hi", ref="alice")
    await app.say("I am Bob", ref="bob", name="Bob")
    await app.settle()
    more = await app.say("Order 1234", ref="alice")
    reply = await app.service.reply(hi.conversation_id, "ann", "Looking into it")
    await app.settle()

    history = await app.service.history(app.binding, "alice", after_seq=0)
    assert [(m.text, author) for m, author in history] == [
        ("Hi", "Alice"), (app.line.welcome_text, "Support"), ("Order 1234", "Alice"), ("Looking into it", "Support"),
    ]
    assert all(m.kind is not MessageKind.NOTICE for m, _ in history)  # notices stay with the team

    later = await app.service.history(app.binding, "alice", after_seq=more.seq)
    assert [(m.seq, author) for m, author in later] == [(reply.seq, "Support")]


async def test_current_conversation_follows_the_open_conversation(app):
    assert await app.service.current_conversation(app.binding, "alice") is None
    receipt = await app.say("Hi")
    assert await app.service.current_conversation(app.binding, "alice") == receipt.conversation_id
    await app.service.close(receipt.conversation_id, "ann")
    assert await app.service.current_conversation(app.binding, "alice") is None
    await app.settle()
