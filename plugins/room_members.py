"""Room member lists kept to the rights, for team chats whose server decides who enters a room (XMPP).

The web console asks the rights at every push and read; an XMPP server
delivers a room's messages itself, to whoever is in it. So its rooms are
members-only, and their member lists follow ``Rights.room_people``: who gains
a right becomes a member, who loses it stops being one (and the server
removes them from the room). Rights may change in another process: the lists
are compared with the rights of now every ``EVERY`` seconds; what is kept
here is only what was last set on the server.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from bridge.errors import NotFound
from bridge.model import Conversation
from bridge.store import RoomEntry
from bridge.team_queries import TeamQueries

log = logging.getLogger(__name__)
EVERY = 1.0
PAGE = 500


class RoomMembers:
    def __init__(self, queries: TeamQueries, team: Any) -> None:
        self.queries = queries
        self.team = team  # backends.team.chat.ErrbotTeamChat
        self._set: dict[str, frozenset[str]] = {}  # room key -> the members last set on the server

    async def run(self) -> None:
        while True:
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server or the journal is away: next time
                log.warning("room members not brought up to date: %s", type(exc).__name__)
            await asyncio.sleep(EVERY)

    async def sync(self) -> None:
        open_now = {c.id: c for c in await self._open_conversations()}
        for entry in await self.queries.rooms():
            people, settled = await self._people(entry, open_now)
            if people is not None and self._set.get(entry.key) != people:
                await self.team.keep_members(entry.key, people)
            if settled:
                self._set.pop(entry.key, None)
            elif people is not None:
                self._set[entry.key] = people

    async def _people(self, entry: RoomEntry,
                      open_now: dict[str, Conversation]) -> tuple[frozenset[str] | None, bool]:
        """Who the rights put in the room, and whether it is settled for good (its conversation closed);
        None for a room nothing can have changed in since it was last seen closed."""
        rights, directory = self.queries.rights, self.queries.directory
        if entry.conversation_id is None:
            line = directory.line_or_removed(entry.line_id) if entry.line_id else None
            return (rights.room_people(line) if line else None), False
        c = open_now.get(entry.conversation_id)
        if c is not None:
            return rights.room_people(directory.line_or_removed(c.line_id), c), False
        if entry.key not in self._set:
            return None, True
        try:  # closed since it was last seen: once more, then settled
            c = await self.queries.conversation(entry.conversation_id)
        except NotFound:
            return None, True
        return rights.room_people(directory.line_or_removed(c.line_id), c), True

    async def _open_conversations(self) -> list[Conversation]:
        found: list[Conversation] = []
        while True:
            page = await self.queries.open_conversations(PAGE, after_id=found[-1].id if found else None)
            found += page
            if len(page) < PAGE:
                return found
