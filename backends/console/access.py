"""Who may see which console room, and what the team sees at a glance — asked of the running core.

A direct chat is its owner's alone; a line's room belongs to the line's
people; a conversation's room to whoever the core's rights let view the
conversation; any other room to its members (and the bot's admins).
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from bridge.errors import NotFound
from bridge.model import ConversationStatus
from bridge.relay import customer_label
from bridge.rights import Action


class RoomAccess:
    def __init__(self, host: Any, admins: frozenset[str]) -> None:
        self.host = host  # runtime.host.Host: its ``core`` is set while Open Lines runs
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
        core = self.host.core
        entry = await core.journal.conversations.room(key) if core is not None else None
        if entry is None:  # not (yet) one of Open Lines' rooms: ask again next time
            return "room", None
        found = ("conversation", entry.conversation_id) if entry.conversation_id is not None \
            else ("line", entry.line_id)
        self._kinds[key] = found
        return found

    async def may_see(self, login: str, key: str, members: set[str]) -> bool:
        if key.startswith("@"):
            return key == f"@{login}"
        if login in members or self.is_admin(login):
            return True
        kind, ref = await self.kind(key)
        core = self.host.core
        if core is None or ref is None:
            return False
        person = f"@{login}"
        if kind == "line":
            return bool(core.core.rights.roles(person, core.core.directory.line_or_removed(ref)))
        try:
            conversation = await core.journal.conversations.conversation(ref)
        except NotFound:
            return False
        line = core.core.directory.line_or_removed(conversation.line_id)
        return bool(core.core.rights.allows(person, Action.VIEW, line, conversation))

    async def line_rooms_of(self, login: str) -> list[str]:
        """The line rooms ``login`` belongs in (they join them on signing in)."""
        core = self.host.core
        if core is None:
            return []
        person, keys = f"@{login}", []
        for entry in await core.journal.conversations.rooms():
            if entry.line_id is not None and entry.conversation_id is None:
                line = core.core.directory.line_or_removed(entry.line_id)
                if core.core.rights.roles(person, line):
                    keys.append(entry.key)
        return keys

    async def glance(self, logins: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """For each login, the open conversations they may view: waiting first, then assigned,
        oldest first. One read serves every login (the preview is the conversation's own)."""
        core = self.host.core
        logins = list(logins)
        if core is None:
            return {login: [] for login in logins}
        now, rights, directory = time.time(), core.core.rights, core.core.directory
        shown = []
        for c in await core.journal.conversations.conversations(open_only=True, limit=200):
            line = directory.line_or_removed(c.line_id)
            binding = directory.binding_or_removed(c.binding_id, c.line_id)
            shown.append((c, line, {
                "id": c.id, "name": c.customer_name, "channel": customer_label(binding), "line": line.name,
                "preview": c.preview, "age": max(0, now - c.created_at), "owner": c.owner,
                "waiting": c.status is ConversationStatus.QUEUED and c.owner is None,
                "room": core.team_work.room_of(c.id)}))
        glances = {}
        for login in logins:
            rows = [row for c, line, row in shown if rights.allows(f"@{login}", Action.VIEW, line, c)]
            glances[login] = sorted(rows, key=lambda r: (not r["waiting"], -r["age"]))
        return glances
