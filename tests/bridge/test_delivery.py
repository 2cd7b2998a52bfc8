"""Delivery: retries on the clock, final failures shown, and no lane ever blocks another."""
from __future__ import annotations

import pytest

from bridge.errors import CustomerUnreachable, NotFound, PermanentSendError, SendError
from bridge.model import Delivery
from bridge.retry import RetryPolicy


async def _answered(app, ref: str = "alice") -> str:
    receipt = await app.say("Hi", ref=ref)
    await app.actions.answer(receipt.conversation_id, "ann")
    await app.settle()
    return receipt.conversation_id


async def _delivery(app, seq: int) -> tuple[Delivery, str | None]:
    message = await app.journal.conversations.message(seq)
    return message.delivery, message.error


async def test_retryable_failures_back_off_on_the_clock_then_deliver_once(app):
    cid = await _answered(app)
    app.channel.fail_next(SendError("timeout"), SendError("timeout"))
    reply = await app.actions.reply(cid, "ann", "Here you go")
    await app.settle()

    assert "Here you go" not in app.channel.texts()  # failed once, waits 1 s
    await app.advance(0.9)
    assert app.channel.attempts == 2  # the welcome, then the first try
    await app.advance(0.2)  # second try fails: now 2 s
    await app.advance(1.9)
    assert "Here you go" not in app.channel.texts()
    await app.advance(0.2)
    assert app.channel.texts().count("Here you go") == 1
    assert await _delivery(app, reply.seq) == (Delivery.SENT, None)


async def test_the_platforms_retry_after_wins_over_the_backoff(app):
    cid = await _answered(app)
    app.channel.fail_next(SendError("rate limited", retry_after=7))
    await app.actions.reply(cid, "ann", "Here you go")
    await app.settle()
    await app.advance(6.5)
    assert "Here you go" not in app.channel.texts()
    await app.advance(0.6)
    assert app.channel.texts()[-1] == "Here you go"


async def test_a_send_gives_up_after_its_attempts_and_says_why(make_app):
    app = await make_app(retry=RetryPolicy(first_delay=1, factor=1))
    cid = await _answered(app)
    app.channel.fail_next(*[SendError("timeout")] * 8)
    reply = await app.actions.reply(cid, "ann", "Hello?")
    for _ in range(9):
        await app.advance(1.0)

    assert await _delivery(app, reply.seq) == (Delivery.FAILED, "timeout")
    assert app.team.texts(f"support-{cid}")[-1] == "✗ Not delivered to the customer: “Hello?” — timeout"


async def test_a_permanent_failure_is_reported_at_once(app):
    cid = await _answered(app)
    app.channel.fail_next(CustomerUnreachable("the customer blocked the bot"))
    reply = await app.actions.reply(cid, "ann", "Your refund is on its way")
    await app.settle()

    assert await _delivery(app, reply.seq) == (Delivery.FAILED, "the customer blocked the bot")
    assert app.team.texts(f"support-{cid}")[-1] == (
        "✗ Not delivered to the customer: “Your refund is on its way” — the customer blocked the bot")


async def test_a_failure_does_not_block_the_next_replies_nor_other_customers(app):
    alice, bob = await _answered(app, "alice"), await _answered(app, "bob")
    app.channel.fail_next(PermanentSendError("too long"), SendError("flaky"), ref="alice")
    await app.actions.reply(alice, "ann", "first")  # fails for good
    await app.actions.reply(alice, "ann", "second")  # fails once, waits
    await app.actions.reply(bob, "ann", "to bob")  # another lane: goes now
    await app.settle()
    assert app.channel.texts()[-1] == "to bob"
    await app.advance(1.1)
    assert app.channel.texts()[-1] == "second"


async def test_replies_reach_the_customer_in_the_order_written(app):
    cid = await _answered(app)
    app.channel.fail_next(SendError("flaky"))
    for i in range(5):
        await app.actions.reply(cid, "ann", f"part {i}")
    await app.settle()
    await app.advance(1.1)
    assert app.channel.texts()[-5:] == [f"part {i}" for i in range(5)]


# -- the team side: one room's trouble stays in that room ------------------------------------
async def test_one_failing_room_does_not_stop_the_others(app):
    alice = await _answered(app, "alice")
    app.team.break_room(f"support-{alice}")
    await app.say("are you there?", ref="alice")
    bob = (await app.say("Hello from Bob", ref="bob", name="Bob")).conversation_id
    await app.settle()

    assert "Hello from Bob" in app.team.customer_texts(f"support-{bob}")
    assert "are you there?" not in app.team.customer_texts(f"support-{alice}")
    app.team.fix_room(f"support-{alice}")
    await app.advance(1.1)
    assert app.team.customer_texts(f"support-{alice}")[-1] == "are you there?"


async def test_a_batch_failing_part_way_does_not_post_its_first_items_again(app):
    cid = await _answered(app)
    room = f"support-{cid}"
    before = len(app.team.texts(room))
    app.team.break_room(room, after=2, times=1)
    for i in range(5):
        await app.say(f"line {i}")
    await app.settle()
    await app.advance(1.1)

    assert app.team.customer_texts(room)[-5:] == [f"line {i}" for i in range(5)]
    assert len(app.team.texts(room)) == before + 5  # nothing twice


async def test_a_room_that_never_works_is_given_up_and_the_line_room_is_told(app):
    cid = await _answered(app)
    app.team.break_room(f"support-{cid}")
    await app.say("lost in the void")
    await app.settle()
    for _ in range(12):
        await app.advance(300)

    alerts = app.team.texts("support", ("notice",))
    assert any(f"Conversation {cid}'s room could not be reached" in a for a in alerts)
    assert await app.journal.outbox.dead_count() == 1
    assert app.outbox.recently_dead(app.clock.now() - 3600) == 1


# -- the CRM side -------------------------------------------------------------------------------
async def test_a_contact_missing_from_the_crm_is_linked_again_and_later_customers_still_linked(app):
    cid = await _answered(app)
    contact = app.store.find_contact("fake", "alice")
    app.store._contacts.pop(contact.id)  # removed in the CRM behind our back
    app.store._by_identity.clear()
    await app.actions.close(cid, "ann")
    later = await app.say("new here", ref="carol", name="Carol")
    await app.settle()

    again = app.store.find_contact("fake", "alice")
    assert again is not None and again.id != contact.id
    assert len(app.store.activities_of(again.id)) == 1
    assert app.store.find_contact("fake", "carol") is not None
    assert later.conversation_id


async def test_a_crm_that_is_down_is_retried_and_catches_up(app):
    calls = {"n": 0}
    original = app.store.create_contact

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise NotFound("the CRM is down")  # any error: retried
        return original(*args, **kwargs)

    app.store.create_contact = flaky
    await app.say("hello")
    await app.settle()
    assert app.store.find_contact("fake", "alice") is None
    await app.advance(1.1)
    await app.advance(2.1)
    assert app.store.find_contact("fake", "alice") is not None


@pytest.mark.parametrize("said, expected", [(30.0, 30.0), (-5.0, 0.0), (1e9, 3600.0),
                                            (float("nan"), 2.0), (float("inf"), 2.0)])
def test_a_platforms_wait_is_honoured_when_it_is_a_number_of_seconds(said, expected):
    assert RetryPolicy().delay(2, said) == expected
