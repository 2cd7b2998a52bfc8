"""The load side of ``run_bench``: webchat visitors, the floor server, and the team-room arrival watch.

The floor is a bare aiohttp WebSocket server that JSON-parses each frame and answers a ``welcome``
or an ``ack``: what any chat server must at least do, so a ratio to it says what Open Lines adds.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, for the floor
from bridge.work_kinds import Work  # noqa: E402

WIDGET = "support"


@dataclass
class Load:
    """One scenario's results, as the visitors saw them."""
    sent: dict[str, float] = field(default_factory=dict)  # marker text -> monotonic send time
    acked: dict[str, float] = field(default_factory=dict)  # client id -> ack latency (s)
    doubled_acks: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    last_ack: float = 0.0  # monotonic time of the last ack


def marker(run: str, visitor: int, n: int) -> str:
    return f"bench {run} v{visitor} m{n}"


async def _visitor(session: aiohttp.ClientSession, url: str, run: str, v: int, messages: int,
                   pipelined: bool, load: Load) -> None:
    async with session.ws_connect(url, max_msg_size=1 << 22) as ws:
        await ws.send_str(json.dumps({"type": "hello", "visitor_token": None, "last_seq": 0}))
        while (await ws.receive_json()).get("type") != "welcome":
            pass
        pending: dict[str, float] = {}

        async def send(n: int) -> None:
            client_id, text = f"{run}-{v}-{n}", marker(run, v, n)
            pending[client_id] = load.sent[text] = time.monotonic()
            await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))

        async def read_ack() -> None:
            while True:
                frame = await ws.receive_json(timeout=60)
                if frame.get("type") == "error":
                    load.errors.append(f"{frame.get('code')}: {frame.get('message')}")
                    return
                if frame.get("type") != "ack":
                    continue
                client_id = frame["client_id"]
                if client_id in load.acked:
                    load.doubled_acks += 1
                    continue
                now = time.monotonic()
                load.acked[client_id] = now - pending.pop(client_id)
                load.last_ack = max(load.last_ack, now)
                return

        if pipelined:
            for n in range(messages):
                await send(n)
            for _ in range(messages):
                await read_ack()
        else:
            for n in range(messages):
                await send(n)
                await read_ack()


async def drive(port: int, run: str, visitors: int, messages: int, pipelined: bool) -> Load:
    """Every visitor on its own socket, all at once; returns when every ack is in (or failed)."""
    load = Load()
    url = f"http://127.0.0.1:{port}/webchat/{WIDGET}/ws"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        results = await asyncio.gather(*(_visitor(session, url, run, v, messages, pipelined, load)
                                         for v in range(visitors)), return_exceptions=True)
        load.seconds = time.monotonic() - start
    load.errors += [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return load


class ArrivalWatch:
    """Polls the journal read-only: a message has reached its team room at the first poll where it
    is stored and no ``team.post`` work for it is pending. Resolution: the poll interval."""

    INTERVAL = 0.025

    def __init__(self, journal: Path) -> None:
        self.db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("pragma busy_timeout = 2000")
        self.arrived: dict[str, float] = {}  # marker text -> monotonic arrival time
        self.backlog_at: dict[str, int] = {}
        self._last_seq = 0
        self._seen: dict[int, str] = {}  # stored but not yet arrived: seq -> text

    def poll(self) -> None:
        now = time.monotonic()
        rows = self.db.execute("select seq, text from messages where seq > ? and kind = 'inbound'",
                               (self._last_seq,)).fetchall()
        for seq, text in rows:
            self._seen[seq] = text
            self._last_seq = max(self._last_seq, seq)
        pending = {int(json.loads(p).get("seq", -1)) for (p,) in self.db.execute(
            "select payload from work where kind = ? and state = 'pending'", (Work.TEAM_POST.value,))}
        for seq in [s for s in self._seen if s not in pending]:
            self.arrived[self._seen.pop(seq)] = now

    def backlog(self) -> int:
        return len(self._seen)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.poll)
            await asyncio.sleep(self.INTERVAL)


# -- the floor, run as its own process: python -m bench.run_load PORT_FILE -------------------------------------
async def _floor_socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=1 << 16)
    await ws.prepare(request)
    seq = 0
    async for msg in ws:
        frame = json.loads(msg.data)
        if frame.get("type") == "hello":
            await ws.send_str(json.dumps({"type": "welcome", "visitor_token": "floor", "conversation_id": None}))
        elif frame.get("type") == "message":
            seq += 1
            await ws.send_str(json.dumps({"type": "ack", "client_id": frame["client_id"], "seq": seq,
                                          "conversation_id": "1"}))
    return ws


async def _serve_floor(port_file: str) -> None:
    app = web.Application()
    app.add_routes([web.get(f"/webchat/{WIDGET}/ws", _floor_socket)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    Path(port_file).write_text(str(runner.addresses[0][1]))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_floor(sys.argv[1]))
