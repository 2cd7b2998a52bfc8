"""Telegram benchmark: webhook → team room, and operator message → (fake) Bot API, at 16 in flight.

The real runtime (journal, outbox, HTTP server, the Telegram backend over
python-telegram-bot and its aiohttp request) with a recording team chat and
a fake Bot API on 127.0.0.1. The floor is a bare aiohttp server that takes
a POST and forwards it with one aiohttp client POST, measured in the same
run with the same clients. Send pacing (Telegram's ~30 msg/s per bot) is off
here: the pipeline is measured, not Telegram's limits.

    .venv/bin/python bench/telegram_bench.py [--messages 3000] [--in-flight 16]
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from backends.base import AiohttpMounts, RuntimeContext  # noqa: E402
from backends.pacing import Pacer  # noqa: E402
from backends.telegram import SECRET_HEADER, TelegramBackend  # noqa: E402
from bench.stats import Figures, percentile  # noqa: E402
from bridge.channels import OutboundMessage, Receipt  # noqa: E402
from bridge.model import ChannelBinding  # noqa: E402
from bridge.relay import TeamPost  # noqa: E402
from tests.support import fake_telegram as tg  # noqa: E402
from tests.support.loopback import serve  # noqa: E402
from tests.support.runtime import OPERATOR, Running  # noqa: E402
from tests.support.team import RecordingTeamChat  # noqa: E402

TOKEN = "777:bench-token"
CHATS = 64  # customers: conversations spread over the outbox's lanes


class TimedTeam(RecordingTeamChat):
    """Notes when each customer text reached its room."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        await super().post(room_key, posts)
        now = time.perf_counter()
        for p in posts:
            self.arrived[p.text] = now


class TimedTelegram(tg.FakeTelegram):
    """Notes when each sent text reached the Bot API."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived: dict[str, float] = {}

    async def _send(self, method: str, params: dict[str, Any], files: list[bytes]) -> web.Response:
        self.arrived[str(params.get("text"))] = time.perf_counter()
        return await super()._send(method, params, files)


async def in_flight(count: int, width: int, one: Callable[[int], Awaitable[None]]) -> None:
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            await one(n)
    await asyncio.gather(*(worker() for _ in range(width)))


async def wait_for(predicate: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark never completed")
        await asyncio.sleep(0.002)


async def floor(count: int, width: int) -> Figures:
    """POST in, one POST forwarded out, 200 back: the least a webhook-to-somewhere relay does."""
    got: dict[str, float] = {}

    async def sink(request: web.Request) -> web.Response:
        got[(await request.json())["text"]] = time.perf_counter()
        return web.Response(text="ok")

    sink_runner, sink_base = await serve([web.post("/sink", sink)])
    sink_url = f"{sink_base}/sink"
    relay = _ThreadServer(lambda session: [web.post("/in", _forwarder(session, sink_url))])
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        async def one(n: int) -> None:
            started = time.perf_counter()
            async with session.post(relay.url + "/in", json={"text": f"f{n}"}) as response:
                await response.read()
            latencies.append(got[f"f{n}"] - started)
        start = time.perf_counter()
        await in_flight(count, width, one)
        seconds = time.perf_counter() - start
    relay.stop()
    await sink_runner.cleanup()
    return Figures(len(latencies), seconds, latencies)


def _forwarder(session: aiohttp.ClientSession, url: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def forward(request: web.Request) -> web.Response:
        async with session.post(url, data=await request.read(), headers={"Content-Type": "application/json"}) as r:
            await r.read()
        return web.Response(text="ok")
    return forward


class _ThreadServer:
    """A server on its own loop thread, as the runtime is: the clients' loop is not its loop."""

    def __init__(self, routes: Callable[[aiohttp.ClientSession], list[web.RouteDef]]) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.runner, self.url, self.session = asyncio.run_coroutine_threadsafe(self._start(routes), self.loop).result()

    async def _start(self, routes: Callable[[aiohttp.ClientSession], list[web.RouteDef]]) -> Any:
        session = aiohttp.ClientSession()
        runner, url = await serve(routes(session))
        return runner, url, session

    def stop(self) -> None:
        async def close() -> None:
            await self.session.close()
            await self.runner.cleanup()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)


async def connect(running: Running, fake: tg.FakeTelegram) -> TelegramBackend:
    from tests.channels.harness_telegram import connect_telegram
    backend = await connect_telegram(running, fake, "webhook")
    backend.pacer = Pacer(per_key=1e9, key_burst=1e9, overall=1e9, overall_burst=1e9)
    return backend


async def inbound(running: Running, team: TimedTeam, fake: tg.FakeTelegram, count: int, width: int) -> Figures:
    assert fake.webhook is not None
    url, secret = fake.webhook
    sent: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        async def one(n: int) -> None:
            text = f"in {n}"
            update = tg.text_update(10_000 + n, 1 + n % CHATS, 10_000 + n, text)
            sent[text] = time.perf_counter()
            async with session.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                assert response.status == 200, response.status
        start = time.perf_counter()
        await in_flight(count, width, one)
        await wait_for(lambda: all(t in team.arrived for t in sent))
        seconds = max(team.arrived.values()) - start
    return Figures(len(sent), seconds, [team.arrived[t] - s for t, s in sent.items()], expected=count)


