"""Owed work toward the team chat: open rooms, announce, post — one lane per room."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import NamedTuple

from bridge import relay
from bridge.core import Core, line_announcement, line_note, mirrors
from bridge.errors import NotFound, SendError
from bridge.metrics import RELAY_SECONDS
from bridge.model import Conversation, Message, MessageKind
from bridge.outbox import PartialDone, WorkKind
from bridge.ports import TeamChat
from bridge.store import RoomEntry, UnitOfWork, WorkItem
from bridge.work_kinds import Work, line_lane

log = logging.getLogger(__name__)
POST_BATCH = 64


async def post_rooms(team: TeamChat, rooms: list[tuple[str, list[relay.TeamPost]]]) -> list[BaseException | None]:
    """Each room's posts, in one call where the team chat takes several rooms at once."""
    many = getattr(team, "post_many", None)
    if many is not None:
        return list(await many(rooms))
    return list(await asyncio.gather(*(team.post(key, posts) for key, posts in rooms), return_exceptions=True))


async def open_rooms(team: TeamChat, rooms: list[tuple[str, str]]) -> list[str | BaseException]:
    """Each room (name, topic) opened, in one call where the team chat opens several at once."""
    many = getattr(team, "open_rooms", None)
    if many is not None:
        return list(await many(rooms))
    return list(await asyncio.gather(*(team.open_room(name, topic) for name, topic in rooms), return_exceptions=True))


def _outcome(room: _Room, error: BaseException | None) -> UnitOfWork | None | BaseException:
    """A room's outcome in its round; a room opened in it is recorded whatever became of its posts."""
    if room.room is None:
        return error or room.unit
    if error is None:
        if room.unit is not None:
            room.room.work += room.unit.work
        return room.room
    if isinstance(error, PartialDone):
        done, reason = error.done, error.error
    else:
        done, reason = 0, error if isinstance(error, SendError) else SendError(f"unexpected {type(error).__name__}")
    return PartialDone(done + 1, reason, room.room)  # the room's item, and the posts that went


class _Room(NamedTuple):
    """One room's part of a round of posts."""
    key: str
    posts: list[relay.TeamPost]
    unit: UnitOfWork | None  # what posting them owes (None: nothing), committed once they went
    room: UnitOfWork | None  # the room opened for them in this round (recorded even if they fail)
    accepted: list[float]  # when the customer messages among them were accepted (for the relay metric)


