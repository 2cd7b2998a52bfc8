"""Transfer, invite, pin, spam and ratings: who may, what each side sees, what the customer gets."""
from __future__ import annotations

import pytest

from bridge.errors import Refused
from bridge.model import ConversationStatus, Role
from bridge.ratings import ASK


async def _answered(app, who: str = "ann", ref: str = "alice") -> str:
    cid = (await app.say("hello", ref=ref)).conversation_id
    await app.actions.answer(cid, who)
    await app.settle()
    return cid


async def test_a_transfer_to_a_colleague_keeps_the_room_and_tells_nothing_to_the_customer(app):
    cid = await _answered(app)
    sent = len(app.channel.sent)
    moved = await app.services.moves.transfer_to_person(cid, "ann", "bob")
    await app.settle()
    assert moved.owner == "bob" and [p.person for p in moved.participants] == ["bob"]
    assert ("support-" + cid, "bob") in app.team.invites
    assert "↪ Transferred to bob by ann." in app.team.texts(f"support-{cid}")
    assert len(app.channel.sent) == sent
    await app.actions.reply(cid, "bob", "Bob here")
    with pytest.raises(Refused):
        await app.actions.reply(cid, "ann", "still me?")


async def test_only_the_owner_or_a_supervisor_may_transfer(app):
    cid = await _answered(app)
    with pytest.raises(Refused, match="only the operator who has conversation"):
        await app.services.moves.transfer_to_person(cid, "bob", "bob")
    await app.services.admin.grant("root", "Support", "sue", Role.SUPERVISOR)
    assert (await app.services.moves.transfer_to_person(cid, "sue", "bob")).owner == "bob"


async def test_a_transfer_to_another_line_is_announced_there_and_queued(app):
    cid = await _answered(app)
    await app.services.admin.create("root", "Sales")
    await app.services.admin.grant("root", "Sales", "sam", Role.OPERATOR)
    moved = await app.services.moves.transfer_to_line(cid, "ann", "sales")
    await app.settle()
    assert (moved.line_id, moved.owner, moved.status) == ("sales", None, ConversationStatus.QUEUED)
    assert any(f"New conversation {cid}" in t for t in app.team.announcements("sales"))
    assert any("is offered to you" in t for t in app.team.texts("dm:sam"))
    assert app.team.rooms.count(f"support-{cid}") == 1  # the same room: the history follows


async def test_an_invited_colleague_may_write_and_without_history_sees_what_follows_in_private(app):
    cid = await _answered(app)
    await app.say("my card number is 4242")
    await app.settle()
    joined = await app.services.moves.invite(cid, "ann", "zoe", with_history=False)
    assert joined.participant("zoe").since_seq > 0
    assert ("support-" + cid, "zoe") not in app.team.invites
    await app.say("what about my refund?")
    await app.actions.reply(cid, "zoe", "Zoe from billing here")
    await app.settle()
    private = app.team.texts("dm:zoe")
    assert "[conversation 1] what about my refund?" in private and not any("4242" in t for t in private)
    assert app.channel.texts()[-1] == "Zoe from billing here"
    await app.services.moves.invite(cid, "ann", "yan", with_history=True)
    await app.settle()
    assert ("support-" + cid, "yan") in app.team.invites


async def test_spam_closes_silently_and_keeps_the_next_messages_unannounced_for_a_while(app):
    app.set_line(spam_minutes=60)
    cid = await _answered(app)
    sent = len(app.channel.sent)
    closed = await app.services.moves.spam(cid, "ann")
    await app.settle()
    assert closed.spam and not closed.is_open and len(app.channel.sent) == sent
    again = await app.say("buy cheap watches")
    await app.settle()
    assert again.conversation_id != cid
    assert "buy cheap watches" not in app.team.customer_texts()
    assert len(app.team.announcements()) == 1 and len(app.channel.sent) == sent
    await app.advance(61 * 60)
    later = await app.say("sorry, a real question")
    await app.settle()
    assert later.conversation_id not in (cid, again.conversation_id)
    assert "sorry, a real question" in app.team.customer_texts()


async def test_a_customer_asked_to_rate_answers_1_and_it_is_kept_in_the_closed_conversation(app):
    app.set_line(ratings="on")
    cid = await _answered(app)
    await app.actions.close(cid, "ann")
    await app.settle()
    assert app.channel.texts()[-1] == ASK
    rated = await app.say("1")
    await app.settle()
    assert rated.conversation_id == cid
    assert (await app.conversation(cid)).customer_rating == "good"
    assert "⭐ The customer rated this conversation: good." in app.team.texts(f"support-{cid}")
    after = await app.say("1")  # asked once: now it is a new conversation
    assert after.conversation_id != cid


async def test_a_rating_nobody_asked_for_is_refused(app):
    cid = await _answered(app)
    with pytest.raises(Refused, match="not waiting for a rating"):
        await app.services.inbound.rate(app.binding, "alice", cid, "good")


async def test_supervisors_rate_one_to_five(app):
    cid = await _answered(app)
    await app.services.admin.grant("root", "Support", "sue", Role.SUPERVISOR)
    rated = await app.actions.ratings.supervise(cid, "sue", 4, "kind and quick")
    assert (rated.supervisor_rating, rated.rating_comment) == (4, "kind and quick")
    with pytest.raises(Refused):
        await app.actions.ratings.supervise(cid, "ann", 5, "")
    with pytest.raises(Refused, match="1 to 5"):
        await app.actions.ratings.supervise(cid, "sue", 9, "")


async def test_a_pin_holds_off_the_auto_close_up_to_the_lines_limit(app):
    app.set_line(autoclose_minutes=10, pin_max_minutes=60)
    cid = await _answered(app)
    await app.services.moves.pin(cid, "ann", True)
    await app.advance(30 * 60)
    assert (await app.conversation(cid)).is_open
    await app.advance(31 * 60)
    assert not (await app.conversation(cid)).is_open
