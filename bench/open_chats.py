"""Memory per open chat: N visitors each open a conversation and keep its socket open, idle.

Each visitor says hello, sends one message (which opens a conversation and its team room), waits
for the ack and then stays connected saying nothing, as a customer waiting for an answer does.
The product's RSS is read before (after a warm-up chat, so what is loaded once is not counted) and
after every chat is open and the team room has every message; (after − before) / N is the figure
(the goal of issue 19: ≤ 12 KB). Then every socket closes and the RSS is read again: what the
conversations alone keep. The client offers permessage-deflate, as browsers do.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp

WIDGET = "support"


@dataclass
class ChatsMemory:
    chats: int
    opened: int
    before_mb: float
    open_mb: float
    closed_mb: float
    seconds: float

    def line(self) -> str:
        per_open = (self.open_mb - self.before_mb) * 1024 / max(1, self.opened)
        per_closed = (self.closed_mb - self.before_mb) * 1024 / max(1, self.opened)
        return (f"open chats {self.opened} of {self.chats} in {self.seconds:.1f} s: RSS {self.before_mb:.1f} → "
                f"{self.open_mb:.1f} MB = {per_open:.1f} KB per open chat with its socket (goal ≤ 12 KB); "
                f"sockets closed {self.closed_mb:.1f} MB = {per_closed:.1f} KB per conversation")


async def _open_chat(session: aiohttp.ClientSession, url: str, run: str, v: int, gate: asyncio.Semaphore,
                     opened: list[int], hold: asyncio.Event) -> None:
    async with gate:  # a few at a time, as visitors arrive; the socket is kept once its ack is in
        ws = await session.ws_connect(url, max_msg_size=1 << 22, compress=15)  # browsers offer deflate
        await ws.send_str(json.dumps({"type": "hello", "visitor_token": None, "last_seq": 0}))
        while (await ws.receive_json(timeout=60)).get("type") != "welcome":
            pass
        await ws.send_str(json.dumps({"type": "message", "client_id": f"{run}-{v}", "text": f"bench {run} v{v} m0"}))
        while (await ws.receive_json(timeout=60)).get("type") != "ack":
            pass
        opened.append(v)
    try:
        await hold.wait()
    finally:
        await ws.close()


async def measure(port: int, run: str, chats: int, rss: Callable[[], float],
                  arrived: Callable[[list[str]], Awaitable[None]]) -> ChatsMemory:
    """Open ``chats`` chats, hold them idle, read the RSS; close them, read it again."""
    url = f"http://127.0.0.1:{port}/webchat/{WIDGET}/ws"
    hold, gate = asyncio.Event(), asyncio.Semaphore(32)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        warm: list[int] = []
        warming = asyncio.create_task(_open_chat(session, url, f"{run}w", 0, gate, warm, hold))
        await arrived([f"bench {run}w v0 m0"])
        await asyncio.sleep(1.0)  # what is loaded or cached once is in "before"
        before, start = rss(), time.monotonic()
        opened: list[int] = []
        chatting = [asyncio.create_task(_open_chat(session, url, run, v, gate, opened, hold)) for v in range(chats)]
        while len(opened) < chats and not all(t.done() for t in chatting):
            await asyncio.sleep(0.05)
        seconds = time.monotonic() - start
        await arrived([f"bench {run} v{v} m0" for v in opened])
        await asyncio.sleep(2.0)
        open_mb = rss()
        hold.set()
        failed = [r for r in await asyncio.gather(warming, *chatting, return_exceptions=True) if r is not None]
    await asyncio.sleep(2.0)
    result = ChatsMemory(chats, len(opened), before, open_mb, rss(), seconds)
    if failed:
        print(f"  {len(failed)} chats failed: {failed[:3]}", flush=True)
    return result
