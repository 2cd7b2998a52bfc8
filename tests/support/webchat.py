"""The one test client for the website chat: a browser tab speaking the widget's WebSocket protocol."""
from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from typing import Any, Callable

import aiohttp

TIMEOUT = 10.0
_ids = itertools.count(1)


async def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "condition") -> Any:
    """Poll ``predicate`` (plain or async) until it gives something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):  # before the truth test: a coroutine object is always truthy
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def new_client_id() -> str:
    return f"c-{next(_ids)}-{time.monotonic_ns()}"


class Tab:
    """One open widget: frames the test has not asked for yet wait in ``pending``, in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.pending: list[dict] = []
        self.token: str | None = None
        self.conversation_id: str | None = None

    async def send(self, **frame: Any) -> None:
        await self.ws.send_json(frame)

    async def receive(self, timeout: float = TIMEOUT) -> dict:
        """The next frame off the socket (ignoring ``pending``)."""
        msg = await self.ws.receive(timeout)
        assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type!r} {msg.data!r}"
        return json.loads(msg.data)

    async def expect(self, kind: str, timeout: float = TIMEOUT, **fields: Any) -> dict:
        """The first frame of type ``kind`` whose fields match, pending or still to come."""
        def matches(frame: dict) -> bool:
            return frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items())

        for i, frame in enumerate(self.pending):
            if matches(frame):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} frame {fields or ''}; got {self.pending}")
            try:
                frame = await self.receive(left)
            except asyncio.TimeoutError:
                continue
            if matches(frame):
                return frame
            self.pending.append(frame)

    async def hello(self, token: str | None = None, last_seq: int = 0, **extra: Any) -> tuple[dict, dict]:
        """Say hello: the very first answer must be the welcome; then the history."""
        await self.send(type="hello", visitor_token=token, last_seq=last_seq, **extra)
        welcome = await self.receive()
        assert welcome["type"] == "welcome", welcome
        self.token, self.conversation_id = welcome["visitor_token"], welcome["conversation_id"]
        history = await self.expect("history")
        return welcome, history

    async def say(self, text: str, client_id: str | None = None) -> dict:
        """Send a message and wait for its ack."""
        client_id = client_id or new_client_id()
        await self.send(type="message", client_id=client_id, text=text)
        ack = await self.expect("ack", client_id=client_id)
        self.conversation_id = ack["conversation_id"]
        return ack

    async def close(self) -> None:
        await self.ws.close()