class TeamWork:
    def __init__(self, core: Core, team: TeamChat) -> None:
        self.core = core
        self.team = team
        self._room_of: dict[str, str] = {}  # conversation id, or a line's lane (line_lane), -> room key
        self._conversation_of: dict[str, str] = {}  # room key -> conversation id

    def kinds(self) -> dict[str, WorkKind]:
        return {
            # a room opens in the round of its first posts and is recorded with them: one commit less
            # before a new conversation's first messages show (a burst of them queues every commit)
            Work.TEAM_ROOM: WorkKind(self.open_room, max_attempts=12, on_dead=self._dead, rounds_of=Work.TEAM_POST),
            Work.TEAM_POST: WorkKind(self.post, batch=POST_BATCH, max_attempts=12, on_dead=self._dead,
                                     mark_started=True, many=self.post_many),
            Work.TEAM_ANNOUNCE: WorkKind(self.announce, max_attempts=12, on_dead=self._dead, mark_started=True),
            Work.TEAM_ALERT: WorkKind(self.alert, max_attempts=12),
            Work.TEAM_DIRECT: WorkKind(self.direct, max_attempts=12),
            Work.TEAM_INVITE: WorkKind(self.invite, max_attempts=6),
            Work.TEAM_MIRROR: WorkKind(self.mirror, max_attempts=12),
        }

    # -- rooms ---------------------------------------------------------------------------
    async def load(self) -> None:
        for entry in await self.core.journal.conversations.rooms():
            self._remember(entry)

    def _remember(self, entry: RoomEntry) -> None:
        if entry.conversation_id is not None:
            self._room_of[entry.conversation_id] = entry.key
            self._conversation_of[entry.key] = entry.conversation_id
        elif entry.line_id is not None:
            self._room_of[line_lane(entry.line_id)] = entry.key

    def conversation_of_room(self, room_key: str) -> str | None:
        """The conversation whose room has this key; None for any other room."""
        return self._conversation_of.get(room_key)

    def room_of(self, conversation_id: str) -> str | None:
        return self._room_of.get(conversation_id)

    async def signal(self, conversation_id: str, kind: str, data: dict[str, object]) -> None:
        """Pass a signal (the customer typing…) to the conversation's room; never fails, never waits long."""
        key = self._room_of.get(conversation_id)
        if key is None:
            return
        try:
            await asyncio.wait_for(self.team.signal(key, kind, data), 5)
        except Exception as exc:
            log.info("signal %s to room %s failed: %s", kind, key, type(exc).__name__)

    async def open_room(self, items: list[WorkItem]) -> UnitOfWork:
        outcome = (await self.open_many([items]))[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome or UnitOfWork()

    async def open_many(self, batches: list[list[WorkItem]]) -> list[UnitOfWork | None | BaseException]:
        """Several conversations' rooms in one call to the team chat and one commit (a burst of new
        conversations would otherwise queue a thread hop and a commit each before their first post)."""
        units: list[UnitOfWork | BaseException] = []
        wanted: list[tuple[int, Conversation, str, str]] = []  # unit's index, conversation, name, topic
        for items in batches:
            try:
                conversation = await self._conversation(items[0])
                if conversation.id not in self._room_of:
                    line = self.core.directory.line_or_removed(conversation.line_id)
                    binding = self.core.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
                    topic = relay.room_topic(conversation, line, binding)
                    wanted.append((len(units), conversation, f"{line.id}-{conversation.id}", topic))
                units.append(self._announced(items[0], conversation))
            except Exception as exc:  # this room's trouble is this room's: the others go on
                units.append(exc)
        opened = await open_rooms(self.team, [(name, topic) for _, _, name, topic in wanted])
        for (at, conversation, name, _), key in zip(wanted, opened, strict=True):
            unit = units[at]
            if isinstance(key, BaseException):
                units[at] = key
            elif not isinstance(unit, BaseException):
                entry = RoomEntry(key, conversation_id=conversation.id, name=name)
                self._remember(entry)
                unit.rooms.append(entry)
        return list(units)

    def _announced(self, item: WorkItem, conversation: Conversation) -> UnitOfWork:
        """What opening the room owes besides the room: its announcement, where asked for."""
        unit = UnitOfWork()
        if item.payload.get("announce"):
            preview = str(item.payload.get("preview", ""))
            unit.work.append(line_announcement(conversation, conversation.line_id, preview))
        return unit

    async def _line_room(self, line_id: str, unit: UnitOfWork) -> str:
        key = self._room_of.get(line_lane(line_id))
        if key is None:
            line = self.core.directory.line_or_removed(line_id)
            key = await self.team.open_room(line.id, f"{line.name}: new conversations are announced here")
            entry = RoomEntry(key, line_id=line_id, name=line.id)
            self._remember(entry)
            unit.rooms.append(entry)
        return key

    # -- posts -------------------------------------------------------------------------------
    async def post(self, items: list[WorkItem]) -> UnitOfWork | None:
        outcome = (await self.post_many([items]))[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def post_many(self, batches: list[list[WorkItem]]) -> list[UnitOfWork | None | BaseException]:
        """Several rooms' posts in one call to the team chat; an outcome per room, in order (None: the
        posts went and owe nothing more). A batch may start with its room's opening (``Work.TEAM_ROOM``):
        the rooms open first, in one call, and each is recorded with its posts."""
        at = [n for n, items in enumerate(batches) if items[0].kind == Work.TEAM_ROOM]
        opened = dict(zip(at, await self.open_many([batches[n][:1] for n in at]))) if at else {}
        prepared: list[_Room | BaseException] = []
        for n, items in enumerate(batches):
            room = opened.get(n)
            try:
                if isinstance(room, BaseException):
                    raise room
                prepared.append(await self._prepare(items[1:] if n in opened else items, room, items[0]))
            except Exception as exc:  # this room's trouble is this room's: the others go on
                prepared.append(exc)
        ready = [p for p in prepared if not isinstance(p, BaseException)]
        errors = await post_rooms(self.team, [(room.key, room.posts) for room in ready])
        now, observe = self.core.clock.now(), self.core.metrics.observe
        outcome = iter([_outcome(room, error) for room, error in zip(ready, errors, strict=True)])
        for shown, error in zip(ready, errors, strict=True):
            if error is None:  # accepted from the customer -> shown to the team
                for ts in shown.accepted:
                    observe(RELAY_SECONDS, now - ts if now > ts else 0.0)
        return [p if isinstance(p, BaseException) else next(outcome) for p in prepared]

    async def _prepare(self, items: list[WorkItem], room: UnitOfWork | None, head: WorkItem) -> _Room:
        """A room's key, its posts, and what posting them owes (committed only once they went).
        Plain loops, no comprehensions: this runs on the loop for every room of every round."""
        # the conversation as this process last saw it, else read (a coroutine less per room)
        known = self.core.recent.get(head.conversation_id) if head.conversation_id is not None else None
        conversation = known or await self._conversation(head)
        binding = self.core.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        found: dict[int, Message] = {}
        missing: list[int] = []
        for item in items:
            if item.message is not None:
                found[item.message.seq] = item.message
            else:
                missing.append(int(item.payload["seq"]))
        if missing:  # work from before a restart, or from another process: read what is not in hand
            found |= {m.seq: m for m in await self.core.journal.conversations.messages_by_seq(missing)}
        posts: list[relay.TeamPost] = []
        accepted: list[float] = []  # when the customer messages among them were accepted (the relay metric)
        for item in items:
            message = found.get(int(item.payload["seq"])) if item.message is None else item.message
            if message is not None:
                posts.append(relay.team_post(message, conversation, binding, repeated=item.recovered))
                if message.kind is MessageKind.INBOUND:
                    accepted.append(message.ts)
        key = self._room_of.get(conversation.id)
        unit = None
        if key is None:  # its room was lost (an old journal): open it again first
            unit = await self.open_room([WorkItem(0, Work.TEAM_ROOM, "", conversation.id, {}, 0)])
            key = self._room_of[conversation.id]
        if any(p.since_seq for p in conversation.participants):  # colleagues who see only what follows
            unit = unit or UnitOfWork()
            for item in items:  # get it in private
                unit.work += mirrors(conversation, seq=int(item.payload["seq"]),
                                     author=str(item.payload.get("author", "")))
        return _Room(key, posts, unit, room, accepted)

    async def mirror(self, items: list[WorkItem]) -> UnitOfWork:
        """One message of a conversation, in private, for a colleague invited without its history."""
        conversation = await self._conversation(items[0])
        message = await self.core.message_of(items[0])
        binding = self.core.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        post = relay.team_post(message, conversation, binding, repeated=items[0].recovered)
        tagged = dataclasses.replace(post, text=f"[conversation {conversation.id}] {post.text}")
        await self.team.direct(str(items[0].payload["person"]), [tagged])
        return UnitOfWork()

    async def announce(self, items: list[WorkItem]) -> UnitOfWork:
        conversation = await self._conversation(items[0])
        line = self.core.directory.line_or_removed(conversation.line_id)
        binding = self.core.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        text = relay.announcement(conversation, line, binding, str(items[0].payload.get("preview", "")))
        unit = UnitOfWork()
        key = await self._line_room(conversation.line_id, unit)
        await self.team.post(key, [relay.TeamPost("announce", text, repeated=items[0].recovered)])
        return unit

    async def alert(self, items: list[WorkItem]) -> UnitOfWork:
        line_id = items[0].payload.get("line") or (await self._conversation(items[0])).line_id
        unit = UnitOfWork()
        key = await self._line_room(str(line_id), unit)
        await self.team.post(key, [relay.TeamPost("notice", str(items[0].payload.get("text", "")))])
        return unit

    async def invite(self, items: list[WorkItem]) -> UnitOfWork:
        """Bring an operator into a conversation's room (after the room, in the room's lane)."""
        conversation = await self._conversation(items[0])
        key = self._room_of.get(conversation.id)
        if key is not None:
            await self.team.invite(key, str(items[0].payload["person"]))
        return UnitOfWork()

    async def direct(self, items: list[WorkItem]) -> UnitOfWork:
        """A note to one employee in private (an alert for a supervisor, an offer)."""
        payload = items[0].payload
        await self.team.direct(str(payload["person"]), [relay.TeamPost("notice", str(payload.get("text", "")))])
        return UnitOfWork()

    async def _conversation(self, item: WorkItem) -> Conversation:
        if item.conversation_id is None:
            raise NotFound(f"work {item.id} names no conversation")
        return await self.core.view(item.conversation_id)

    async def _dead(self, item: WorkItem, reason: str) -> None:
        """The room cannot be reached: say so where the line's people look, if that works."""
        if item.conversation_id is None:
            return
        conversation = await self.core.journal.conversations.conversation(item.conversation_id)
        if item.lane == line_lane(conversation.line_id):
            return  # the line room itself is unreachable: the health check reports it
        text = (f"⚠️ Conversation {conversation.id}'s room could not be reached: {reason}. "
                f"Its messages are in !transcript {conversation.id}.")
        await self.core.commit(UnitOfWork(work=[line_note(conversation.line_id, text, conversation.id)]))
