"""What the command plugins call: the core's operations, from Errbot's threads.

It owns the waiting: every call has a time limit and is cancelled when it
runs out; an operator's send that timed out keeps its idempotency key, so
typing the same command again cannot reach the customer twice.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid
from typing import Any, Callable, Coroutine, Mapping, TypeVar

from backends.meta.window import warning_before_send
from bridge.errors import OpenLinesError, Refused
from bridge.model import Attachment, Conversation, Message
from backends.team.adapters import TeamAdapter
from backends.team.chat import ErrbotTeamChat
from bridge.services import Services
from runtime.core import OpenLinesCore
from runtime.host import Host

log = logging.getLogger(__name__)
T = TypeVar("T")
COMMAND_TIMEOUT = 15.0
RETRY_WINDOW = 600.0  # a send retried this long after its timeout is the same send


class NotAnswering(OpenLinesError):
    pass


class OpenLinesApi:
    def __init__(self, host: Host, core: OpenLinesCore, team: ErrbotTeamChat, adapter: TeamAdapter) -> None:
        self.host, self.core, self.team, self.adapter = host, core, team, adapter
        self._keys: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # per conversation, on the loop
        self.closed = False

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = COMMAND_TIMEOUT) -> T:
        if self.closed:
            coro.close()
            raise NotAnswering("Open Lines is not running")
        future = self.host.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise NotAnswering(f"Open Lines did not answer within {timeout:g} s; try again") from None

    async def _in_turn(self, conversation_id: str, coro: Coroutine[Any, Any, T]) -> T:
        """One operator action at a time per conversation, in the order they were made:
        a reply typed before ``!close`` is stored before the close."""
        turn, users = self._turns.setdefault(conversation_id, (asyncio.Lock(), [0]))
        users[0] += 1  # forgotten only when nobody holds it nor waits for it (not merely unlocked)
        try:
            async with turn:
                return await coro
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._turns.pop(conversation_id, None)

    def act(self, conversation_id: str, coro: Coroutine[Any, Any, T]) -> T:
        return self.call(self._in_turn(conversation_id, coro))

    @property
    def services(self) -> Services:
        return self.core.services

    # -- rooms -----------------------------------------------------------------------------
    def conversation_of_room(self, room: Any) -> str | None:
        return self.core.team_work.conversation_of_room(self.adapter.room_key(room))

    def room_message(self, msg: Any, prefixes: tuple[str, ...]) -> concurrent.futures.Future[Any] | None:
        """A plain message in a conversation's room: to the customer, or a whisper. Never waits."""
        if self.closed or self.adapter.is_from_bot(msg):
            return None
        conversation_id = self.conversation_of_room(msg.frm.room)
        if conversation_id is None:  # not a conversation's room: nothing leaves it
            return None
        person = self.adapter.person_id(msg.frm)
        files = tuple(a for a in msg.extras.get("attachments", ()) if isinstance(a, Attachment))  # team uploads
        return self.host.submit(self._in_turn(conversation_id, self.core.actions.room_message(
            conversation_id, person, msg.body, name=self.adapter.display_name(msg.frm), prefixes=prefixes,
            attachments=files)))

    # -- operators' commands -------------------------------------------------------------------
    def reply(self, conversation_id: str, person: str, text: str, name: str = "",
              options: Mapping[str, Any] | None = None, show_in_room: bool = True) -> Message:
        """``show_in_room``: post the text in the conversation's room too (it was not written there)."""
        slot = (person, conversation_id, text)
        key = self._key_for(slot)

        async def checked_reply() -> Message:  # one trip to the loop, in the conversation's turn
            refusal = await self._platform_refusal(conversation_id, options or {})
            if refusal:
                raise Refused(f"not sent: {refusal}")
            return await self.core.actions.reply(conversation_id, person, text, name=name, key=key, options=options,
                                                 show_in_room=show_in_room)

        try:
            message = self.act(conversation_id, checked_reply())
        except NotAnswering:
            with self._lock:  # the send may have happened: the same command again must not repeat it
                self._keys[slot] = (key, time.monotonic() + RETRY_WINDOW)
            raise
        with self._lock:
            self._keys.pop(slot, None)
        return message

    async def _platform_refusal(self, conversation_id: str, options: Mapping[str, Any]) -> str | None:
        """What the customer's platform will refuse, told before anything is stored (Meta's windows)."""
        journal = self.core.journal
        assert journal is not None
        c = await self.core.core.view(conversation_id)  # its channel and customer never change
        kind = c.binding_id.partition(":")[0]
        if options and kind != "fbcomments":
            return "public and private answers are for Facebook comment conversations"
        return await warning_before_send(journal.state, kind, c.binding_id, c.customer_ref, c.thread, options,
                                         time.time())

    def _key_for(self, slot: tuple[str, str, str]) -> str:
        now = time.monotonic()
        with self._lock:
            self._keys = {k: v for k, v in self._keys.items() if v[1] > now}
            kept = self._keys.get(slot)
        return kept[0] if kept else uuid.uuid4().hex

    def whisper_mode(self, conversation_id: str, person: str, on: bool) -> Conversation:
        return self.act(conversation_id, self.core.actions.set_whisper_mode(conversation_id, person, on))

    def invite_to_room(self, conversation_id: str, person: str) -> str:
        """Bring ``person`` into the conversation's room; returns how to write there."""
        key = self.core.team_work.room_of(conversation_id)
        if key is None:
            raise Refused(f"conversation {conversation_id}'s room is not open yet; try again in a moment")
        self.call(self.team.invite(key, person))
        return self.adapter.how_to_write_in(key)

    def shutdown(self) -> None:
        self.closed = True


def running_api(plugin: Any) -> OpenLinesApi:
    """The facade of the running OpenLines plugin, for a command plugin that declared it a dependency."""
    from errbot import CommandError

    api: OpenLinesApi | None = plugin.get_plugin("OpenLines").api
    if api is None:
        raise CommandError("Open Lines is not running.")
    return api


async def on_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` run on the core's loop, for ``OpenLinesApi.call``: the live configuration
    (lines, rights) is the loop's to read."""
    return fn(*args)
