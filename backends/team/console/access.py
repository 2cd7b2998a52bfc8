"""Who may see which console room, and what the team sees at a glance — asked of the running core.

A direct chat is its owner's alone; a line's room belongs to the line's
people; a conversation's room to whoever the core's rights put in it now
(``Rights.sees_room``); any other room to its members (and the bot's admins).
Rights are read from the core at every call, never kept here: another process
may change them (a transfer, a revoke) at any moment.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from bridge.errors import NotFound
from bridge.model import Conversation, ConversationStatus, Line
from bridge.relay import customer_label
from bridge.rights import Action
from bridge.team_queries import TeamQueries

PAGE = 500  # open conversations read at a time when listing rooms


@dataclass(frozen=True)
class RoomView:
    allowed: set[str]  # logins who may see the room now
    listed: set[str] | None = None  # of them, those whose page lists it unasked (None: all of them)
    closed: bool = False  # a closed conversation's room: kept and readable, listed by nobody

    def lists(self, login: str) -> bool:
        return login in (self.allowed if self.listed is None else self.listed)


class QueriedHost(Protocol):
    """The process host (``runtime.host.Host``) as the console sees it."""

    @property
    def queries(self) -> TeamQueries | None:
        """Set while Open Lines runs."""


class RoomAccess:
    def __init__(self, host: QueriedHost, admins: frozenset[str]) -> None:
        self.host = host
        self.admins = admins
        self._kinds: dict[str, tuple[str, str | None]] = {}  # a room's kind never changes once known

    def is_admin(self, login: str) -> bool:
        return f"@{login}" in self.admins

    async def kind(self, key: str) -> tuple[str, str | None]:
        """("direct"|"line"|"conversation"|"room", the line or conversation id)."""
        if key.startswith("@"):
            return "direct", None
        if key in self._kinds:
            return self._kinds[key]
        queries = self.host.queries
        entry = await queries.room(key) if queries is not None else None
        if entry is None:  # not (yet) one of Open Lines' rooms: ask again next time
            return "room", None
        found = ("conversation", entry.conversation_id) if entry.conversation_id is not None \
            else ("line", entry.line_id)
        self._kinds[key] = found
        return found

    async def view(self, key: str, logins: Iterable[str], members: set[str]) -> RoomView:
        """Of ``logins``, who may see room ``key`` now and whose page lists it unasked. ``members``
        (the room's stored members: invited, or who opened it) grant nothing in Open Lines' rooms;
        they only say which of their readers list a conversation's room. Until the core runs,
        nobody's rights can be read: only admins see more than their direct chat."""
        logins = set(logins)
        if not logins:  # no page open: nobody to decide for (and no read of the conversation)
            return RoomView(set())
        if key.startswith("@"):
            return RoomView({login for login in logins if key == f"@{login}"})
        kind, ref = await self.kind(key)
        queries = self.host.queries
        if queries is None or kind == "room" or ref is None:
            allowed = {login for login in logins if self.is_admin(login) or (queries is not None and login in members)}
            return RoomView(allowed, allowed & members)
        rights, directory = queries.rights, queries.directory
        if kind == "line":
            line = directory.line_or_removed(ref)
            return RoomView({login for login in logins if rights.roles(f"@{login}", line)})
        try:
            c = await queries.conversation(ref)
        except NotFound:
            return RoomView(set())
        line = directory.line_or_removed(c.line_id)
        allowed = {login for login in logins if rights.sees_room(f"@{login}", line, c)}
        listed = {login for login in allowed if c.is_open and (_in_by_right(f"@{login}", c) or login in members)}
        return RoomView(allowed, listed, closed=not c.is_open)

    async def may_see(self, login: str, key: str, members: set[str]) -> bool:
        return login in (await self.view(key, [login], members)).allowed

    async def listed(self, logins: Iterable[str], joined: dict[str, set[str]]) -> dict[str, set[str]]:
        """For each login, the Open Lines rooms its page lists: the rooms of the lines they have a role
        in, and the rooms of open conversations they are in — by right (operator, invited, offered) or,
        for a supervisor, once they opened it (``joined``: the rooms each login opened or was invited to)."""
        logins = list(logins)
        queries = self.host.queries
        if queries is None:
            return {login: set() for login in logins}
        rights, directory = queries.rights, queries.directory
        rooms: dict[str, str] = {}
        found: dict[str, set[str]] = {login: set() for login in logins}
        for entry in await queries.rooms():
            if entry.conversation_id is not None:
                rooms[entry.conversation_id] = entry.key
            elif entry.line_id is not None:
                line = directory.line_or_removed(entry.line_id)
                for login in logins:
                    if rights.roles(f"@{login}", line):
                        found[login].add(entry.key)
        for c in await self._open_conversations(queries):
            key, line = rooms.get(c.id), directory.line_or_removed(c.line_id)
            if key is None:
                continue
            for login in logins:
                person = f"@{login}"
                if rights.sees_room(person, line, c) and (_in_by_right(person, c) or key in joined.get(login, ())):
                    found[login].add(key)
        return found

    async def _open_conversations(self, queries: TeamQueries) -> list[Conversation]:
        found: list[Conversation] = []
        while True:
            page = await queries.open_conversations(PAGE, after_id=found[-1].id if found else None)
            found += page
            if len(page) < PAGE:
                return found

    async def glance(self, logins: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """For each login, the open conversations they may view: waiting first, then assigned,
        oldest first. One read serves every login (the preview is the conversation's own); the room
        is given only to those who are in it."""
        queries = self.host.queries
        logins = list(logins)
        if queries is None:
            return {login: [] for login in logins}
        now, rights, directory = time.time(), queries.rights, queries.directory
        shown: list[tuple[Conversation, Line, dict[str, Any]]] = []
        for c in await queries.open_conversations(200):
            line = directory.line_or_removed(c.line_id)
            binding = directory.binding_or_removed(c.binding_id, c.line_id)
            shown.append((c, line, {
                "id": c.id, "name": c.customer_name, "channel": customer_label(binding), "line": line.name,
                "preview": c.preview, "age": max(0, now - c.created_at), "owner": c.owner,
                "waiting": c.status is ConversationStatus.QUEUED and c.owner is None,
                "room": queries.room_of(c.id)}))
        glances = {}
        for login in logins:
            person = f"@{login}"
            rows = [{**row, "room": row["room"] if rights.sees_room(person, line, c) else None}
                    for c, line, row in shown if rights.allows(person, Action.VIEW, line, c)]
            glances[login] = sorted(rows, key=lambda r: (not r["waiting"], -r["age"]))
        return glances


def _in_by_right(person: str, c: Conversation) -> bool:
    """In the room without having opened it: its operator, invited in, or offered it."""
    return c.owner == person or c.participant(person) is not None or person in c.offered_to
