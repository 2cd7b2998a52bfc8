"""Queue distribution on the fake clock: modes, pass-on, capacity, presence, working hours, restarts."""
from __future__ import annotations

import asyncio

import pytest

from bridge.errors import Refused


def _offers(app, person: str) -> list[str]:
    return [t for t in app.team.texts(f"dm:{person}") if "is offered to you" in t]


async def _waiting(app, ref: str = "alice") -> str:
    cid = (await app.say("hello", ref=ref)).conversation_id
    await app.settle()
    return cid


async def test_strict_offers_in_queue_order_passes_on_and_goes_round_again(app):
    app.set_line(queue_mode="strict", wait_seconds=60, waiting_text="Thanks for waiting!")
    cid = await _waiting(app)
    assert len(_offers(app, "ann")) == 1 and _offers(app, "bob") == []
    assert ("support-" + cid, "ann") in app.team.invites
    await app.advance(61)
    assert len(_offers(app, "bob")) == 1
    await app.advance(61)  # everyone let it pass: round again, the customer told once
    assert len(_offers(app, "ann")) == 2
    await app.advance(61)
    await app.advance(61)
    assert app.channel.texts().count("Thanks for waiting!") == 1


async def test_evenly_offers_to_who_waited_longest(app):
    app.set_line(queue_mode="evenly")
    await _waiting(app, "c1")
    await _waiting(app, "c2")
    await _waiting(app, "c3")
    assert (len(_offers(app, "ann")), len(_offers(app, "bob"))) == (2, 1)


async def test_all_offers_everyone_and_exactly_one_answer_wins(app):
    app.set_line(queue_mode="all")
    cid = await _waiting(app)
    assert len(_offers(app, "ann")) == len(_offers(app, "bob")) == 1
    results = await asyncio.gather(app.actions.answer(cid, "ann"), app.actions.answer(cid, "bob"),
                                   return_exceptions=True)
    [winner] = [r for r in results if not isinstance(r, Exception)]
    [loser] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(loser, Refused) and f"already answered by {winner.owner}" in str(loser)
    await app.advance(500)  # an answered conversation is offered no more
    assert len(_offers(app, "ann")) == len(_offers(app, "bob")) == 1


async def test_capacity_skips_a_full_operator(app):
    app.set_line(queue_mode="strict", capacity=1)
    first = await _waiting(app, "c1")
    await app.actions.answer(first, "ann")
    await _waiting(app, "c2")
    assert len(_offers(app, "bob")) == 1 and len(_offers(app, "ann")) == 1


async def test_away_operators_get_nothing_new_and_coming_back_offers_what_waits(app):
    app.set_line(queue_mode="strict")
    for person in ("ann", "bob"):
        await app.services.queue.set_away(person, True)
    await _waiting(app)
    assert _offers(app, "ann") == _offers(app, "bob") == []
    await app.services.queue.set_away("bob", False)
    await app.settle()
    assert len(_offers(app, "bob")) == 1


async def test_coming_back_leaves_what_is_offered_to_someone_present_with_them(app):
    app.set_line(queue_mode="evenly")
    await app.services.queue.set_away("bob", True)
    cid = await _waiting(app)
    assert len(_offers(app, "ann")) == 1
    await app.services.queue.set_away("bob", False)
    await app.settle()
    assert _offers(app, "bob") == []  # ann has not let it pass: it is not taken from her
    assert (await app.services.core.journal.conversations.conversation(cid)).offered_to == ("ann",)


async def test_out_of_hours_a_conversation_waits_for_the_next_shift(app):
    app.set_line(queue_mode="strict", hours="mon-fri 09:00-17:00", timezone="UTC")
    week = 604800
    app.clock.t = 1_700_000_000.0 - (1_700_000_000.0 - 4 * 86400) % week + 5 * 86400 + 12 * 3600  # Sat noon
    await _waiting(app)
    assert _offers(app, "ann") == []
    await app.advance(36 * 3600)  # Sunday midnight: still closed
    assert _offers(app, "ann") == []
    await app.advance(9 * 3600 + 1)  # Monday 09:00
    assert len(_offers(app, "ann")) == 1


async def test_a_skip_passes_it_on_at_once(app):
    app.set_line(queue_mode="strict")
    cid = await _waiting(app)
    with pytest.raises(Refused, match="not offered to you"):
        await app.services.queue.skip(cid, "bob")
    await app.services.queue.skip(cid, "ann")
    await app.settle()
    assert len(_offers(app, "bob")) == 1
    assert "ann let it pass." in app.team.texts(f"support-{cid}")


async def test_a_pass_on_timer_survives_a_restart(make_app):
    first = await make_app()
    first.set_line(queue_mode="strict", wait_seconds=60)
    cid = await _waiting(first)
    await first.shutdown()
    app = await make_app(path=first.path, team=first.team, clock=first.clock, store=first.store)
    app.set_line(queue_mode="strict", wait_seconds=60)
    await app.settle()
    assert any(f"Still waiting after a restart: {cid}" in t for t in app.team.texts("support"))
    await app.advance(61)
    assert len(_offers(app, "bob")) == 1


async def test_a_line_whose_operators_are_all_away_tells_the_widget_nobody_is_there(app):
    assert (await app.services.inbound.line_status(app.binding)).open
    for person in ("ann", "bob"):
        await app.services.queue.set_away(person, True)
    assert not (await app.services.inbound.line_status(app.binding)).open
    await app.services.queue.set_away("bob", False)
    assert (await app.services.inbound.line_status(app.binding)).open
