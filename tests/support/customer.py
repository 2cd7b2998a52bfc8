"""A website-chat customer over a real WebSocket, usable from synchronous tests."""
from __future__ import annotations

import asyncio
import threading
import uuid
from collections import deque
from typing import Any

import aiohttp


class Customer:
    """Runs its own event loop in a thread so Errbot tests can stay synchronous."""

    def __init__(self, port: int, widget: str = "support") -> None:
        self.url = f"http://127.0.0.1:{port}/webchat/{widget}/ws"
        self.token: str | None = None
        self.last_seq = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._inbox: deque[dict] = deque()  # frames read while waiting for something else

    def _call(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def connect(self, name: str = "Alice Customer") -> tuple[dict, dict]:
        """Say hello; returns the welcome and history frames."""
        return self._call(self._connect(name))

    async def _connect(self, name: str) -> tuple[dict, dict]:
        self._session = self._session or aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.url)
        await self._ws.send_json({"type": "hello", "visitor_token": self.token,
                                  "last_seq": self.last_seq, "name": name})
        welcome = await self._ws.receive_json(timeout=10)
        history = await self._ws.receive_json(timeout=10)
        self.token = welcome["visitor_token"]
        return welcome, history

    def say(self, text: str, client_id: str | None = None) -> dict:
        """Send a message; returns its ack frame."""
        return self._call(self._say(text, client_id or str(uuid.uuid4())))

    async def _say(self, text: str, client_id: str) -> dict:
        await self._ws.send_json({"type": "message", "client_id": client_id, "text": text})
        while True:
            frame = await self._ws.receive_json(timeout=10)
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                return frame
            self._inbox.append(frame)

    def next_message(self, timeout: float = 10) -> dict:
        """The next message frame pushed by the server."""
        return self._call(self._next(), timeout + 1)

    async def _next(self) -> dict:
        while True:
            frame = self._inbox.popleft() if self._inbox else await self._ws.receive_json(timeout=10)
            if frame["type"] == "message":
                self._seen(frame)
                return frame

    def _seen(self, frame: dict) -> None:
        if frame.get("type") == "message":
            self.last_seq = max(self.last_seq, frame["seq"])

    def close(self) -> None:
        async def _close() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._session is not None:
                await self._session.close()

        self._call(_close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
