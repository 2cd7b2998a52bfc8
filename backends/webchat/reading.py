"""Reading one socket's frames: the idle watchdog, and messages pipelined ahead with acks kept in order.

What a frame means to the visitor is the subclass's (backends/webchat/socket.py ``Tab``); this
module only decides when frames are read, how long a silence may last, and in which order the
answers leave. Nothing a client sends escapes as an exception: a failure is an ``error`` frame and
one log line naming its type, without a traceback (a client must not fill the log).
"""
from __future__ import annotations

import asyncio
import json
import logging
from json.encoder import encode_basestring_ascii as _quote
from typing import Any, Awaitable

from aiohttp import WSCloseCode, WSMsgType, web

from backends.webchat.frames import FrameError, Frame, Say, parse

log = logging.getLogger(__name__)
READ_AHEAD = 64  # messages of one tab in flight at once (pipelined); then reading waits
# The ack, one per message, as json.dumps writes it (the same bytes): a template and the C string
# quoter instead of json.dumps, which builds a new encoder per call (0.6 µs against 2.3 per ack).
_ACK = '{"type": "ack", "client_id": %s, "seq": %d, "conversation_id": %s}'


def frame_text(frame: dict[str, Any]) -> str:
    """A frame as JSON text, exactly as ``json.dumps`` writes it."""
    if len(frame) == 4 and frame.get("type") == "ack":
        try:
            seq = frame["seq"]
            if type(seq) is int:  # not a bool or a float: %d would write them otherwise than JSON
                return _ACK % (_quote(frame["client_id"]), seq, _quote(frame["conversation_id"]))
        except (KeyError, TypeError):  # not the ack's keys, or not strings: the general way
            pass
    return json.dumps(frame)


class FrameReader:
    """The reading half of a tab. Subclasses say how long to wait, which message may go ahead, and what
    a frame does (``_wait_limit``, ``_ahead_ref``, ``_say``, ``dispatch``)."""

    __slots__ = ("ws", "_ahead", "_deadline", "_watch", "_timed_out")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        # Messages accepted ahead, oldest first: at most READ_AHEAD (an empty list is 56 bytes, a deque 600).
        self._ahead: list[asyncio.Task[None]] = []
        self._deadline: float | None = None  # while waiting for a frame: when the wait ends (loop time)
        self._watch: asyncio.TimerHandle | None = None
        self._timed_out = False

    # -- the subclass's part ---------------------------------------------------------------------
    def _wait_limit(self) -> float:
        """Seconds of silence allowed before the next frame (0: no limit)."""
        raise NotImplementedError

    def _ahead_ref(self, frame: Frame) -> str | None:
        """The visitor a message may be accepted ahead for, or None when the frame must run alone."""
        raise NotImplementedError

    def _say(self, ref: str, say: Say) -> Awaitable[dict[str, Any]]:
        """The ack of ``say`` (an awaitable: a coroutine layer less per message); may raise FrameError."""
        raise NotImplementedError

    async def dispatch(self, frame: Frame) -> None:
        raise NotImplementedError

    # -- reading -----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Frames until the socket closes or stays silent too long. While a tab waits, this is the one
        coroutine of ours it keeps (each nested one is a frame held per open chat): the wait is here,
        what a frame does is in ``_on_message``."""
        ws = self.ws
        try:
            while not ws.closed:
                task = self._arm(self._wait_limit())
                try:
                    msg = await ws.receive()
                except asyncio.CancelledError:
                    if task is not None and self._timed_out and task.uncancel() == 0:  # our own cancel only
                        await self._idle_close()
                        return
                    raise
                finally:
                    self._deadline = None
                    self._timed_out = False
                if not await self._on_message(msg.type, msg.data):
                    return
                del msg  # not kept (a frame's text) through the next silence
        finally:
            if self._watch is not None:
                self._watch.cancel()
            await self._settle()  # what was read is stored and answered, even when the client left

    def _arm(self, limit: float) -> "asyncio.Task[Any] | None":
        """The watchdog for this wait (0: no limit). One timer per tab, moved only when it fires before
        the deadline: ``ws.receive(timeout)`` arms and cancels a timer per frame, a measurable part of
        the loop's time per message."""
        if not limit:
            return None
        task = asyncio.current_task()
        assert task is not None
        loop = task.get_loop()
        self._deadline = deadline = loop.time() + limit
        if self._watch is None or self._watch.when() > deadline:
            if self._watch is not None:
                self._watch.cancel()
            self._watch = loop.call_at(deadline, self._watchdog, task)
        return task

    async def _idle_close(self) -> None:
        await self._settle()
        await self.send({"type": "error", "code": "idle", "message": "closed after a long silence"})
        await self.ws.close(code=WSCloseCode.GOING_AWAY)

    async def _on_message(self, kind: WSMsgType, data: Any) -> bool:
        """One message of the socket; False once it is closing."""
        if kind is WSMsgType.TEXT:
            await self.on_text(data)
        elif kind is WSMsgType.BINARY:
            await self._settle()
            await self.send(FrameError("bad_frame", "frames are JSON text").frame())
        elif kind in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return False
        return True

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

    # -- answering in order ------------------------------------------------------------------------
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
        ref = self._ahead_ref(frame) if isinstance(frame, Say) else None
        if isinstance(frame, Say) and ref is not None:
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
            if previous is not None and not previous.done():  # done mostly: a group commit wakes in order
                await asyncio.wait([previous])  # acks in the order of the frames (a cancel here spares it)
            await self.send(reply)
        finally:
            self._ahead.remove(asyncio.current_task())  # type: ignore[arg-type]

    async def _settle(self) -> None:
        """Every frame read ahead is answered."""
        if self._ahead:
            await asyncio.wait([self._ahead[-1]])

    async def send(self, frame: dict[str, Any]) -> None:
        try:
            await self.ws.send_str(frame_text(frame))
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
