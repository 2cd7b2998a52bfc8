"""The TeamChat port over Errbot: calls run off the loop, each with a time limit.

Errbot's calls block (network, rendering). They run off the loop: on a small
pool of threads where the backend is thread-safe (a room whose calls hang takes
one thread and delays only itself, because the outbox runs one lane per room),
else on one thread, so the backend is never called from two at once.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Mapping

from bridge.errors import SendError
from bridge.outbox import PartialDone
from bridge.relay import TeamPost, render_team_post
from backends.team.adapters import TeamAdapter

log = logging.getLogger(__name__)
THREADS = 4
CALL_TIMEOUT = 30.0


class ErrbotTeamChat:
    def __init__(self, adapter: TeamAdapter, *, timeout: float = CALL_TIMEOUT) -> None:
        self.adapter = adapter
        self._timeout = timeout
        threads = THREADS if adapter.thread_safe else 1
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="openlines-team")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        try:
            return await asyncio.wait_for(future, self._timeout)
        except asyncio.TimeoutError:
            raise SendError(f"the team chat did not answer within {self._timeout:g} s") from None

    async def open_room(self, name: str, topic: str) -> str:
        key: str = await self._in_thread(self.adapter.open_room, name, topic)
        return key

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        done, error = await self._in_thread(self._post_all, room_key, posts)
        if done < len(posts):
            raise PartialDone(done, SendError(f"the team chat refused a post ({error})"))

    def _post_all(self, room_key: str, posts: list[TeamPost]) -> tuple[int, str]:
        """How many went out, in order; stops at the first failure (so each post is acknowledged)."""
        for done, post in enumerate(posts):
            try:
                # Rendered here, off the loop: a slow renderer delays only this room.
                self.adapter.send_post(room_key, post, render_team_post(post, self.adapter.escape))
            except Exception as exc:  # the type only: a backend's message may carry a token
                log.warning("post to %s failed: %s", room_key, type(exc).__name__)
                return done, type(exc).__name__
        return len(posts), ""

    async def invite(self, room_key: str, person: str) -> None:
        await self._in_thread(self.adapter.invite, room_key, person)

    async def keep_members(self, room_key: str, people: frozenset[str]) -> None:
        await self._in_thread(self.adapter.keep_members, room_key, people)

    async def signal(self, room_key: str, kind: str, data: Mapping[str, Any]) -> None:
        await self._in_thread(self.adapter.signal, room_key, kind, data)

    def connected(self) -> bool:
        return self.adapter.connected()

    def display_name(self, person: str) -> str:
        try:
            return self.adapter.display_name(self.adapter.bot.build_identifier(person))
        except Exception:  # not an identity this backend can spell: the id, without its sigil
            return person.removeprefix("@")

    def say_later(self, room: Any, text: str) -> None:
        """Post to a room object from any thread without waiting (the loop must never block)."""
        self._executor.submit(self.adapter.bot.send, room, text)
