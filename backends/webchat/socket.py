"""One visitor tab's WebSocket: the protocol, frame by frame, within the widget's limits.

Nothing a client sends ends the connection but a frame over 64 KiB or
silence: every bad frame is answered with an ``error`` frame, and failures
are logged by type, without a traceback (a client must not fill the log).
How frames are read, timed out and pipelined is backends/webchat/reading.py;
this module is what each frame means for the visitor: hello, history, messages
and the courtesies.
"""
from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any, Awaitable, cast

from aiohttp import web

from backends.base import AiohttpMounts
from backends.webchat import pages
from backends.webchat.frames import (MAX_FRAME, FrameError, Forget, Frame, Hello, HistoryPage, Rate, Read, Say,
                                     Typing, message_frame)
from backends.webchat.kind import NAME as KIND
from backends.webchat.limits import wait_seconds
from backends.webchat.reading import FrameReader
from bridge.errors import NotFound, Refused
from bridge.model import MessageKind

if TYPE_CHECKING:
    from backends.webchat.backend import WebchatBackend

HISTORY_PAGE = 100
TYPING_FORWARD_EVERY = 3.0  # a customer's "still typing" reaches the team side at most this often
READ_WRITE_EVERY = 2.0  # a customer's read mark is written at most this often per tab
TRY_AGAIN_LATER = 1013


async def serve_socket(mounts: AiohttpMounts, request: web.Request) -> web.WebSocketResponse:
    """The route itself (a partial over the mounts, not a wrapper awaiting this): each coroutine of
    the handler's chain is a frame kept for as long as the chat is open."""
    backend = cast("WebchatBackend", mounts.find(KIND, request.match_info["widget"]))
    if not pages.origin_allowed(request, backend.allowed, backend.context.public_url):
        raise web.HTTPForbidden(text="this origin may not use the chat\n")
    # aiohttp refuses a frame of exactly max_msg_size: one more byte is ours to allow. No
    # permessage-deflate (browsers offer it): its zlib state cost ~100 KB per open chat, for frames
    # of a few hundred bytes.
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME + 1, heartbeat=30, compress=False)
    await ws.prepare(request)
    _drop_http_parser(request)
    tab = Tab(backend, ws, backend.throttle.client_ip(request))
    if not backend.throttle.sockets_per_ip.acquire(tab.ip):
        await tab.send(FrameError("rate_limited", "too many open chats from your address", None, 30).frame())
        await ws.close(code=TRY_AGAIN_LATER)
        return ws
    try:
        await tab.run()
    finally:
        backend.throttle.sockets_per_ip.release(tab.ip)
        await tab.leave()
    return ws


def _drop_http_parser(request: web.Request) -> None:
    """Once upgraded, the connection's HTTP request parser and its queue of parsed requests are
    used no more (the WebSocket reader has the bytes; the connection ends with the socket), yet
    aiohttp keeps them until the connection is lost: about 1.5 KB of each open chat (an empty deque
    alone is 760 bytes). Private attributes of aiohttp's protocol, touched only when they are there,
    the connection upgraded and the queue empty."""
    protocol = request.protocol
    if not getattr(protocol, "_upgraded", False):
        return
    if getattr(protocol, "_parser", None) is not None:
        protocol._parser = None
    if isinstance(getattr(protocol, "_messages", None), deque) and not protocol._messages:
        protocol._messages = ()  # type: ignore[assignment]  # still empty and sized for aiohttp's checks; nothing is queued after an upgrade


