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
from backends.team.adapter import TeamAdapter

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

    async def open_rooms(self, rooms: list[tuple[str, str]]) -> list[str | BaseException]:
        """Several rooms (name, topic) opened: each room's key, or what opening it raised. In one hop to a
        thread where the backend opens a room without waiting on a server; else one hop each, in parallel."""
        if not getattr(self.adapter, "opens_at_once", False):
            return list(await asyncio.gather(*(self.open_room(*room) for room in rooms), return_exceptions=True))
        keys: list[str | BaseException] = await self._in_thread(self._open_all, rooms)
        return keys

    def _open_all(self, rooms: list[tuple[str, str]]) -> list[str | BaseException]:
        keys: list[str | BaseException] = []
        for name, topic in rooms:
            try:
                keys.append(self.adapter.open_room(name, topic))
            except Exception as exc:  # this room's trouble is this room's: the others open
                keys.append(exc)
        return keys

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        error = (await self.post_many([(room_key, posts)]))[0]
        if error is not None:
            raise error

    async def direct(self, person: str, posts: list[TeamPost]) -> None:
        done, error = await self._in_thread(self._direct_all, person, posts)
        if done < len(posts):
            raise PartialDone(done, SendError(f"the team chat refused a private post ({error})"))

    def _direct_all(self, person: str, posts: list[TeamPost]) -> tuple[int, str]:
        """How many went out to the employee, in order; stops at the first failure."""
        for done, post in enumerate(posts):
            try:
                self.adapter.send_direct(person, post, render_team_post(post, self.adapter.escape_post))
            except Exception as exc:  # the type only: a backend's message may carry a token
                log.warning("private post failed: %s", type(exc).__name__)
                return done, type(exc).__name__
        return len(posts), ""

    async def post_many(self, rooms: list[tuple[str, list[TeamPost]]]) -> list[PartialDone | None]:
        """Several rooms' posts in one hop to a thread (each hop costs the loop more than a post);
        per room, None when all went, else PartialDone with how many did."""
        results: list[tuple[int, str]] = await self._in_thread(self._post_rooms, rooms)
        return [None if done == len(posts) else PartialDone(done, SendError(f"the team chat refused a post ({error})"))
                for (_key, posts), (done, error) in zip(rooms, results, strict=True)]

    def _post_rooms(self, rooms: list[tuple[str, list[TeamPost]]]) -> list[tuple[int, str]]:
        send_posts = self.adapter.send_posts
        if send_posts is None:
            return [self._post_all(key, posts) for key, posts in rooms]
        try:
            escape = self.adapter.escape_post
            send_posts([(key, post, render_team_post(post, escape)) for key, posts in rooms for post in posts])
        except Exception as exc:  # none went: each room tries again
            log.warning("posts to %d rooms failed: %s", len(rooms), type(exc).__name__)
            return [(0, type(exc).__name__)] * len(rooms)
        return [(len(posts), "") for _key, posts in rooms]

    def _post_all(self, room_key: str, posts: list[TeamPost]) -> tuple[int, str]:
        """How many went out, in order; stops at the first failure (so each post is acknowledged).
        Customer posts in a row go as one message where the adapter joins them (within its limits)."""
        done, escape = 0, self.adapter.escape_post
        for group in joined(posts, self.adapter.join_posts, self.adapter.join_chars):
            try:
                # Rendered here, off the loop: a slow renderer delays only this room.
                texts = [render_team_post(post, escape) for post in group]
                self.adapter.send_post(room_key, group[0], self.adapter.join(room_key, texts))
            except Exception as exc:  # the type only: a backend's message may carry a token
                log.warning("post to %s failed: %s", room_key, type(exc).__name__)
                return done, type(exc).__name__
            done += len(group)
        return done, ""

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


def joined(posts: list[TeamPost], most: int, chars: int) -> list[list[TeamPost]]:
    """Posts grouped for sending: customer posts in a row share a message, at most ``most`` of them
    and ``chars`` characters; anything else goes alone (a backend may show its structure)."""
    groups: list[list[TeamPost]] = []
    size = 0
    for post in posts:
        last = groups[-1] if groups else None
        if (last is not None and post.kind == "customer" and last[0].kind == "customer" and len(last) < most
                and size + len(post.text) <= chars and not post.attachments and not last[-1].attachments):
            last.append(post)
            size += len(post.text)
        else:
            groups.append([post])
            size = len(post.text)
    return groups
