"""The races between processes sharing one journal: two Services, each with its own connections (on
PostgreSQL, transactions side by side; on SQLite, two writers on one file). Each race has one winner."""
from __future__ import annotations

import asyncio

from bridge.errors import Refused
from bridge.model import MessageKind
from tests.support.clock import FakeClock
from tests.support.team import RecordingTeamChat


async def two_processes(make_app, **line):
    team, clock = RecordingTeamChat(), FakeClock()
    a = await make_app(team=team, clock=clock, owner="process-a")
    b = await make_app(team=team, clock=clock, owner="process-b")
    for app in (a, b):
        app.set_line(**line)
    return a, b


def offers(app, person: str) -> int:
    return len([t for t in app.team.texts(f"dm:{person}") if "is offered to you" in t])


async def test_two_operators_answering_at_once_in_two_processes_exactly_one_wins(make_app):
    a, b = await two_processes(make_app)
    for round_ in range(10):
        cid = (await a.say("hello", ref=f"customer-{round_}")).conversation_id
        results = await asyncio.gather(a.actions.answer(cid, "ann"), b.actions.answer(cid, "bob"),
                                       return_exceptions=True)
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Refused), results
        stored = await a.conversation(cid)
        assert stored.owner == won[0].owner
        notes = [m.text for m in await a.messages(cid) if m.kind is MessageKind.NOTICE and "answers" in m.text]
        assert notes == [f"{stored.owner} answers this conversation."]


async def test_an_offer_made_by_two_processes_at_once_is_made_once(make_app):
    a, b = await two_processes(make_app, queue_mode="strict", wait_seconds=60)
    cid = (await a.say("hello")).conversation_id
    await a.settle()
    assert (offers(a, "ann"), offers(a, "bob")) == (1, 0)

    await asyncio.gather(a.services.queue.offer(cid), b.services.queue.offer(cid))  # both think it is due
    await asyncio.gather(a.settle(), b.settle())
    assert (await a.conversation(cid)).offered_to == ("bob",)
    assert (offers(a, "ann"), offers(a, "bob")) == (1, 1)  # passed on once, not round again to ann

    a.clock.advance(61)  # the next offer's timer, due in both processes' outboxes at once
    await asyncio.gather(a.outbox.run_due(), b.outbox.run_due())
    await asyncio.gather(a.settle(), b.settle())
    assert (offers(a, "ann"), offers(a, "bob")) == (2, 1)  # round again: to ann, once
    assert (await a.conversation(cid)).offered_to == ("ann",)


async def test_a_close_for_silence_never_overtakes_the_customers_new_message(make_app):
    a, b = await two_processes(make_app, autoclose_minutes=10)
    cid = (await a.say("hello")).conversation_id
    await a.actions.answer(cid, "ann")
    await a.settle()
    wrote: list[str] = []

    def customer_writes_right_after_the_read(read):
        async def messages(conversation_id, **kwargs):
            found = await read(conversation_id, **kwargs)
            if kwargs.get("kinds") == frozenset({MessageKind.INBOUND}) and not wrote:
                wrote.append((await a.say("are you there?")).conversation_id)
            return found
        return messages

    for app in (a, b):  # whichever process runs the timer reads the last word, then the customer writes
        app.journal.conversations.messages = customer_writes_right_after_the_read(app.journal.conversations.messages)
    a.clock.advance(11 * 60)
    await asyncio.gather(a.outbox.run_due(), b.outbox.run_due())
    await asyncio.gather(a.settle(), b.settle())
    assert wrote == [cid]  # the message went into the open conversation…
    assert (await a.conversation(cid)).is_open  # …so the silence it ended closes nothing
    a.clock.advance(11 * 60)
    await asyncio.gather(a.outbox.run_due(), b.outbox.run_due())
    await asyncio.gather(a.settle(), b.settle())
    assert not (await a.conversation(cid)).is_open  # silent again for long enough: closed then
