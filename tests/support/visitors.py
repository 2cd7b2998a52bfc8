"""Website-chat visitors for multi-process tests: each with tabs on several servers, every frame kept.

A tab reads its socket in the background and keeps every frame it got, so a
test can count what each socket received (a reply twice on one socket is a
duplicate) whatever it waits for meanwhile.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp

from tests.support.webchat import wait_until


class LiveTab:
    """One socket of a visitor, connected to one server (``where``)."""

    def __init__(self, where: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.where = where
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []  # the messages its history frame brought
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))

    @property
    def closed(self) -> bool:
        return self._reader.done()

    def live(self, kind: str = "message") -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]

    async def first(self, match: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            hit = next((f for f in self.frames if match(f)), None)
            if hit is None and self.closed:
                raise ConnectionError(f"the tab on {self.where} closed")
            return hit

        frame: dict[str, Any] = await wait_until(found, timeout, what)
        return frame

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


@dataclass
class Visitor:
    name: str
    session: aiohttp.ClientSession
    token: str | None = None
    tabs: list[LiveTab] = field(default_factory=list)  # every socket it ever had, closed ones included
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # client id -> ack
    resent: int = 0

    async def open_tab(self, where: str, port: int) -> LiveTab:
        ws = await self.session.ws_connect(f"http://127.0.0.1:{port}/webchat/support/ws")
        tab = LiveTab(where, ws)
        await ws.send_json({"type": "hello", "visitor_token": self.token, "last_seq": 0, "name": self.name})
        welcome = await tab.first(lambda f: f.get("type") == "welcome", 15, "welcome")
        history = await tab.first(lambda f: f.get("type") == "history", 15, "history")
        self.token = welcome["visitor_token"]
        tab.history = list(history["messages"])
        self.tabs.append(tab)
        return tab

    async def say(self, tab: LiveTab, client_id: str, text: str, timeout: float = 10) -> dict[str, Any]:
        await tab.ws.send_json({"type": "message", "client_id": client_id, "text": text})
        ack = await tab.first(lambda f: f.get("type") == "ack" and f.get("client_id") == client_id, timeout,
                              f"the ack of {client_id}")
        self.acks[client_id] = ack
        return ack

    @property
    def conversation_id(self) -> str:
        return str(next(iter(self.acks.values()))["conversation_id"])

    def open_tabs(self) -> list[LiveTab]:
        return [t for t in self.tabs if not t.closed]

    def seen(self) -> set[int]:
        """Every message seq that reached this visitor, live or in a history."""
        return {m["seq"] for t in self.tabs for m in (*t.history, *t.live())}
