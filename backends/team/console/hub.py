"""The console's live side: one WebSocket per open page, fed from the room book, on the host's loop.

Frames, client → server: ``say`` {room, text, files?, client_id?}, ``open`` {room}, ``history`` {room, before},
``read`` {room, id, seq?}, ``typing`` {room, on}. Server → client: ``hello`` (with ``limits``), ``room``,
``room_gone``, ``message`` (``internal`` in a conversation's room), ``history``, ``glance``, ``typing``,
``ack`` {room, client_id, id}, ``error`` (with the ``client_id`` of a refused ``say``). ``room_gone`` {room}:
no longer theirs (a right ended), drop it; {room, closed: true}: a closed conversation's, still readable but
no longer listed. Who gets what is ``Membership``'s: the rights of the moment decide.

A ``say`` with a ``client_id`` is kept once per login and id (in the console's store, so across restarts
too): the page resends what it has no ``ack`` for, and a resend is only acknowledged again.

The store is never called on the loop: its calls run on the console's store threads (``offload``).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from backends.team.console.access import RoomAccess
from backends.team.console.membership import Membership
from backends.team.console.offload import StoreThreads
from backends.team.console.rooms import RoomBook
from bridge.errors import NotFound
from bridge.model import Attachment
from bridge.relay import TeamText, classify_team_text

log = logging.getLogger(__name__)
MAX_TEXT = 4096
MAX_FILES = 10
MAX_CLIENT_ID = 64
QUEUE = 1000  # frames a page may lag behind before it is disconnected (it reloads and catches up)
TYPING_EVERY = 2.0  # seconds between two "typing" signals sent on for one operator in one room


class Console(Protocol):
    """What the hub needs from the Errbot backend."""

    def receive(self, login: str, name: str, room: str, text: str, attachments: tuple[Attachment, ...],
                client_id: str | None = None, internal: bool | None = None) -> dict[str, Any]: ...

    def command_list(self, login: str) -> list[dict[str, str]]: ...


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(eq=False)
class Client:
    ws: web.WebSocketResponse
    login: str
    name: str
    rooms: set[str] = field(default_factory=set)
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    typing_at: dict[str, float] = field(default_factory=dict)
    told_closed: set[str] = field(default_factory=set)  # closed rooms this page was told to unlist
    opening: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # room -> live messages held back

    def push(self, frame: dict[str, Any] | None) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.queue = asyncio.Queue(1)
            self.queue.put_nowait(None)  # too far behind: the writer closes the socket

    def push_live(self, room: str, frame: dict[str, Any]) -> None:
        """A live message: held back while the room's history is being read for this page, so that
        none precedes the history frame (which replaces the page's list) and none falls between."""
        held = self.opening.get(room)
        if held is not None:
            held.append(frame)
        else:
            self.push(frame)


class Hub:
    def __init__(self, book: RoomBook, access: RoomAccess, console: Console, loop: asyncio.AbstractEventLoop) -> None:
        self.book, self.access, self.console, self.loop = book, access, console, loop
        self.clients: set[Client] = set()
        self.store = StoreThreads()
        self.rooms = Membership(book, access, self.clients, loop, self.store)
        self._published: list[tuple[str, dict[str, Any]]] = []  # from any thread, for the loop, in order
        self._lock = threading.Lock()

    # -- events from any thread ----------------------------------------------------------
    def publish(self, event: str, data: dict[str, Any]) -> None:
        self.publish_many([(event, data)])

    def publish_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One wake-up of the loop for all the events published until it runs, not one per event (a round
        of posts from the team thread is one call here and one hop)."""
        with self._lock:
            asked = bool(self._published) or not events
            self._published += events
        if asked:
            return  # the loop is already asked to take them (or there is nothing to take)
        try:
            self.loop.call_soon_threadsafe(self._take_published)
        except RuntimeError:  # the loop is closed: nobody to tell any more
            with self._lock:
                self._published.clear()

    def _take_published(self) -> None:
        with self._lock:
            events, self._published = self._published, []
        self.rooms.on_events(events)

    # -- one page ---------------------------------------------------------------------------------
    async def serve(self, ws: web.WebSocketResponse, login: str, name: str) -> None:
        client = Client(ws, login, name)
        writer = asyncio.ensure_future(self._write(client))
        try:
            await self._hello(client)
            self.clients.add(client)
            self.rooms.keep_sweeping()
            async for raw in ws:
                if raw.type is not WSMsgType.TEXT:
                    break
                try:
                    await self._frame(client, raw.json())
                except FrameError as exc:
                    client.push({"type": "error", "code": exc.code, "message": str(exc)})
                except (ValueError, RecursionError):  # not JSON, or nested too deep to read
                    client.push({"type": "error", "code": "bad_frame", "message": "frames are JSON objects"})
        finally:
            self.clients.discard(client)
            client.push(None)
            await writer

    async def _write(self, client: Client) -> None:
        while (frame := await client.queue.get()) is not None:
            try:
                await client.ws.send_json(frame)
            except (ConnectionError, RuntimeError):
                break
        await client.ws.close()

    async def _hello(self, client: Client) -> None:
        await self.store.run(self.book.create, f"@{client.login}")
        client.rooms = await self.rooms.listing(client.login)
        rooms = [await self.rooms.summary(client.login, key) for key in sorted(client.rooms)]
        commands = await self.store.run(self.console.command_list, client.login)  # Errbot's filters may read
        client.push({"type": "hello", "me": {"login": client.login, "name": client.name,
                                             "admin": self.access.is_admin(client.login)},
                     "rooms": rooms, "commands": commands,
                     "limits": {"text": MAX_TEXT, "files": MAX_FILES},
                     "glance": (await self.access.glance([client.login]))[client.login]})

    async def _frame(self, client: Client, frame: Any) -> None:
        if not isinstance(frame, dict):
            raise FrameError("bad_frame", "frames are JSON objects")
        kind, room = frame.get("type"), frame.get("room")
        if not isinstance(room, str) or not room or len(room) > 200:
            raise FrameError("bad_field", "room: the room's name, e.g. #support-1")
        if kind == "open":
            return await self._open(client, room)
        if room not in client.rooms or not await self.rooms.may_see(client, room):
            raise FrameError("not_allowed", f"you are not in {room}")
        if kind == "say":
            return await self._say(client, room, frame)
        if kind == "history":
            before = frame.get("before")
            messages = await self.store.run(self.book.history, room, before if isinstance(before, int) else None)
            client.push({"type": "history", "room": room, "messages": messages, "more": len(messages) >= 100})
            return None
        if kind == "read":
            return await self._read(client, room, frame)
        if kind == "typing":
            return await self._typing(client, room, bool(frame.get("on")))
        raise FrameError("unknown_type", "use say, open, history, read or typing")

    async def _open(self, client: Client, room: str) -> None:
        """Open a room they may see now (from the glance, or a closed conversation's room by its name)."""
        if not await self.rooms.may_see(client, room):
            client.push({"type": "room_gone", "room": room})  # a page that kept it from before drops it
            raise FrameError("not_allowed", f"you may not open {room}")
        view = await self.rooms.view(room, {client.login})
        if not view.closed and client.login not in self.book.occupants(room) and not room.startswith("@"):
            await self.store.run(self.book.add, room, client.login)  # listed from now on, while their rights last
        client.rooms.add(room)
        if view.closed:
            client.told_closed.add(room)  # readable here, not listed
        client.opening[room] = []  # from before the history is read: what is published meanwhile waits
        try:
            summary = await self.rooms.summary(client.login, room)
            messages = await self.store.run(self.book.history, room)
        finally:
            held = client.opening.pop(room)
        if room not in client.rooms:
            return  # their right ended meanwhile: the page was told the room is gone
        client.push({"type": "room", **summary, "closed": view.closed})
        client.push({"type": "history", "room": room, "messages": messages, "more": len(messages) >= 100})
        for frame in held:  # some may be in the history too: the page keeps one of each id
            client.push(frame)

    async def _say(self, client: Client, room: str, frame: dict[str, Any]) -> None:
        client_id = frame.get("client_id")
        if client_id is not None and not (isinstance(client_id, str) and 0 < len(client_id) <= MAX_CLIENT_ID):
            raise FrameError("bad_field", f"client_id: 1 to {MAX_CLIENT_ID} characters")
        try:
            await self._keep(client, room, frame, client_id)
        except FrameError as exc:
            if client_id is None:
                raise
            client.push({"type": "error", "code": exc.code, "message": str(exc), "client_id": client_id})

    async def _keep(self, client: Client, room: str, frame: dict[str, Any], client_id: str | None) -> None:
        if client_id is not None and (kept := await self.store.run(self.book.said, client.login, client_id)):
            return self._ack(client, room, client_id, kept)  # a resend: its files may be gone, the message is not
        text, files = frame.get("text"), frame.get("files") or []
        if not isinstance(text, str) or len(text) > MAX_TEXT or not isinstance(files, list) or len(files) > MAX_FILES:
            raise FrameError("bad_field", f"text: at most {MAX_TEXT} characters; files: at most {MAX_FILES}")
        attachments = tuple([a for a in [await self._attachment(f) for f in files] if a is not None])
        if not text.strip() and not attachments:
            raise FrameError("bad_field", "nothing to send")
        internal = await self._internal(room, text)
        await self.store.run(self._receive, client, room, text, attachments, client_id, internal)

    def _receive(self, client: Client, room: str, text: str, attachments: tuple[Attachment, ...],
                 client_id: str | None, internal: bool | None) -> None:
        """On a store thread: stored and published (to the loop), then the ack handed to the loop behind it."""
        kept = self.console.receive(client.login, client.name, room, text, attachments,
                                    client_id=client_id, internal=internal)
        if client_id is not None:
            self.loop.call_soon_threadsafe(self._ack, client, room, client_id, kept)

    def _ack(self, client: Client, room: str, client_id: str, kept: dict[str, Any]) -> None:
        """After the message frame itself: the deliverer pushes them in the order they were published."""
        self.rooms.push_in_turn(client, {"type": "ack", "room": room, "client_id": client_id, "id": kept["id"]})

    async def _internal(self, room: str, text: str) -> bool | None:
        """In a conversation's room, whether a plain message stays among the team (``~``, or the
        conversation's whisper mode) — as Open Lines will decide it; None elsewhere and for commands."""
        kind, conversation_id = await self.access.kind(room)
        queries = self.access.host.queries
        if kind != "conversation" or conversation_id is None or queries is None:
            return None
        try:
            whisper_mode = (await queries.conversation(conversation_id)).whisper_mode
        except NotFound:
            return None
        said = classify_team_text(text, ("!",), whisper_mode)
        return None if said is TeamText.COMMAND else said is TeamText.WHISPER

    async def _attachment(self, token: Any) -> Attachment | None:
        files = getattr(self.access.host, "files", None)
        if not isinstance(token, str) or files is None:
            return None
        found = await files.get(token)
        return found[1] if found else None

    async def _read(self, client: Client, room: str, frame: dict[str, Any]) -> None:
        seen, seq = frame.get("id"), frame.get("seq")
        if isinstance(seen, int):
            await self.store.run(self.book.mark_read, client.login, room, seen)
            for other in self.clients:
                if other.login == client.login:
                    other.push({"type": "room", **await self.rooms.summary(client.login, room)})
        if isinstance(seq, int):
            await self._operator_signal(client, room, "read", {"seq": seq})

    async def _typing(self, client: Client, room: str, on: bool) -> None:
        now = time.monotonic()
        if on and now - client.typing_at.get(room, -TYPING_EVERY) < TYPING_EVERY:
            return
        client.typing_at[room] = now if on else -TYPING_EVERY
        await self._operator_signal(client, room, "typing", {"on": on})

    async def _operator_signal(self, client: Client, room: str, kind: str, data: dict[str, object]) -> None:
        """Tell the customer (typing, read): a courtesy that never fails the page."""
        room_kind, conversation_id = await self.access.kind(room)
        queries = self.access.host.queries
        if room_kind != "conversation" or conversation_id is None or queries is None:
            return
        try:
            await queries.operator_signal(conversation_id, f"@{client.login}", kind, data)
        except Exception as exc:
            log.debug("operator signal %s not passed on: %s", kind, type(exc).__name__)

    def drop(self, login: str) -> None:
        """Close every page of ``login`` (their sessions were revoked)."""
        for client in [c for c in self.clients if c.login == login]:
            self.clients.discard(client)
            client.push(None)

    async def close(self) -> None:
        self.rooms.close()
        for client in list(self.clients):
            client.push(None)
            await client.ws.close()
        self.store.close()
