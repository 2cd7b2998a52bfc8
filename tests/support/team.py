"""The one recording team chat every test uses, with fault injection per room and per post."""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bridge.relay import TeamPost, render_team_post


@dataclass
class _Fault:
    error: BaseException
    after: int  # posts that still succeed before the room fails
    times: int | None  # failures left; None: until fixed


class RecordingTeamChat:
    """Implements ``bridge.ports.TeamChat``; rooms are keyed "#<name>"; an employee's private posts are
    recorded under "dm:<person>" (a name of this recorder's, never a key the core uses). Thread-safe for reading."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.rooms: list[str] = []  # room names, in the order they were opened
        self.topics: dict[str, str] = {}
        self.posts: list[tuple[str, TeamPost]] = []  # (room name, post)
        self.invites: list[tuple[str, str]] = []  # (room name, person)
        self.signals: list[tuple[str, str, dict[str, Any]]] = []  # (room name, kind, data)
        self._faults: dict[str, _Fault] = {}
        self.post_delay = 0.0

    # -- fault injection -----------------------------------------------------------------
    def break_room(self, name: str, error: BaseException | None = None, *, after: int = 0,
                   times: int | None = None) -> None:
        """Posts to ``name`` fail (after ``after`` more succeed), ``times`` times or until fixed."""
        self._faults[name] = _Fault(error or ConnectionError("the room is archived"), after, times)

    def fix_room(self, name: str) -> None:
        self._faults.pop(name, None)

    # -- the port ----------------------------------------------------------------------------
    async def open_room(self, name: str, topic: str) -> str:
        await asyncio.sleep(0)
        with self._lock:
            if name not in self.rooms:
                self.rooms.append(name)
            self.topics[name] = topic
            self._lock.notify_all()
        return f"#{name}"

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        await self._record(room_key.removeprefix("#"), posts)

    async def direct(self, person: str, posts: list[TeamPost]) -> None:
        await self._record(f"dm:{person}", posts)

    async def _record(self, name: str, posts: list[TeamPost]) -> None:
        from bridge.errors import SendError
        from bridge.outbox import PartialDone

        if self.post_delay:
            await asyncio.sleep(self.post_delay)
        for done, post in enumerate(posts):
            fault = self._faults.get(name)
            if fault is not None and fault.after <= 0:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.fix_room(name)
                raise PartialDone(done, SendError(f"post failed ({type(fault.error).__name__})"))
            if fault is not None:
                fault.after -= 1
            with self._lock:
                self.posts.append((name, post))
                self._lock.notify_all()

    async def invite(self, room_key: str, person: str) -> None:
        with self._lock:
            self.invites.append((room_key.removeprefix("#"), person))

    async def signal(self, room_key: str, kind: str, data: Mapping[str, Any]) -> None:
        with self._lock:
            self.signals.append((room_key.removeprefix("#"), kind, dict(data)))

    def display_name(self, person: str) -> str:
        return person.removeprefix("@").capitalize()  # unlike the id, so tests see which one was used

    # -- reading ------------------------------------------------------------------------------
    def texts(self, room: str | None = None, kinds: tuple[str, ...] | None = None) -> list[str]:
        with self._lock:
            return [p.text for name, p in self.posts
                    if (room is None or name == room) and (kinds is None or p.kind in kinds)]

    def rendered(self, room: str) -> list[str]:
        with self._lock:
            return [render_team_post(p, lambda s: s) for name, p in self.posts if name == room]

    def customer_texts(self, room: str | None = None) -> list[str]:
        return self.texts(room, ("customer",))

    def announcements(self, line: str = "support") -> list[str]:
        return self.texts(line, ("announce",))

    def wait_for(self, predicate: Callable[["RecordingTeamChat"], object], timeout: float = 10.0) -> object:
        """Block (a test thread, not the loop) until ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the team chat never got there; last posts: {self.posts[-5:]}")
                self._lock.wait(left)
