"""A crash after the journal commit: the next run delivers what is owed, exactly once."""
from __future__ import annotations

import asyncio
from collections import Counter

from bridge.model import ConversationStatus, Delivery


async def _crash_after_commit(make_app, **kwargs):
    """Accept messages in a process whose dispatcher never ran, then lose that process."""
    crashed = await make_app(start=False, **kwargs)
    alice = [await crashed.say(f"alice {i}", ref="alice") for i in range(3)]
    bob = await crashed.say("bob 0", ref="bob", name="Bob")
    crashed.worker.close()
    return crashed, alice, bob


async def _restart(make_app, crashed):
    app = await make_app(path=crashed.path, store=crashed.store, team=crashed.team, clock=crashed.clock,
                         start=False)
    await app.dispatcher.recover()
    app.dispatcher.start()
    await app.settle()
    return app


async def test_nothing_is_delivered_before_the_restart(make_app):
    crashed, _, _ = await _crash_after_commit(make_app)

    assert crashed.team.rooms == [] and crashed.team.posts == []
    assert crashed.channel.sent == []
    assert crashed.store.find_contact("webchat", "alice") is None


async def test_recovered_work_waits_for_start(make_app):
    crashed, _, _ = await _crash_after_commit(make_app)
    app = await make_app(path=crashed.path, store=crashed.store, team=crashed.team, start=False)

    await app.dispatcher.recover()
    await asyncio.sleep(0.01)
    assert app.channel.sent == [] and app.team.posts == []

    app.dispatcher.start()
    await app.settle()
    assert len(app.channel.sent) == 2 and len(app.team.rooms) == 2


async def test_recovery_delivers_everything_exactly_once(make_app):
    crashed, alice, bob = await _crash_after_commit(make_app)

    app = await _restart(make_app, crashed)

    rooms = [f"support-{alice[0].conversation_id}", f"support-{bob.conversation_id}"]
    assert app.team.rooms == rooms
    assert len(app.team.announcements) == 2
    assert [t.rsplit(": ", 1)[1] for t in app.team.texts(rooms[0]) if "(customer" in t] == [
        "alice 0", "alice 1", "alice 2"]
    assert Counter(app.team.posts).most_common(1)[0][1] == 1  # no post twice
    welcome = app.line.welcome_text
    assert sorted((m.customer_ref, m.text) for m in app.channel.sent) == [("alice", welcome), ("bob", welcome)]
    for ref in ("alice", "bob"):
        contact = app.store.find_contact("webchat", ref)
        assert len(app.store.leads_of(contact.id)) == 1
    assert all(m.to_team is not Delivery.PENDING and m.to_customer is not Delivery.PENDING
               for m in await app.journal.transcript(alice[0].conversation_id))
    work = await app.journal.pending_work()
    assert (work.rooms, work.crm, work.transcripts, work.team, work.customer) == ([], [], [], [], [])


async def test_a_second_recovery_delivers_nothing_again(make_app):
    crashed, _, _ = await _crash_after_commit(make_app)
    app = await _restart(make_app, crashed)
    posts, sent = list(app.team.posts), list(app.channel.sent)

    await app.dispatcher.recover()
    await app.settle()

    assert app.team.posts == posts
    assert app.channel.sent == sent
    assert len(app.team.rooms) == 2


async def test_recovered_conversation_keeps_working(make_app):
    crashed, alice, _ = await _crash_after_commit(make_app)
    app = await _restart(make_app, crashed)
    cid = alice[0].conversation_id

    again = await app.say("still there?", ref="alice")
    await app.service.reply(cid, "ann", "Yes!")
    await app.settle()

    assert again.conversation_id == cid
    assert app.channel.texts()[-1] == "Yes!"
    assert (await app.service.conversation(cid)).status is ConversationStatus.ACTIVE


async def test_a_close_accepted_before_the_crash_is_finished_after_it(make_app):
    crashed = await make_app()
    crashed.set_line(closing_text="Bye!")
    receipt = await crashed.say("Hi")
    await crashed.settle()
    await crashed.dispatcher.stop()  # the process dies right after the close commits
    closed = await crashed.service.close(receipt.conversation_id, "ann")
    crashed.worker.close()

    app = await _restart(make_app, crashed)

    assert crashed.channel.texts() == [app.line.welcome_text]
    assert app.channel.texts() == ["Bye!"]
    [activity] = app.store.activities_of(closed.contact_id)
    assert "Hi" in activity.body
    assert app.team.texts(closed.room_name)[-1].startswith("ℹ️ 📎 Transcript attached")
