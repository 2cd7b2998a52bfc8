"""What a team console of our own asks of the running Open Lines: rooms, conversations, rights.

The console serves pages beside the core on the same loop but is started
before it (Errbot starts its backend first), so it holds this port, not the
core: ``None`` until Open Lines runs. Rights and rooms are read at every
call, never kept: another process may change them at any moment.
"""
from __future__ import annotations

from typing import Protocol

from bridge.actions import OperatorActions
from bridge.core import Core
from bridge.directory import Directory
from bridge.model import Conversation
from bridge.rights import Rights
from bridge.store import RoomEntry
from bridge.team_work import TeamWork


class TeamQueries(Protocol):
    @property
    def rights(self) -> Rights: ...

    @property
    def directory(self) -> Directory: ...

    async def room(self, key: str) -> RoomEntry | None:
        """The Open Lines room with this team-chat key (a line's or a conversation's), if it is one."""

    async def rooms(self) -> list[RoomEntry]: ...

    async def conversation(self, conversation_id: str) -> Conversation:
        """Raises NotFound."""

    async def open_conversations(self, limit: int, after_id: str | None = None) -> list[Conversation]:
        """Oldest first; ``after_id`` pages on from that id."""

    def room_of(self, conversation_id: str) -> str | None:
        """The conversation's room key, once it is open."""

    async def operator_signal(self, conversation_id: str, person: str, kind: str, data: dict[str, object]) -> None:
        """An operator typing, or having read up to a seq (``OperatorActions.operator_signal``)."""


class CoreTeamQueries:
    """Implements ``TeamQueries`` over the core's journal, rights and room map."""

    def __init__(self, core: Core, team_work: TeamWork, actions: OperatorActions) -> None:
        self._core, self._team_work, self._actions = core, team_work, actions

    @property
    def rights(self) -> Rights:
        return self._core.rights

    @property
    def directory(self) -> Directory:
        return self._core.directory

    async def room(self, key: str) -> RoomEntry | None:
        return await self._core.journal.conversations.room(key)

    async def rooms(self) -> list[RoomEntry]:
        return await self._core.journal.conversations.rooms()

    async def conversation(self, conversation_id: str) -> Conversation:
        return await self._core.journal.conversations.conversation(conversation_id)

    async def open_conversations(self, limit: int, after_id: str | None = None) -> list[Conversation]:
        return await self._core.journal.conversations.conversations(open_only=True, limit=limit, after_id=after_id)

    def room_of(self, conversation_id: str) -> str | None:
        return self._team_work.room_of(conversation_id)

    async def operator_signal(self, conversation_id: str, person: str, kind: str, data: dict[str, object]) -> None:
        await self._actions.operator_signal(conversation_id, person, kind, data)
