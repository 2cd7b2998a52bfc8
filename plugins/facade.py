"""The one boundary the command plugins call, from Errbot's threads: named operations and the
domain services (built once, behind it), never the runtime, the core or the host.

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
from typing import Any, Callable, Coroutine, Sequence, TypeVar

from bridge.actions import OperatorActions
from bridge.admin import LineAdmin
from bridge.channel_admin import ChannelAdmin
from bridge.directory import Directory
from bridge.channel_status import LineStatus
from bridge.errors import OpenLinesError, Refused
from bridge.model import Attachment, Conversation, Line, Message
from bridge.moves import Moves
from bridge.queue_work import QueueWork
from bridge.quick import QuickAnswers
from bridge.reports import Reports
from bridge.store import KeptEvent
from bridge.transcripts import Transcripts
from backends.team.adapter import TeamAdapter
from backends.team.chat import ErrbotTeamChat
from runtime.app import Runtime
from runtime.host import Host

log = logging.getLogger(__name__)
T = TypeVar("T")
COMMAND_TIMEOUT = 15.0
RETRY_WINDOW = 600.0  # a send retried this long after its timeout is the same send


class NotAnswering(OpenLinesError):
    pass


class OpenLinesApi:
    def __init__(self, host: Host, runtime: Runtime, team: ErrbotTeamChat, adapter: TeamAdapter) -> None:
        self._host, self._runtime, self._team, self._adapter = host, runtime, team, adapter
        self._services = runtime.services
        self._keys: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # per conversation, on the loop
        self.closed = False

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = COMMAND_TIMEOUT) -> T:
        if self.closed:
            coro.close()
            raise NotAnswering("Open Lines is not running")
        future = self._host.submit(coro)
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

    # -- the domain's services, on the loop (through ``call``/``act``) --------------------------------
    @property
    def lines(self) -> LineAdmin:
        return self._services.admin

    @property
    def channels(self) -> ChannelAdmin:
        return self._services.channel_admin

    @property
    def directory(self) -> Directory:
        """Lines and channel bindings as configured now (the loop's to read)."""
        return self._services.directory

    @property
    def actions(self) -> OperatorActions:
        return self._services.actions

    @property
    def moves(self) -> Moves:
        return self._services.moves

    @property
    def queue(self) -> QueueWork:
        return self._services.queue

    @property
    def quick(self) -> QuickAnswers:
        return self._services.quick

    @property
    def reports(self) -> Reports:
        return self._services.reports

    @property
    def transcripts(self) -> Transcripts:
        return self._services.transcripts

    def now(self) -> float:
        return self._runtime.clock.now()

    async def kept_counts(self, binding_ids: Sequence[str]) -> dict[tuple[str, str], int]:
        """How many events each channel could not read and kept, per (binding id, event kind)."""
        return await self._services.inbound.kept.counts(list(binding_ids))

    async def kept_events(self, binding_ids: Sequence[str], limit: int) -> list[KeptEvent]:
        """The newest ``limit`` events these channels could not read and kept, newest first (raw)."""
        return await self._services.inbound.kept.latest(list(binding_ids), limit)

    async def line_of(self, conversation_id: str) -> Line:
        """The conversation's line (a stand-in once the line is deleted); raises NotFound."""
        c = await self._runtime.conversation(conversation_id)
        return self.directory.line_or_removed(c.line_id)

    # -- people and text in this team chat -------------------------------------------------------
    def person_id(self, identifier: Any) -> str:
        return self._adapter.person_id(identifier)

    def display_name(self, identifier: Any) -> str:
        return self._adapter.display_name(identifier)

    def parse_person(self, text: str) -> str:
        return self._adapter.parse_person(text)

    def knows(self, person: str) -> bool | None:
        return self._adapter.knows(person)

    @property
    def adding_people(self) -> str:
        """How someone unknown becomes known, for a refusal."""
        return self._adapter.adding_people

    @property
    def console(self) -> bool:
        """The team chat is a terminal (one person, no streamed files)."""
        return self._adapter.console

    def escape(self, text: str) -> str:
        return self._adapter.escape(text)

    def say_later(self, room: Any, text: str) -> None:
        self._team.say_later(room, text)

    # -- rooms -----------------------------------------------------------------------------
    def conversation_of_room(self, room: Any) -> str | None:
        return self._runtime.team_work.conversation_of_room(self._adapter.room_key(room))

    def room_message(self, msg: Any, prefixes: tuple[str, ...]) -> concurrent.futures.Future[Any] | None:
        """A plain message in a conversation's room: to the customer, or a whisper. Never waits."""
        if self.closed or self._adapter.is_from_bot(msg):
            return None
        conversation_id = self.conversation_of_room(msg.frm.room)
        if conversation_id is None:  # not a conversation's room: nothing leaves it
            return None
        person = self._adapter.person_id(msg.frm)
        files = tuple(a for a in msg.extras.get("attachments", ()) if isinstance(a, Attachment))  # team uploads
        return self._host.submit(self._in_turn(conversation_id, self.actions.room_message(
            conversation_id, person, msg.body, name=self._adapter.display_name(msg.frm), prefixes=prefixes,
            attachments=files, key=msg.extras.get("key"))))

    # -- operators' commands -------------------------------------------------------------------
    def reply_choices(self) -> frozenset[str]:
        """The words some channel takes before a reply (``!reply private …``)."""
        return self._runtime.kinds.reply_words()

    def reply(self, conversation_id: str, person: str, text: str, name: str = "", choice: str = "",
              show_in_room: bool = True) -> Message:
        """``choice``: one of the conversation's channel's reply options; ``show_in_room``: post the text in
        the conversation's room too (it was not written there)."""
        slot = (person, conversation_id, text)
        key = self._key_for(slot)

        async def checked_reply() -> Message:  # one trip to the loop, in the conversation's turn
            options = await self._runtime.before_reply(conversation_id, text, choice)  # the channel's say first
            return await self.actions.reply(conversation_id, person, text, name=name, key=key,
                                            options=options or None, show_in_room=show_in_room)

        try:
            message = self.act(conversation_id, checked_reply())
        except NotAnswering:
            with self._lock:  # the send may have happened: the same command again must not repeat it
                self._keys[slot] = (key, time.monotonic() + RETRY_WINDOW)
            raise
        with self._lock:
            self._keys.pop(slot, None)
        return message

    def _key_for(self, slot: tuple[str, str, str]) -> str:
        now = time.monotonic()
        with self._lock:
            self._keys = {k: v for k, v in self._keys.items() if v[1] > now}
            kept = self._keys.get(slot)
        return kept[0] if kept else uuid.uuid4().hex

    def whisper_mode(self, conversation_id: str, person: str, on: bool) -> Conversation:
        return self.act(conversation_id, self.actions.set_whisper_mode(conversation_id, person, on))

    def invite_to_room(self, conversation_id: str, person: str) -> str:
        """Bring ``person`` into the conversation's room; returns how to write there."""
        key = self._runtime.team_work.room_of(conversation_id)
        if key is None:
            raise Refused(f"conversation {conversation_id}'s room is not open yet; try again in a moment")
        self.call(self._team.invite(key, person))
        return self._adapter.how_to_write_in(key)

    async def line_status(self, actor: str, name: str | None) -> list[LineStatus]:
        """How the channels of line ``name`` (or of every line of ``actor``'s) are doing; on the loop."""
        return await self._services.statuses.of(actor, name)

    def keep_file(self, data: bytes, name: str, content_type: str) -> Attachment | None:
        """A file of the bot's own (a chart) kept with Open Lines' files, for a team chat that shows files as
        links; None when no file store runs."""
        files = self._host.files
        return None if files is None else self.call(files.put(data, name, content_type))

    def shutdown(self) -> None:
        """Take no more commands, then stop Open Lines, the team chat's sender and the host."""
        self.closed = True
        self._runtime.stop()
        self._team.close()
        self._host.stop()


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
