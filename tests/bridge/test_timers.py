"""Durable timers on the fake clock: auto-close after the customer's silence, pins, restarts."""
from __future__ import annotations

from dataclasses import replace

from bridge.model import ConversationStatus
from bridge.store import UnitOfWork


async def _line_closing_after(app, minutes: int) -> None:
    app.set_line(autoclose_minutes=minutes)


async def test_a_silent_customer_is_closed_after_the_lines_minutes(app):
    await _line_closing_after(app, 30)
    cid = (await app.say("hello")).conversation_id
    await app.settle()

    await app.advance(29 * 60)
    assert (await app.conversation(cid)).is_open
    await app.advance(61)
    closed = await app.conversation(cid)
    assert closed.status is ConversationStatus.CLOSED and "silence" in (closed.close_reason or "")
    assert app.channel.texts()[-1] == app.line.settings.autoclose_text


async def test_each_customer_message_starts_the_silence_again(app):
    await _line_closing_after(app, 30)
    cid = (await app.say("hello")).conversation_id
    await app.advance(20 * 60)
    await app.say("still here")
    await app.advance(20 * 60)
    assert (await app.conversation(cid)).is_open
    await app.advance(11 * 60)
    assert not (await app.conversation(cid)).is_open


async def test_a_pin_keeps_it_open_until_the_pin_ends(app):
    await _line_closing_after(app, 10)
    cid = (await app.say("hello")).conversation_id
    pinned_until = app.clock.now() + 60 * 60
    await app.services.core.decide(cid, lambda c: UnitOfWork(conversation=replace(c, pinned_until=pinned_until)))
    await app.advance(11 * 60)
    assert (await app.conversation(cid)).is_open
    await app.advance(50 * 60)
    assert not (await app.conversation(cid)).is_open


async def test_a_timer_survives_a_restart(make_app):
    first = await make_app()
    first.set_line(autoclose_minutes=5)
    cid = (await first.say("hello")).conversation_id
    await first.settle()
    await first.shutdown()

    app = await make_app(path=first.path, store=first.store, team=first.team, clock=first.clock)
    app.set_line(autoclose_minutes=5)
    await app.advance(5 * 60 + 1)
    assert not (await app.conversation(cid)).is_open


async def test_closing_by_hand_cancels_the_timer(app):
    await _line_closing_after(app, 5)
    cid = (await app.say("hello")).conversation_id
    await app.actions.close(cid, "ann")
    await app.settle()
    sent = len(app.channel.sent)
    await app.advance(6 * 60)
    assert len(app.channel.sent) == sent
    assert await app.journal.outbox.next_due() is None
