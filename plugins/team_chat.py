"""TeamChat over Errbot: conversation rooms, line rooms, posts in order."""
from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from bridge.model import Conversation, Line
from plugins.settings import operator_id

log = logging.getLogger(__name__)
ROOM_ID = re.compile(r"-(\d+)(?:[@/:]|$)")


def conversation_id_of_room(room_name: str) -> str | None:
    """The conversation a room belongs to: its name ends in '-<id>'."""
    match = ROOM_ID.search(room_name.lstrip("#"))
    return match.group(1) if match else None


class ErrbotTeamChat:
    """Runs every Errbot call on one thread: order is kept, the loop never blocks."""

    def __init__(self, bot: Any, room_format: str) -> None:
        self._bot = bot
        self._room_format = room_format
        self._rooms: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openlines-team")
        # The console shows no room names: tag each post with its room there.
        self._tag_rooms = getattr(bot, "mode", "") == "text"


    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def room_identifier(self, name: str) -> str:
        return self._room_format.format(name=name)

    def how_to_write_in(self, room_name: str) -> str:
        room = self.room_identifier(room_name)
        return f"{room} (on the console: !inroom {room})" if self._tag_rooms else room

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open_room(self, conversation: Conversation, line: Line, topic: str) -> None:
        await self._in_thread(self._join, conversation.room_name, topic)

    async def post(self, items: list[tuple[Conversation, str]]) -> None:
        await self._in_thread(self._post_all, [(c.room_name, text) for c, text in items])

    async def announce(self, line: Line, text: str) -> None:
        await self._in_thread(self._post_all, [(line.id, text)])

    def say_later(self, room: Any, text: str) -> None:
        """Post to a room object from any thread without waiting (the loop must never block)."""
        self._executor.submit(self._bot.send, room, text)

    def invite(self, room_name: str, person: Any) -> None:
        """Bring an operator into a conversation's room (from a command thread)."""
        self._executor.submit(self._invite, room_name, person).result(timeout=15)

    def _invite(self, room_name: str, person: Any) -> None:
        room = self._join(room_name)
        try:
            room.invite(person)
        except Exception:  # some backends cannot invite; the operator can join by name
            log.info("could not invite %s to %s", operator_id(person), room_name)

    def _join(self, name: str, topic: str | None = None) -> Any:
        room = self._rooms.get(name)
        if room is None or not room.joined:
            console_room = self._console_room()
            room = self._bot.query_room(self.room_identifier(name))
            if console_room is not None:
                self._bot.query_room(console_room)
            if not room.exists:
                room.create()
            if not room.joined:
                room.join(username=getattr(self._bot.bot_config, "CHATROOM_FN", None))
            self._rooms[name] = room
        if topic:
            try:
                room.topic = topic
            except Exception:  # not every backend sets topics
                pass
        return room

    def _console_room(self) -> str | None:
        """The console speaks in its most recently queried room (after !inroom #room):
        querying a new room must not move the operator out of theirs."""
        if not self._tag_rooms or not self._bot.rooms():
            return None
        return str(self._bot.rooms()[0])

    def _post_all(self, posts: list[tuple[str, str]]) -> None:
        for name, text in posts:
            room = self._join(name)
            self._bot.send(room, f"[{self.room_identifier(name)}] {text}" if self._tag_rooms else text)
