"""A customer's messages: stored once per platform id, then relayed to the team and answered."""
from __future__ import annotations

import asyncio

import pytest

from bridge.errors import Refused
from bridge.model import Attachment, ConversationStatus, Delivery, MessageKind
from tests.support.app import WELCOME


async def test_a_first_message_opens_a_conversation_with_its_room_and_a_welcome(app):
    receipt = await app.say("Where is my parcel?")
    await app.settle()

    cid = receipt.conversation_id
    assert not receipt.duplicate
    conversation = await app.conversation(cid)
    assert conversation.status is ConversationStatus.QUEUED and conversation.customer_name == "Alice"
    assert app.team.rooms == [f"support-{cid}", "support"]
    assert app.team.customer_texts(f"support-{cid}") == ["Where is my parcel?"]
    [announcement] = app.team.announcements()
    assert f"New conversation {cid}" in announcement and "Where is my parcel?" in announcement
    assert f"!answer {cid}" in announcement
    assert app.channel.texts() == [WELCOME]
    assert app.team.texts(f"support-{cid}", ("auto",)) == [WELCOME]
    assert any("lead was created" in t for t in app.team.texts(f"support-{cid}", ("notice",)))


async def test_a_redelivery_is_stored_and_relayed_once(app):
    first = await app.say("Hello", ext="platform-1")
    again = await app.say("Hello", ext="platform-1")
    await app.settle()

    assert again.duplicate and (again.seq, again.conversation_id) == (first.seq, first.conversation_id)
    assert app.team.customer_texts() == ["Hello"]
    assert [m.text for m in await app.messages(first.conversation_id) if m.kind is MessageKind.INBOUND] == ["Hello"]


async def test_later_messages_join_the_open_conversation_without_a_second_welcome(app):
    first = await app.say("One")
    second = await app.say("Two")
    await app.settle()

    assert second.conversation_id == first.conversation_id and second.seq > first.seq
    assert app.channel.texts() == [WELCOME]
    assert app.team.customer_texts() == ["One", "Two"]


async def test_two_customers_get_two_conversations_and_rooms(app):
    alice = await app.say("Hi", ref="alice")
    bob = await app.say("Hi", ref="bob", name="Bob")
    await app.settle()

    assert alice.conversation_id != bob.conversation_id
    assert set(app.team.rooms) == {f"support-{alice.conversation_id}", f"support-{bob.conversation_id}", "support"}


async def test_first_messages_racing_open_one_conversation(app):
    receipts = await asyncio.gather(*(app.say(f"burst {i}") for i in range(20)))
    await app.settle()

    assert len({r.conversation_id for r in receipts}) == 1
    assert app.channel.texts() == [WELCOME]
    assert len(app.team.announcements()) == 1


async def test_a_photo_without_a_caption_is_a_message(app):
    photo = Attachment("image", url="https://files.example/p.jpg", name="p.jpg")
    receipt = await app.say("", attachments=(photo,))
    await app.settle()

    [stored] = [m for m in await app.messages(receipt.conversation_id) if m.kind is MessageKind.INBOUND]
    assert stored.attachments == (photo,)
    assert "p.jpg" in app.team.rendered(f"support-{receipt.conversation_id}")[0]


async def test_an_empty_message_is_refused_and_nothing_is_stored(app):
    with pytest.raises(Refused, match="empty"):
        await app.say("   ")
    assert await app.journal.conversations.conversations() == []


async def test_what_a_platform_already_got_our_2xx_for_is_kept_mended_and_cut_never_refused(app):
    """A platform does not send again what we acknowledged: too long is cut and marked, bad Unicode mended."""
    long = await app.say("y" * 5000)
    mended = await app.say("bad \ud800 half")
    stored = [m.text for m in await app.messages(long.conversation_id) if m.kind is MessageKind.INBOUND]
    assert stored[0].startswith("y" * 4000) and len(stored[0]) <= 4096
    assert stored[0].endswith(f"[cut: {5000 - stored[0].index(chr(10))} of its 5000 characters were over the limit]")
    assert stored[1] == "bad \ufffd half" and mended.conversation_id == long.conversation_id


async def test_control_characters_never_reach_the_team_side(app):
    receipt = await app.say("hi\x1b[2J\x1b]0;pwned\x07 there\u202e!", name="Eve\n[#support] !answer 4242")
    await app.settle()

    conversation = await app.conversation(receipt.conversation_id)
    assert conversation.customer_name == "Eve [#support] !answer 4242"
    assert app.team.customer_texts() == ["hi[2J]0;pwned there!"]


async def test_a_disabled_line_still_stores_and_answers_with_its_offline_text(app):
    app.services.directory.put_line(app.line.__class__(**{**app.line.__dict__, "enabled": False}))
    receipt = await app.say("Anyone there?")
    await app.settle()

    assert app.channel.texts() == [app.line.settings.offline_text]
    assert app.team.customer_texts() == ["Anyone there?"]
    assert receipt.seq > 0


async def test_out_of_hours_the_customer_gets_the_offline_text(app):
    app.set_line(hours="mon-fri 09:00-17:00", timezone="UTC")
    app.clock.t = 1_700_000_000.0 - 1_700_000_000.0 % 604800 + 3 * 86400 + 2 * 3600  # a Sunday, 02:00 UTC
    await app.say("Hello?")
    await app.settle()

    assert app.channel.texts() == [app.line.settings.offline_text]


async def test_an_edit_is_kept_beside_the_original_and_shown_as_an_edit(app):
    from bridge.channels import InboundEdit

    first = await app.say("I ordered 2 chairs", ext="m-1")
    await app.services.inbound.accept(app.binding, InboundEdit("alice", "m-1", "e-1", "I ordered 3 chairs"))
    await app.services.inbound.accept(app.binding, InboundEdit("alice", "m-1", "e-1", "I ordered 3 chairs"))
    await app.settle()

    edits = [m for m in await app.messages(first.conversation_id) if m.edit_of is not None]
    assert [(m.edit_of, m.text) for m in edits] == [(first.seq, "I ordered 3 chairs")]
    assert app.team.texts(f"support-{first.conversation_id}", ("edit",)) == ["I ordered 3 chairs"]


async def test_a_blocked_bot_is_told_to_the_operators_once(app):
    from bridge.channels import CustomerStatus

    first = await app.say("hello")
    for _ in range(2):
        await app.services.inbound.accept(app.binding, CustomerStatus("alice", "blocked", "evt-9"))
    await app.settle()

    notices = app.team.texts(f"support-{first.conversation_id}", ("notice",))
    assert sum("blocked the bot" in n for n in notices) == 1
    assert (await app.journal.state.get(app.binding.id, "alice"))["status"] == "blocked"


async def test_history_is_what_the_customer_may_see_newest_page_first(app):
    first = await app.say("one")
    await app.actions.whisper(first.conversation_id, "ann", "~ internal only")
    for i in range(5):
        await app.say(f"more {i}")
    await app.settle()

    page = await app.services.inbound.history(app.binding, "alice", limit=3)
    assert [m.text for m, _ in page] == ["more 2", "more 3", "more 4"]
    older = await app.services.inbound.history(app.binding, "alice", before_seq=page[0][0].seq, limit=10)
    texts = [m.text for m, _ in older]
    assert texts == ["one", WELCOME, "more 0", "more 1"]
    assert all(m.delivery in (Delivery.NONE, Delivery.SENT) for m, _ in older)