async def outbound(running: Running, fake: TimedTelegram, count: int, width: int) -> Figures:
    backend = running.core.channels.get("telegram:777")
    assert backend is not None
    conversations = [await running.run(running.core.inbound.current_conversation(backend.binding, str(1 + c)))
                     for c in range(CHATS)]
    sent: dict[str, float] = {}

    async def one(n: int) -> None:
        text = f"out {n}"
        conversation = conversations[n % CHATS]
        assert conversation is not None
        sent[text] = time.perf_counter()
        await running.run(running.core.actions.reply(conversation, OPERATOR, text))
    start = time.perf_counter()
    await in_flight(count, width, one)
    await wait_for(lambda: all(t in fake.arrived for t in sent))
    seconds = max(fake.arrived[t] for t in sent) - start
    return Figures(len(sent), seconds, [fake.arrived[t] - s for t, s in sent.items()], expected=count)


class NullSink:
    """A core that stores nothing: what the channel alone costs."""

    async def accept(self, binding: ChannelBinding, event: Any) -> Receipt:
        return Receipt(1, "c", False, 0.0, "Ann")


async def channel_alone(fake: TimedTelegram, count: int, width: int) -> tuple[Figures, Figures]:
    """The webhook handler and backend.send with no core behind them, on a loop thread of their own."""
    mounts = AiohttpMounts()
    context = RuntimeContext(http=mounts, secret=b"bench", state=None, files=None, public_url="")  # type: ignore
    binding = ChannelBinding("support", "telegram", "777", settings={"mode": "webhook", "api_url": fake.url},
                             secrets={"token": TOKEN})
    server = _ThreadServer(lambda session: TelegramBackend.routes(mounts))
    backend = TelegramBackend(binding, NullSink(), context)  # type: ignore[arg-type]
    backend.context = RuntimeContext(http=mounts, secret=b"bench", state=None, files=None,  # type: ignore
                                     public_url=server.url)
    asyncio.run_coroutine_threadsafe(backend.start(), server.loop).result()
    backend.pacer = Pacer(per_key=1e9, key_burst=1e9, overall=1e9, overall_burst=1e9)
    await wait_for(lambda: fake.webhook is not None and fake.webhook[0].startswith(server.url))
    url, secret = fake.webhook or ("", "")
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        async def post(n: int) -> None:
            started = time.perf_counter()
            update = tg.text_update(90_000 + n, 1 + n % CHATS, 90_000 + n, f"alone {n}")
            async with session.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                assert response.status == 200
            latencies.append(time.perf_counter() - started)
        start = time.perf_counter()
        await in_flight(count, width, post)
        webhook = Figures(count, time.perf_counter() - start, latencies)
    sends: list[float] = []

    async def send(n: int) -> None:
        started = time.perf_counter()
        message = OutboundMessage(n, "c", str(1 + n % CHATS), "alice", f"alone out {n}", 0.0)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(backend.send(message), server.loop))
        sends.append(time.perf_counter() - started)
    start = time.perf_counter()
    await in_flight(count, width, send)
    sending = Figures(count, time.perf_counter() - start, sends)
    asyncio.run_coroutine_threadsafe(backend.stop(), server.loop).result()
    server.stop()
    return webhook, sending


def row(name: str, f: Figures, base: Figures | None) -> str:
    ratio = f"  {f.rate / base.rate:>5.0%} of floor" if base else ""
    return (f"{name:<34} {f.count:>6} msgs {f.rate:>8,.0f} msg/s  p50 {f.percentile(50) * 1000:>6.1f} ms"
            f"  p99 {f.percentile(99) * 1000:>6.1f} ms{ratio}")


class RuntimeProfile:
    """cProfile of the runtime's loop thread (a profiler sees only the thread that enabled it)."""

    def __init__(self, running: Running, wanted: bool) -> None:
        self.running, self.wanted = running, wanted
        self.profile = cProfile.Profile()

    async def __aenter__(self) -> None:
        if self.wanted:
            async def on() -> None:
                self.profile.enable()
            await self.running.run(on())

    async def __aexit__(self, *exc: object) -> None:
        if self.wanted:
            async def off() -> None:
                self.profile.disable()
            await self.running.run(off())
            out = io.StringIO()
            stats = pstats.Stats(self.profile, stream=out)
            stats.sort_stats("tottime").print_stats(12)
            stats.sort_stats("cumulative").print_stats("bridge|journal_store|backends", 25)
            print(out.getvalue())


async def run(messages: int, width: int, journal_sync: str, profile: str) -> None:
    base = await floor(messages, width)
    fake = TimedTelegram(TOKEN)
    await fake.start()
    webhook_alone, send_alone = await channel_alone(fake, messages, width)
    fake.webhook = None
    team = TimedTeam()
    with tempfile.TemporaryDirectory() as data:
        running = Running(Path(data), team, journal_sync=journal_sync)
        try:
            await connect(running, fake)
            warm = 200
            await inbound(running, team, fake, warm, width)  # opens the conversations, warms caches
            async with RuntimeProfile(running, profile == "inbound"):
                into = await inbound(running, team, fake, messages, width)
            async with RuntimeProfile(running, profile == "outbound"):
                out = await outbound(running, fake, messages, width)
        finally:
            running.stop()
            await fake.stop()
    print(f"Telegram bench: {messages} messages each way, {width} in flight, {CHATS} chats, journal sync {journal_sync}")
    print(row("aiohttp POST→POST relay (floor)", base, None))
    print(row("webhook → team room", into, base))
    print(row("operator reply → Bot API", out, base))
    print(row("  channel alone: webhook, no core", webhook_alone, base))
    print(row("  channel alone: send, no core", send_alone, base))
    print(f"(floor p99 {percentile(base.latencies, 99) * 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--journal-sync", default="FULL", help="SQLite synchronous mode (FULL is the default)")
    parser.add_argument("--profile", choices=("inbound", "outbound"), help="cProfile the runtime's loop thread")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.messages, args.in_flight, args.journal_sync, args.profile or ""))


if __name__ == "__main__":
    main()
