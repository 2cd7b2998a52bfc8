"""Line administration: lines, their settings, their people — every change checked and audited.

One place decides who may configure what (``Rights``), and every change is
saved, applied live (the directory) and written to the audit log in one go.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from bridge.core import Core
from bridge.errors import Refused
from bridge.line_settings import setting_key
from bridge.relay import preview
from bridge.model import ChannelBinding, Line, Role
from bridge.rights import Action

MAX_NAME = 60
T = TypeVar("T")


class Turn:
    """Line changes one at a time (read, change, save), so two at once never lose one; the task
    holding it may enter again (an import creates, then saves, then connects)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        me = asyncio.current_task()
        if self._owner is not me:
            await self._lock.acquire()
            self._owner = me
        self._depth += 1

    async def __aexit__(self, *_: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


def one_at_a_time(method: Callable[..., Awaitable[T]]) -> Callable[..., Coroutine[Any, Any, T]]:
    """For a method of an object with ``turn``: the whole read-change-save runs in it."""
    @functools.wraps(method)
    async def in_turn(self: Any, *args: Any, **kwargs: Any) -> T:
        async with self.turn:
            return await method(self, *args, **kwargs)
    return in_turn


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "line"


class LineAdmin:
    def __init__(self, core: Core, *, max_lines: int | None = None) -> None:
        self.core = core
        self.max_lines = max_lines
        self.turn = Turn()

    @property
    def _directory(self) -> Any:
        return self.core.directory

    # -- finding lines, with the one rights check ------------------------------------------
    def line_for(self, actor: str, name: str, action: Action) -> Line:
        line = self._directory.find_line(name)
        if action is Action.VIEW:
            if not self.core.rights.roles(actor, line):
                raise Refused(f"you have no role on line {line.name}")
        else:
            self.core.rights.check(actor, action, line)
        return line

    def require_global_admin(self, actor: str, what: str) -> None:
        if not self.core.rights.is_global_admin(actor):
            raise Refused(f"only a bot admin may {what}")

    def visible_lines(self, actor: str) -> list[Line]:
        lines = [line for line in self._directory.live_lines() if self.core.rights.roles(actor, line)]
        if not lines and not self.core.rights.is_global_admin(actor):
            raise Refused("you have no role on any line")
        return lines

    # -- lines --------------------------------------------------------------------------------
    @one_at_a_time
    async def create(self, actor: str, name: str) -> Line:
        self.require_global_admin(actor, "create lines")
        name = _checked_name(name)
        live = self._directory.live_lines()
        if any(line.name.lower() == name.lower() for line in live):
            raise Refused(f"there is already a line named {name}; choose another name")
        if self.max_lines is not None and len(live) >= self.max_lines:
            raise Refused(f"this install allows at most {self.max_lines} line(s) (OPENLINES_MAX_LINES)")
        line = Line(id=self._free_id(slug(name)), name=name)
        await self.save(line, actor, "line create", f"created line {name}")
        return line

    def _free_id(self, base: str) -> str:
        taken = set(self._directory.lines)
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, 10_000) if f"{base}-{n}" not in taken)

    @one_at_a_time
    async def set(self, actor: str, name: str, key: str, value: str) -> tuple[Line, str, str]:
        line = self.line_for(actor, name, Action.CONFIGURE)
        key = setting_key(key)
        settings = line.settings.updated(key, value)
        before, after = line.settings.shown(key), settings.shown(key)
        changed = dataclasses.replace(line, settings=settings)
        await self.save(changed, actor, "line set", f"{key}: {preview(before, 60)} → {preview(after, 60)}")
        return changed, before, after

    @one_at_a_time
    async def enable(self, actor: str, name: str, on: bool) -> Line:
        line = self.line_for(actor, name, Action.CONFIGURE)
        changed = dataclasses.replace(line, enabled=on)
        await self.save(changed, actor, "line enable" if on else "line disable", "enabled" if on else "disabled")
        return changed

    @one_at_a_time
    async def delete(self, actor: str, name: str) -> Line:
        self.require_global_admin(actor, "delete lines")
        line = self._directory.find_line(name)
        for binding in self._directory.bindings_of(line.id):
            await self.drop_binding(binding.id)
        changed = dataclasses.replace(line, deleted=True, enabled=False)
        await self.save(changed, actor, "line delete", "deleted; history and CRM records kept")
        return changed

    # -- people -------------------------------------------------------------------------------
    @one_at_a_time
    async def grant(self, actor: str, name: str, person: str, role: Role) -> Line:
        line = self.line_for(actor, name, Action.CONFIGURE)
        people = line.people(role)
        if person in people:
            raise Refused(f"{person} is already {role.value} of line {line.name}")
        changed = line.with_people(role, (*people, person))
        await self.save(changed, actor, "line grant", f"{person} is now {role.value}")
        return changed

    @one_at_a_time
    async def revoke(self, actor: str, name: str, person: str, role: Role) -> Line:
        line = self.line_for(actor, name, Action.CONFIGURE)
        people = line.people(role)
        if person not in people:
            raise Refused(f"{person} is not {role.value} of line {line.name}")
        changed = line.with_people(role, tuple(p for p in people if p != person))
        await self.save(changed, actor, "line revoke", f"{person} is no longer {role.value}")
        return changed

    async def revoke_everywhere(self, actor: str, person: str) -> list[str]:
        """Every role of ``person`` on every line taken back (their account is removed): no more offers,
        announcements or supervision for that identity. Returns the roles ended, e.g. "operator of Support"."""
        self.require_global_admin(actor, "remove someone from every line")
        ended = []
        for line in self._directory.live_lines():
            for role in Role:
                if line.has_role(person, role):
                    await self.revoke(actor, line.name, person, role)
                    ended.append(f"{role.value} of {line.name}")
        return ended

    @one_at_a_time
    async def move(self, actor: str, name: str, person: str, position: int) -> Line:
        line = self.line_for(actor, name, Action.CONFIGURE)
        if person not in line.operators:
            raise Refused(f"{person} is not in the queue of line {line.name}; grant them operator first")
        if not 1 <= position <= len(line.operators):
            raise Refused(f"the position must be from 1 to {len(line.operators)}")
        queue = [p for p in line.operators if p != person]
        queue.insert(position - 1, person)
        changed = dataclasses.replace(line, operators=tuple(queue))
        await self.save(changed, actor, "line queue", f"{person} moved to position {position}")
        return changed

    # -- saving and the audit log -------------------------------------------------------------
    async def save(self, line: Line, actor: str, action: str, detail: str) -> None:
        await self.core.journal.config.save_line(line)
        self._directory.put_line(line)
        await self.audit(actor, line.id, action, detail)

    async def keep_binding(self, binding: ChannelBinding) -> None:
        """Saved, then live (the directory starts or restarts its channel)."""
        await self._directory.put_binding(binding, lambda: self.core.journal.config.save_binding(binding))

    async def drop_binding(self, binding_id: str) -> None:
        """Deleted, then stopped; its conversations' history stays."""
        config = self.core.journal.config
        await self._directory.remove_binding(binding_id, lambda: config.delete_binding(binding_id))

    async def audit(self, actor: str, line_id: str | None, action: str, detail: str) -> None:
        await self.core.journal.config.audit(self.core.clock.now(), actor, line_id, action, detail)

    async def audit_log(self, actor: str, name: str | None, limit: int) -> list[dict[str, Any]]:
        if name is None:
            self.require_global_admin(actor, "read the whole audit log (name a line you administer)")
            return await self.core.journal.config.audit_entries(None, limit)
        line = self.line_for(actor, name, Action.CONFIGURE)
        return await self.core.journal.config.audit_entries(line.id, limit)


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise Refused(f"a line name has 1 to {MAX_NAME} printable characters")
    if not re.search(r"[A-Za-z0-9]", name):
        raise Refused("a line name needs at least one letter or digit")
    return name


def role_of(text: str) -> Role:
    try:
        return Role(text.lower())
    except ValueError:
        raise Refused(f"“{text[:20]}” is not a role; roles are admin, supervisor, operator") from None

