"""One visitor tab's WebSocket: the protocol, frame by frame, within the widget's limits.

Nothing a client sends ends the connection but a frame over 64 KiB or
silence: every bad frame is answered with an ``error`` frame, and failures
are logged by type, without a traceback (a client must not fill the log).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from backends.webchat import pages
from backends.webchat.frames import (MAX_FRAME, FrameError, Forget, Frame, Hello, HistoryPage, Rate, Read, Say,
                                     Typing, message_frame, parse)
from backends.webchat.limits import wait_seconds
from bridge.errors import NotFound, Refused
from bridge.model import MessageKind

if TYPE_CHECKING:
    from backends.webchat.backend import WebchatBackend

log = logging.getLogger(__name__)
HISTORY_PAGE = 100
TYPING_FORWARD_EVERY = 3.0  # a customer's "still typing" reaches the team side at most this often
READ_WRITE_EVERY = 2.0  # a customer's read mark is written at most this often per tab
TRY_AGAIN_LATER = 1013
READ_AHEAD = 64  # messages of one tab in flight at once (pipelined); then reading waits


async def serve_socket(backend: "WebchatBackend", request: web.Request) -> web.WebSocketResponse:
    if not pages.origin_allowed(request, backend.allowed, backend.context.public_url):
        raise web.HTTPForbidden(text="this origin may not use the chat\n")
    # aiohttp refuses a frame of exactly max_msg_size: one more byte is ours to allow. No
    # permessage-deflate (browsers offer it): its zlib state cost ~100 KB per open chat, for frames
    # of a few hundred bytes.
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME + 1, heartbeat=30, compress=False)
    await ws.prepare(request)
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


class Tab:
    """One socket and who it speaks for once it said hello. Slotted and small: there is one per open chat."""

    __slots__ = ("backend", "ws", "ip", "ref", "name", "email", "language", "_typing", "_read", "_ahead",
                 "_deadline", "_watch", "_timed_out")

    def __init__(self, backend: "WebchatBackend", ws: web.WebSocketResponse, ip: str) -> None:
        self.backend = backend
        self.ws = ws
        self.ip = ip
        self.ref: str | None = None
        self.name = ""
        self.email: str | None = None
        self.language: str | None = None
        self._typing: tuple[bool, float] = (False, 0.0)
        self._read: tuple[int, float] = (0, 0.0)  # the highest seq read, and when it was written
        # Messages accepted ahead, oldest first: at most READ_AHEAD (an empty list is 56 bytes, a deque 600).
        self._ahead: list[asyncio.Task[None]] = []
        self._deadline: float | None = None  # while waiting for a frame: when the wait ends (loop time)
        self._watch: asyncio.TimerHandle | None = None
        self._timed_out = False

    async def run(self) -> None:
        try:
            await self._serve()
        finally:
            if self._watch is not None:
                self._watch.cancel()
            await self._settle()  # what was read is stored and answered, even when the client left

    async def _serve(self) -> None:
        limits = self.backend.limits
        while not self.ws.closed:
            try:
                msg = await self._receive(limits.idle_seconds if self.ref else limits.hello_seconds)
            except asyncio.TimeoutError:
                await self._settle()
                await self.send({"type": "error", "code": "idle", "message": "closed after a long silence"})
                await self.ws.close(code=WSCloseCode.GOING_AWAY)
                return
            if msg.type is WSMsgType.TEXT:
                await self.on_text(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await self._settle()
                await self.send(FrameError("bad_frame", "frames are JSON text").frame())
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return

    async def _receive(self, limit: float) -> WSMessage:
        """The next frame, or TimeoutError after ``limit`` seconds of waiting (0: no limit). One timer
        per tab, moved only when it fires before the deadline: ``ws.receive(timeout)`` arms and
        cancels a timer per frame, a measurable part of the loop's time per message."""
        if not limit:
            return await self.ws.receive()
        task = asyncio.current_task()
        assert task is not None
        loop = task.get_loop()
        self._deadline = deadline = loop.time() + limit
        if self._watch is None or self._watch.when() > deadline:
            if self._watch is not None:
                self._watch.cancel()
            self._watch = loop.call_at(deadline, self._watchdog, task)
        try:
            return await self.ws.receive()
        except asyncio.CancelledError:
            if self._timed_out and task.uncancel() == 0:  # our own cancel, and nobody else's
                raise asyncio.TimeoutError from None
            raise
        finally:
            self._deadline = None
            self._timed_out = False

    def _watchdog(self, task: "asyncio.Task[Any]") -> None:
        self._watch = None
        deadline = self._deadline
        if deadline is None:
            return  # not waiting for a frame now: the next wait arms it again
        loop = task.get_loop()
        if deadline - loop.time() > 0.001:  # moved on since it was armed (a timer may fire a tick early)
            self._watch = loop.call_at(deadline, self._watchdog, task)
            return
        self._timed_out = True
        task.cancel()

    async def on_text(self, raw: str) -> None:
        """A message into the visitor's open conversation is accepted while the next frames are read
        (its commit shares a group commit with theirs), its ack sent after the earlier frames' answers.
        Anything else waits for those first, then runs alone: hello, history, and a message that may
        open a conversation (two at once would race to open it)."""
        frame: Frame | None = None
        error: FrameError | None = None
        try:
            frame = parse(raw)
        except FrameError as exc:
            error = exc
        except Exception as exc:  # a bug: the socket stays, the log gets one line
            log.warning("webchat frame failed to parse: %s", type(exc).__name__)
            error = FrameError("unavailable", "that could not be done now; try again")
        ref = self.ref
        if isinstance(frame, Say) and ref is not None and self.backend.current.get(ref) is not None:
            if len(self._ahead) >= READ_AHEAD:
                await asyncio.wait([self._ahead[0]])
            previous = self._ahead[-1] if self._ahead else None
            self._ahead.append(asyncio.create_task(self._say_ahead(ref, frame, previous)))
            return
        await self._settle()
        if error is not None:
            await self.send(error.frame())
        elif frame is not None:
            await self.on_frame(frame)

    async def _say_ahead(self, ref: str, say: Say, previous: "asyncio.Task[None] | None") -> None:
        try:
            reply = await self._say(ref, say)
        except FrameError as exc:
            reply = exc.frame()
        except Exception as exc:  # a bug or an outage: the socket stays, the log gets one line
            log.warning("webchat frame Say failed: %s", type(exc).__name__)
            reply = FrameError("unavailable", "that could not be done now; try again").frame()
        try:
            if previous is not None:
                await asyncio.wait([previous])  # acks in the order of the frames
            await self.send(reply)
        finally:
            self._ahead.remove(asyncio.current_task())  # type: ignore[arg-type]

    async def _settle(self) -> None:
        """Every frame read ahead is answered."""
        if self._ahead:
            await asyncio.wait([self._ahead[-1]])

    async def send(self, frame: dict[str, Any]) -> None:
        try:
            await self.ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            pass  # the client left while we answered: nothing to tell anyone

    async def on_frame(self, frame: Frame) -> None:
        try:
            await self.dispatch(frame)
        except FrameError as exc:
            await self.send(exc.frame())
        except Exception as exc:  # a bug or an outage: the socket stays, the log gets one line
            log.warning("webchat frame %s failed: %s", type(frame).__name__, type(exc).__name__)
            await self.send(FrameError("unavailable", "that could not be done now; try again").frame())

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

    async def _say(self, ref: str, say: Say) -> dict[str, Any]:
        self.backend.admit(ref, self.ip, say.client_id)
        return await self.backend.accept(ref, say.client_id, say.text, self.name, self.email, skip=self.ws,
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
        backend.tabs.setdefault(ref, set()).add(self.ws)
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
            tabs.discard(self.ws)
            if not tabs:
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
