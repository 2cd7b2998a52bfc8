"""A crash after the journal commit: the next run delivers what is owed, exactly once and in order."""
from __future__ import annotations

from collections import Counter

from bridge.model import Delivery


async def _crash_after_commit(make_app, **kwargs):
    """Accept messages in a process whose outbox never ran, then lose that process."""
    crashed = await make_app(start=False, **kwargs)
    alice = [await crashed.say(f"alice {i}", ref="alice") for i in range(3)]
    bob = await crashed.say("bob 0", ref="bob", name="Bob")
    await crashed.shutdown()
    return crashed, alice, bob


async def _restart(make_app, crashed, **kwargs):
    app = await make_app(path=crashed.path, store=crashed.store, team=crashed.team, clock=crashed.clock, **kwargs)
    await app.settle()
    return app


async def test_nothing_is_delivered_by_a_process_that_dies_first(make_app):
    crashed, _, _ = await _crash_after_commit(make_app)
    assert crashed.team.rooms == [] and crashed.team.posts == []
    assert crashed.channel.sent == []
    assert crashed.store.find_contact("fake", "alice") is None


async def test_the_restart_delivers_everything_exactly_once_in_order(make_app):
    crashed, alice, bob = await _crash_after_commit(make_app)
    app = await _restart(make_app, crashed)

    room = f"support-{alice[0].conversation_id}"
    assert set(app.team.rooms) == {room, f"support-{bob.conversation_id}", "support"}
    assert len(app.team.announcements()) == 2
    assert app.team.customer_texts(room) == ["alice 0", "alice 1", "alice 2"]
    assert Counter((r, p.seq, p.text) for r, p in app.team.posts).most_common(1)[0][1] == 1
    # One welcome each. Between two customers no order is promised: their lanes run side by side (and
    # since rooms open in the post rounds, both lanes reach their welcome in the same round).
    assert sorted(m.customer_ref for m in app.channel.sent) == ["alice", "bob"]
    assert app.store.find_contact("fake", "bob") is not None
    # Never begun before the crash: nothing is marked as a possible repeat.
    assert not any(p.repeated for _, p in app.team.posts)


async def test_a_post_begun_before_a_crash_is_marked_as_a_possible_repeat(make_app):
    crashed = await make_app()
    receipt = await crashed.say("first words")
    await crashed.settle()
    room = f"support-{receipt.conversation_id}"
    crashed.team.break_room(room, after=0)  # the next post starts, then the process "dies"
    await crashed.say("the words in flight")
    await crashed.settle()
    await crashed.shutdown()
    crashed.team.fix_room(room)

    app = await _restart(make_app, crashed)
    await app.advance(1.1)  # its retry was due a second after the failed try
    [post] = [p for r, p in app.team.posts if r == room and p.text == "the words in flight"]
    assert post.repeated
    assert app.team.rendered(room)[-1].startswith("↻ repeated after a restart: ")


async def test_an_operators_reply_accepted_before_the_crash_is_sent_after_it(make_app):
    first = await make_app()
    cid = (await first.say("hi")).conversation_id
    await first.settle()
    await first.actions.answer(cid, "ann")
    await first.outbox.stop()  # the process dies right after the reply was stored
    reply = await first.actions.reply(cid, "ann", "stored, not yet sent")
    await first.shutdown()

    app = await _restart(make_app, first)
    assert app.channel.texts() == ["stored, not yet sent"]
    assert (await app.journal.conversations.message(reply.seq)).delivery is Delivery.SENT