class Tab(FrameReader):
    """One socket and who it speaks for once it said hello. Slotted and small: there is one per open chat."""

    __slots__ = ("backend", "ip", "ref", "name", "email", "language", "_typing", "_read")

    def __init__(self, backend: "WebchatBackend", ws: web.WebSocketResponse, ip: str) -> None:
        super().__init__(ws)
        self.backend = backend
        self.ip = ip
        self.ref: str | None = None
        self.name = ""
        self.email: str | None = None
        self.language: str | None = None
        self._typing: tuple[bool, float] = (False, 0.0)
        self._read: tuple[int, float] = (0, 0.0)  # the highest seq read, and when it was written

    # -- the reader's questions ------------------------------------------------------------------
    def _wait_limit(self) -> float:
        limits = self.backend.limits
        return limits.idle_seconds if self.ref else limits.hello_seconds

    def _ahead_ref(self, frame: Frame) -> str | None:
        ref = self.ref
        return ref if ref is not None and self.backend.current.get(ref) is not None else None

    # -- what a frame does ---------------------------------------------------------------------------
    async def dispatch(self, frame: Frame) -> None:
        if isinstance(frame, Hello):
            await self.hello(frame)
            return
        ref = self.ref
        if ref is None:
            raise FrameError("hello_first", "say hello first")
        if isinstance(frame, Say):
            await self.send(await self._say(ref, frame))
        elif isinstance(frame, HistoryPage):
            self._allow(self.backend.throttle.hellos.take(self.ip), "too many requests")
            await self.history(ref, before_seq=frame.before_seq)
        elif isinstance(frame, Typing):
            await self.typing(ref, frame.on)
        elif isinstance(frame, Read):
            await self.read(ref, frame.seq)
        elif isinstance(frame, Rate):
            await self.rate(ref, frame)
        elif isinstance(frame, Forget):
            await self.forget(ref)

    def _say(self, ref: str, say: Say) -> Awaitable[dict[str, Any]]:
        # Not a coroutine itself: the accept's, returned, is the only layer awaited per message.
        self.backend.admit(ref, self.ip, say.client_id)
        return self.backend.accept(ref, say.client_id, say.text, self.name, self.email, skip=self.ws,
                                   language=self.language)

    @staticmethod
    def _allow(wait: float, what: str) -> None:
        if wait:
            raise FrameError("rate_limited", f"{what}: wait a moment", None, wait_seconds(wait))

    # -- hello -------------------------------------------------------------------------------------
    async def hello(self, hello: Hello) -> None:
        backend, throttle = self.backend, self.backend.throttle
        self._allow(throttle.hellos.take(self.ip), "too many connections")
        tokens = backend.tokens
        token = hello.visitor_token
        ref = await tokens.customer_ref(token, self._known_here)
        if ref is None:
            self._allow(throttle.new_visitors.take(self.ip), "too many new visitors from your address")
            token, ref = tokens.issue()
            await tokens.register(ref)
        elif not tokens.current(token):
            token = tokens.renewed(token)  # signed before tokens named their widget: now it does
        if ref != self.ref:
            if not throttle.sockets_per_visitor.acquire(ref):
                raise FrameError("rate_limited", "this chat is open in too many tabs", None, 30)
            await self.leave()
            self.ref = ref
        self.name, self.email, self.language = hello.name, hello.email, hello.language
        conversation_id = await backend.sink.current_conversation(backend.binding, ref)
        status = await backend.sink.line_status(backend.binding)
        await self.send({"type": "welcome", "visitor_token": token, "conversation_id": conversation_id,
                         "line": {"name": status.name, "open": status.open, "prechat": status.prechat,
                                  "email_replies": status.email_replies}})
        # Live frames only after welcome; one landing before the history query
        # comes twice (live and in history) with one seq, and the page keeps one.
        tabs = backend.tabs.get(ref, ())
        if self.ws not in tabs:  # a tuple: 48 bytes for one tab, a set 216 (a second hello adds nothing)
            backend.tabs[ref] = (*tabs, self.ws)
        backend.current[ref] = conversation_id
        await self.history(ref, after_seq=hello.last_seq)

    async def _known_here(self, ref: str) -> bool:
        return bool(await self.backend.sink.history(self.backend.binding, ref, limit=1))

    async def leave(self) -> None:
        """This socket no longer speaks for its visitor (closed, forgotten, or another hello)."""
        ref, backend = self.ref, self.backend
        if ref is None:
            return
        self.ref = None
        backend.throttle.sockets_per_visitor.release(ref)
        await self._write_read(ref, force=True)
        tabs = backend.tabs.get(ref)
        if tabs is not None:
            left = tuple(ws for ws in tabs if ws is not self.ws)
            if left:
                backend.tabs[ref] = left
            else:
                del backend.tabs[ref]
                backend.current.pop(ref, None)

    async def history(self, ref: str, *, after_seq: int = 0, before_seq: int | None = None) -> None:
        """The newest page of the range, and whether older messages are left to ask for."""
        backend = self.backend
        page = await backend.sink.history(backend.binding, ref, after_seq=after_seq, before_seq=before_seq,
                                          limit=HISTORY_PAGE + 1)
        frame: dict[str, Any] = {
            "type": "history", "more": len(page) > HISTORY_PAGE,
            "messages": [message_frame(m.seq, m.kind is MessageKind.INBOUND, author, m.text, m.ts, m.attachments,
                                       m.conversation_id) for m, author in page[-HISTORY_PAGE:]]}
        if before_seq is not None:
            frame["before_seq"] = before_seq
        await self.send(frame)

    # -- courtesies: typing, reads, ratings, forgetting ----------------------------------------------
    async def typing(self, ref: str, on: bool) -> None:
        last_on, last_at = self._typing
        now = time.monotonic()
        if on == last_on and now - last_at < TYPING_FORWARD_EVERY:
            return  # a burst of keystrokes is one signal
        self._typing = (on, now)
        await self.backend.sink.typing(self.backend.binding, ref, on)

    async def read(self, ref: str, seq: int) -> None:
        if seq > self._read[0]:
            self._read = (seq, self._read[1])
            await self._write_read(ref)

    async def _write_read(self, ref: str, force: bool = False) -> None:
        seq, written_at = self._read
        now = time.monotonic()
        if seq <= 0 or (not force and now - written_at < READ_WRITE_EVERY):
            return
        def seen(state: dict[str, Any]) -> None:
            if seq > int(state.get("read_seq", 0) or 0):
                state["read_seq"] = seq

        await self.backend.tokens.states.change(ref, seen)
        self._read = (seq, now)

    async def rate(self, ref: str, rate: Rate) -> None:
        try:
            await self.backend.sink.rate(self.backend.binding, ref, rate.conversation_id, rate.value)
        except NotFound:
            raise FrameError("not_found", "no such conversation of yours") from None
        except Refused as exc:
            raise FrameError("refused", str(exc)) from None
        await self.send({"type": "rated", "conversation_id": rate.conversation_id, "value": rate.value})

    async def forget(self, ref: str) -> None:
        await self.backend.forget(ref)
