"""Relay benchmark: 16 webchat customers ⇄ conversation rooms in a real Errbot.

Prints throughput and p50/p99 latency each way, next to a bare aiohttp
WebSocket echo (the floor) measured in the same run on the same machine.

    .venv/bin/python bench/relay_bench.py [--customers 16] [--messages 200]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from errbot.backends.base import Message  # noqa: E402
from errbot.backends.test import TestBot, TestOccupant  # noqa: E402

from bench.stats import Figures, report  # noqa: E402
from tests.support.runtime import LOOSE  # noqa: E402


async def echo_floor(customers: int, messages: int) -> Figures:
    """The same clients and message count against a server that only echoes."""
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.add_routes([web.get("/ws", echo)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
            sent = {}
            for i in range(messages):
                sent[str(i)] = time.perf_counter()
                await ws.send_str(str(i))
            for _ in range(messages):
                msg = await ws.receive()
                latencies.append(time.perf_counter() - sent[msg.data])

    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session, n) for n in range(customers)))
    elapsed = time.perf_counter() - start
    await runner.cleanup()
    return Figures(len(latencies), elapsed, latencies)


class Bench:
    def __init__(self, customers: int, messages: int, counting: bool) -> None:
        self.customers, self.messages = customers, messages
        self.data_dir = tempfile.mkdtemp(prefix="openlines-bench-")
        self.testbot = TestBot(
            extra_plugin_dir=str(ROOT / "plugins"), loglevel=logging.WARNING,
            extra_config={"BOT_ADMINS": ("alice",), "AUTOINSTALL_DEPS": False,
                          "CORE_PLUGINS": ("ACLs", "Plugins", "Utils", "ChatRoom", "CommandNotFoundFilter"),
                          # The chat's abuse limits out of the way: 16 visitors pipeline 200 messages each.
                          "OPENLINES": {"data_dir": self.data_dir, "http_port": 0, "operators": ("alice",),
                                        **LOOSE}})
        self.testbot.start(timeout=5)
        self.bot = self.testbot.bot
        self.api = self.bot.plugin_manager.get_plugin_obj_by_name("OpenLines").api
        self.arrived: dict[str, float] = {}
        self.all_arrived = threading.Event()
        self.expected = 0
        original = self.bot.send_message

        def counting(msg: Message) -> None:
            if not counting:  # --counting: Errbot's send path without the Test backend's Markdown
                original(msg)
            self.arrived[msg.body.rsplit(": ", 1)[-1]] = time.perf_counter()
            if len(self.arrived) >= self.expected:
                self.all_arrived.set()

        self.bot.send_message = counting
        # Errbot's Test backend keeps every message in a queue nobody reads here.
        self.bot.outgoing_message_queue.put = lambda item, *a, **k: None

    def idle(self) -> None:
        self.api._host.call(self.api._runtime.services.outbox.idle(), 60)

    def stop(self) -> None:
        self.testbot.stop()


async def inbound(bench: Bench) -> tuple[Figures, list]:
    """Customers write; each message must appear in its conversation's room."""
    port = bench.api._host.http_port
    session = aiohttp.ClientSession()
    sockets = []
    for n in range(bench.customers):
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/webchat/support/ws")
        await ws.send_json({"type": "hello", "visitor_token": None, "last_seq": 0, "name": f"c{n}"})
        await ws.receive_json()
        await ws.receive_json()
        await ws.send_json({"type": "message", "client_id": "warm", "text": f"warm-up {n}"})
        sockets.append(ws)
    await asyncio.to_thread(bench.idle)
    bench.arrived.clear()
    bench.all_arrived.clear()
    bench.expected = bench.customers * bench.messages
    sent: dict[str, float] = {}

    async def customer(n: int, ws) -> None:
        for i in range(bench.messages):
            text = f"in{n}x{i}"  # no Markdown specials: posts escape them
            sent[text] = time.perf_counter()
            await ws.send_json({"type": "message", "client_id": text, "text": text})

    start = time.perf_counter()
    await asyncio.gather(*(customer(n, ws) for n, ws in enumerate(sockets)))
    await asyncio.to_thread(bench.all_arrived.wait, 120)
    elapsed = max(bench.arrived[t] for t in sent) - start
    latencies = [bench.arrived[t] - sent[t] for t in sent]
    return Figures(len(latencies), elapsed, latencies), [session, sockets]


async def one_at_a_time(bench: Bench, ws, count: int = 200) -> Figures:
    """Latency without queueing: one message, wait until it is in the room, next."""
    await asyncio.to_thread(bench.idle)
    latencies = []
    start = time.perf_counter()
    for i in range(count):
        text = f"solo{i}"
        sent = time.perf_counter()
        await ws.send_json({"type": "message", "client_id": text, "text": text})
        while text not in bench.arrived:
            await asyncio.sleep(0.0002)
        latencies.append(bench.arrived[text] - sent)
    return Figures(count, time.perf_counter() - start, latencies)


async def outbound(bench: Bench, session: aiohttp.ClientSession, sockets: list) -> Figures:
    """Operators write in the rooms; each message must reach its customer's socket."""
    await asyncio.to_thread(bench.idle)
    received: dict[str, float] = {}
    sent: dict[str, float] = {}
    total = bench.customers * bench.messages

    everything = asyncio.Event()

    async def drain(ws) -> None:
        while len(received) < total:
            try:
                msg = await ws.receive_json(timeout=60)
            except (asyncio.TimeoutError, TypeError):
                return
            if msg.get("type") == "message" and msg["text"].startswith("out-"):
                received[msg["text"]] = time.perf_counter()
                if len(received) >= total:
                    everything.set()

    def operators() -> None:
        rooms = [bench.bot.query_room(f"#support-{n + 1}") for n in range(bench.customers)]
        for i in range(bench.messages):
            for n, room in enumerate(rooms):
                text = f"out-{n}-{i}"
                sent[text] = time.perf_counter()
                bench.bot.callback_message(Message(text, frm=TestOccupant("alice", room), to=room))

    readers = [asyncio.ensure_future(drain(ws)) for ws in sockets]
    start = time.perf_counter()
    await asyncio.to_thread(operators)
    try:  # the other readers wait on their sockets: stop them once everything arrived
        await asyncio.wait_for(everything.wait(), timeout=120)
    except asyncio.TimeoutError:
        pass
    for reader in readers:
        reader.cancel()
    elapsed = max(received.values()) - start
    latencies = [received[t] - sent[t] for t in received]
    for ws in sockets:
        await ws.close()
    await session.close()
    return Figures(len(latencies), elapsed, latencies, expected=total)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--messages", type=int, default=200, help="per customer, each way")
    parser.add_argument("--counting", action="store_true",
                        help="count team posts instead of rendering them with the Test backend")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    floor = asyncio.run(echo_floor(args.customers, args.messages))
    bench = Bench(args.customers, args.messages, args.counting)
    try:
        async def both() -> tuple[Figures, Figures]:
            into_team, (session, sockets) = await inbound(bench)
            solo = await one_at_a_time(bench, sockets[0])
            to_customers = await outbound(bench, session, sockets)
            return into_team, solo, to_customers

        into_team, solo, to_customers = asyncio.run(both())
    finally:
        bench.stop()
    report(floor, {"customer → team room": into_team, "operator → customer": to_customers,
                   "customer → room, 1 by 1": solo})


if __name__ == "__main__":
    main()
