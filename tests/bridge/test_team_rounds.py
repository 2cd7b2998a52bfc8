"""Posts of many rooms go to the team chat together: one call and one finish commit per round."""
from __future__ import annotations

import asyncio

from bridge.model import MessageKind
from bridge.outbox import PartialDone
from bridge.relay import TeamPost
from tests.support.team import RecordingTeamChat

CUSTOMERS = 8


class RoundsTeamChat(RecordingTeamChat):
    """A team chat that takes several rooms' posts in one call (as the Errbot one does), counting the calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []  # how many rooms each call carried
        self.gate: asyncio.Event | None = None

    async def post_many(self, rooms: list[tuple[str, list[TeamPost]]]) -> list[PartialDone | None]:
        self.calls.append(len(rooms))
        if self.gate is not None:
            await self.gate.wait()
        results: list[PartialDone | None] = []
        for key, posts in rooms:
            try:
                await self.post(key, posts)
                results.append(None)
            except PartialDone as partial:
                results.append(partial)
        return results


def _customer_posts(team: RecordingTeamChat, room: str) -> list[str]:
    return [p.text for name, p in team.posts if name == room and p.kind == "customer"]


async def test_rooms_ready_together_are_posted_in_one_call_and_finished_in_one_commit(make_app):
    team = RoundsTeamChat()
    app = await make_app(team=team)
    rooms = []
    for n in range(CUSTOMERS):
        receipt = await app.say(f"first {n}", ref=f"c{n}")
        rooms.append(f"support-{receipt.conversation_id}")
    await app.settle()
    team.calls.clear()
    team.gate = asyncio.Event()  # the team chat is busy: what arrives meanwhile waits for one round
    await app.say("while busy", ref="c0")
    await asyncio.sleep(0.05)
    for n in range(CUSTOMERS):
        await app.say(f"second {n}", ref=f"c{n}")
    commits = app.journal.conversations.commit
    finishes: list[int] = []

    async def counted(unit):
        if unit.finished and not unit.messages:
            finishes.append(len(unit.finished))
        return await commits(unit)

    app.journal.conversations.commit = counted  # type: ignore[method-assign]
    team.gate.set()
    await app.settle()
    assert team.calls == [1, CUSTOMERS]  # the busy round, then every room at once
    assert finishes == [1, CUSTOMERS]  # and one commit records each round's posts done
    for n, room in enumerate(rooms):
        assert _customer_posts(team, room) == [f"first {n}", *(["while busy"] if n == 0 else []), f"second {n}"]
    owed = await app.journal.outbox.lease_due("x", app.clock.now() + 3600, app.clock.now() + 7200, 500)
    assert [i for i in owed if i.kind == "team.post"] == []  # every post recorded done


async def test_a_failing_room_in_a_round_stops_only_itself_and_each_post_goes_once(make_app):
    team = RoundsTeamChat()
    app = await make_app(team=team)
    receipts = [await app.say(f"first {n}", ref=f"c{n}") for n in range(3)]
    await app.settle()
    broken = f"support-{receipts[1].conversation_id}"
    team.break_room(broken, after=1, times=1)  # its round posts one, then fails once
    for n in range(3):
        await app.say(f"a {n}", ref=f"c{n}")
        await app.say(f"b {n}", ref=f"c{n}")
    await app.settle()
    assert _customer_posts(team, broken) == ["first 1", "a 1"]  # b waits for its retry
    await app.advance(60)
    for n, receipt in enumerate(receipts):
        assert _customer_posts(team, f"support-{receipt.conversation_id}") == [f"first {n}", f"a {n}", f"b {n}"]
    history = await app.messages(receipts[1].conversation_id)
    assert [m.text for m in history if m.kind is MessageKind.INBOUND] == ["first 1", "a 1", "b 1"]


async def test_a_new_conversations_room_opens_in_the_round_of_its_first_posts_and_is_recorded_with_them(make_app):
    team = RoundsTeamChat()
    app = await make_app(team=team)
    commits = app.journal.conversations.commit
    with_rooms: list[int] = []

    async def spied(unit):
        if any(entry.conversation_id for entry in unit.rooms):
            with_rooms.append(len(unit.finished))
        return await commits(unit)

    app.journal.conversations.commit = spied  # type: ignore[method-assign]
    receipt = await app.say("hello", ref="c0")
    await app.settle()
    assert _customer_posts(team, f"support-{receipt.conversation_id}") == ["hello"]
    assert len(with_rooms) == 1 and with_rooms[0] >= 2  # one commit: the room's opening and its first posts done


class FailsFirstPostOfEachRoom(RoundsTeamChat):
    async def open_room(self, name: str, topic: str) -> str:
        self.break_room(name, times=1)
        return await super().open_room(name, topic)


async def test_a_room_opened_in_a_round_whose_posts_fail_is_recorded_and_they_go_once_later(make_app):
    team = FailsFirstPostOfEachRoom()
    app = await make_app(team=team)
    receipt = await app.say("hello", ref="c0")
    await app.settle()
    room = f"support-{receipt.conversation_id}"
    assert _customer_posts(team, room) == []
    recorded = [e.key for e in await app.journal.conversations.rooms() if e.conversation_id == receipt.conversation_id]
    assert recorded == [f"#{room}"]  # the room is recorded though its post failed
    await app.advance(60)
    assert _customer_posts(team, room) == ["hello"]
    assert team.rooms.count(room) == 1  # not opened again
    owed = await app.journal.outbox.lease_due("x", app.clock.now() + 3600, app.clock.now() + 7200, 500)
    assert [i for i in owed if i.kind in ("team.post", "team.room")] == []
