"""Delivery with retries: backoff on the fake clock, permanent failures, a flaky team chat."""
from __future__ import annotations

from bridge.errors import PermanentSendError, SendError
from bridge.model import Delivery, MessageKind
from bridge.retry import RetryPolicy


async def _answered(app):
    receipt = await app.say("Hi")
    await app.settle()
    await app.service.answer(receipt.conversation_id, "ann")
    await app.settle()
    app.clock.sleeps.clear()
    return receipt.conversation_id


async def _message(app, cid, seq):
    return next(m for m in await app.journal.transcript(cid) if m.seq == seq)


async def test_retryable_failures_back_off_then_deliver_once(app):
    cid = await _answered(app)
    app.channel.fail_next(SendError("timeout"), SendError("timeout"))

    reply = await app.service.reply(cid, "ann", "Here you go")
    await app.settle()

    assert app.channel.texts().count("Here you go") == 1
    assert app.clock.sleeps == [RetryPolicy().delay(1), RetryPolicy().delay(2)] == [1.0, 2.0]
    stored = await _message(app, cid, reply.seq)
    assert (stored.to_customer, stored.error) == (Delivery.DONE, None)
    assert not any("Not delivered" in t for _, t in app.team.posts)


async def test_the_platforms_retry_after_wins_over_the_backoff(make_app):
    app = await make_app(retry=RetryPolicy(first_delay=0.5, factor=3.0))
    cid = await _answered(app)
    app.channel.fail_next(SendError("rate limited", retry_after=7), SendError("busy"))

    await app.service.reply(cid, "ann", "Here you go")
    await app.settle()

    assert app.clock.sleeps == [7, 1.5]  # the platform's wait, then the policy's second step
    assert app.channel.texts()[-1] == "Here you go"


async def test_a_customer_lane_gives_up_after_max_attempts(make_app):
    app = await make_app(retry=RetryPolicy(max_attempts=3))
    cid = await _answered(app)
    app.channel.fail_next(*[SendError("timeout")] * 3)

    reply = await app.service.reply(cid, "ann", "Hello?")
    await app.settle()

    assert app.clock.sleeps == [1.0, 2.0]
    stored = await _message(app, cid, reply.seq)
    assert (stored.to_customer, stored.error) == (Delivery.FAILED, "timeout")


async def test_permanent_failure_is_marked_failed_and_reported_to_the_room(app):
    cid = await _answered(app)
    app.channel.fail_next(PermanentSendError("the customer blocked the bot"))

    reply = await app.service.reply(cid, "ann", "Your refund is on its way")
    await app.settle()

    assert app.clock.sleeps == []  # no retry
    stored = await _message(app, cid, reply.seq)
    assert stored.to_customer is Delivery.FAILED
    assert stored.error == "the customer blocked the bot"
    room = app.team.texts(f"support-{cid}")
    assert room[-1] == ("ℹ️ ✗ Not delivered to the customer: “Your refund is on its way” — "
                        "the customer blocked the bot")


async def test_a_failure_does_not_block_the_next_replies(app):
    cid = await _answered(app)
    app.channel.fail_next(PermanentSendError("too long"))

    await app.service.reply(cid, "ann", "first")
    await app.service.reply(cid, "ann", "second")
    await app.settle()

    assert app.channel.texts()[-1] == "second"
    assert "first" not in app.channel.texts()


async def test_an_unexpected_channel_error_does_not_leak_its_text(app):
    cid = await _answered(app)
    app.channel.fail_next(*[RuntimeError("token=SECRET")] * RetryPolicy().max_attempts)

    reply = await app.service.reply(cid, "ann", "Hi")
    await app.settle()

    stored = await _message(app, cid, reply.seq)
    assert stored.to_customer is Delivery.FAILED
    assert "RuntimeError" in stored.error
    notice = app.team.texts(f"support-{cid}")[-1]
    assert "Not delivered" in notice and "RuntimeError" in notice
    assert not any("SECRET" in text for _, text in app.team.posts)
    assert "SECRET" not in stored.error


async def test_a_channel_that_is_not_running_is_retried_then_reported(app):
    cid = await _answered(app)
    del app.dispatcher.backends[app.binding.id]

    reply = await app.service.reply(cid, "ann", "Hi")
    await app.settle()

    stored = await _message(app, cid, reply.seq)
    assert (stored.to_customer, stored.error) == (Delivery.FAILED, "the channel is not running")
    assert len(app.clock.sleeps) == RetryPolicy().max_attempts - 1


async def test_posts_survive_a_failing_team_chat_in_order(app):
    app.team.fail_posts = 2
    for text in ("one", "two", "three"):
        await app.say(text)
    await app.settle()

    receipt = await app.say("four")
    await app.settle()

    room = app.team.texts(f"support-{receipt.conversation_id}")
    customer_lines = [t.rsplit(": ", 1)[1] for t in room if "(customer" in t]
    assert customer_lines == ["one", "two", "three", "four"]
    assert len(room) == len(set(room))  # nothing posted twice
    assert app.clock.sleeps[:2] == [1.0, 2.0]
    assert not any(m.to_team is Delivery.PENDING for m in await app.journal.transcript(receipt.conversation_id))


async def test_idle_waits_for_a_notice_still_on_its_way_to_the_team(make_app):
    # A slow channel fails after the team lane went quiet; the notice it causes
    # is still being posted when the customer lane ends.
    app = await make_app(send_delay=0.1)
    app.team.post_delay = 0.02
    app.channel.fail_next(PermanentSendError("blocked"))

    receipt = await app.say("Hi")
    await app.settle()

    room = app.team.texts(f"support-{receipt.conversation_id}")
    assert any("Not delivered" in t for t in room)
    notices = [m for m in await app.journal.transcript(receipt.conversation_id) if m.kind is MessageKind.NOTICE]
    assert all(m.to_team is Delivery.DONE for m in notices)


async def test_a_removed_channel_does_not_wedge_the_team_lane(make_app):
    app = await make_app(start=False)
    await app.say("before the channel was removed", ref="kim")
    del app.directory.bindings[app.binding.id]  # an admin removed it meanwhile
    app.dispatcher.start()
    await app.settle()
    assert any("before the channel was removed" in text for _, text in app.team.posts)

    app.directory.put_binding(app.binding)
    await app.say("a new customer", ref="lou")
    await app.settle()
    assert any("a new customer" in text for _, text in app.team.posts)
