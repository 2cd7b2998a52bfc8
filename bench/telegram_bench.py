"""Telegram benchmark: webhook → team room, and operator message → (fake) Bot API, at 16 in flight.

What is measured runs in a process of its own (bench/telegram_bench_server.py),
one after the other: the floor (a bare aiohttp server: a POST in, one client
POST out), the real runtime (journal, outbox, HTTP server, the Telegram
backend over python-telegram-bot and its aiohttp request) with a team chat
that notes arrival times, and the Telegram backend alone (no core). This
process is the load (webhooks, 16 in flight) and the fake Bot API all of them
call, so neither takes CPU or the GIL from what is measured. The operators'
side runs in the measured process, as Errbot does. Times are time.monotonic()
in both processes (one system-wide clock; checked at each start). Send pacing
(Telegram's ~30 msg/s per bot) is off: the pipeline is measured.

    .venv/bin/python bench/telegram_bench.py [--messages 3000] [--in-flight 16] [--journal-sync FULL]
                                             [--profile inbound|outbound]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from backends.telegram.backend import SECRET_HEADER  # noqa: E402
from bench.stats import Figures  # noqa: E402
from bench.telegram_bench_server import CHATS, TOKEN  # noqa: E402
from tests.support import fake_telegram as tg  # noqa: E402

SERVER = Path(__file__).with_name("telegram_bench_server.py")
CHILDREN: list[subprocess.Popen[str]] = []  # killed at exit if still there, whatever happened
Request = Callable[[int], tuple[str, dict[str, Any], dict[str, str], str]]  # n -> (url, body, headers, text)


class TimedTelegram(tg.FakeTelegram):
    """Notes when each sent text reached the Bot API."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived: dict[str, float] = {}

    async def _send(self, method: str, params: dict[str, Any], files: list[bytes]) -> web.Response:
        self.arrived[str(params.get("text"))] = time.monotonic()
        return await super()._send(method, params, files)


@dataclass
class Child:
    control: str  # the child's control server
    url: str  # where its role takes the load
    session: aiohttp.ClientSession
    offset: float = 0.0  # child's monotonic clock minus ours

    async def call(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(self.control + path, json=body) as response:
            response.raise_for_status()
            return await response.json() if response.content_type == "application/json" else None

    async def measure_offset(self) -> None:
        """The child's clock against ours, from the quickest of a few round trips: time.monotonic() is one
        system-wide clock on Linux, macOS and Windows, so this finds 0 within the round trip and corrects
        only a clock that is really apart."""
        samples = []
        for _ in range(8):
            before = time.monotonic()
            async with self.session.get(self.control + "/clock") as response:
                now = (await response.json())["now"]
            after = time.monotonic()
            samples.append((after - before, now - (before + after) / 2))
        rtt, offset = min(samples)
        self.offset = offset if abs(offset) > rtt else 0.0


@contextlib.asynccontextmanager
async def child(session: aiohttp.ClientSession, *args: str) -> AsyncIterator[Child]:
    """A measured process; stopped by closing its stdin (it then stops its runtime), killed if it hangs."""
    process = subprocess.Popen([sys.executable, str(SERVER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, process_group=0)  # a terminal's Ctrl-C is ours: we stop it in order
    CHILDREN.append(process)
    try:
        assert process.stdout is not None
        line = await asyncio.to_thread(process.stdout.readline)  # our loop serves the fake meanwhile
        if not line.startswith("READY "):
            raise RuntimeError(f"the {args[0]} process did not start (exit code {process.wait()})")
        _, control, url = line.split()
        found = Child(control, url, session)
        await found.measure_offset()
        yield found
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Row:
    name: str
    figures: Figures
    child: dict[str, Any] = field(default_factory=dict)  # the child's phase report: wall, cpu, threads
    parent_cpu: float = 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def in_flight(count: int, width: int, one: Callable[[int], Awaitable[None]]) -> None:
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            await one(n)
    await asyncio.gather(*(worker() for _ in range(width)))


async def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


async def arrived(fake: TimedTelegram, texts: dict[str, float]) -> None:
    """Until each of ``texts`` reached the fake (what never does shows as lost)."""
    waiting, deadline = set(texts), time.monotonic() + 120
    while waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        waiting.difference_update(fake.arrived.keys())  # the fake runs on this loop: nothing adds meanwhile


Load = Callable[[], Awaitable[tuple[dict[str, float], dict[str, float]]]]  # -> (sent, answered) by text


def posts(c: Child, count: int, width: int, request: Request) -> Load:
    """This process posts (a webhook, the floor's input), ``width`` at a time."""
    async def load() -> tuple[dict[str, float], dict[str, float]]:
        sent: dict[str, float] = {}
        answered: dict[str, float] = {}

        async def one(n: int) -> None:
            url, body, headers, text = request(n)
            sent[text] = time.monotonic()
            async with c.session.post(url, json=body, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            answered[text] = time.monotonic()
        await in_flight(count, width, one)
        return sent, answered
    return load


def operators(c: Child, count: int, width: int, prefix: str) -> Load:
    """The child sends (the operators' side runs in the product's process, as Errbot does)."""
    async def load() -> tuple[dict[str, float], dict[str, float]]:
        report = await c.call("/drive", {"count": count, "width": width, "prefix": prefix})
        return {text: at - c.offset for text, at in report["sent"].items()}, {}
    return load


async def measure(name: str, c: Child, fake: TimedTelegram, count: int, load: Load, landing: str) -> Row:
    """Run ``load``; a text lands when the fake gets it ("fake"), when the child's team room gets it
    ("room"), or when the child answered its post ("answer")."""
    await c.call("/phase/begin", {"name": name})
    fake.arrived = {}
    used = cpu_seconds()
    start = time.monotonic()
    sent, answered = await load()
    if landing == "fake":
        await arrived(fake, sent)
    report = await c.call("/phase/end", {"name": name, "expect": list(sent) if landing == "room" else []})
    used = cpu_seconds() - used
    landed = {"fake": fake.arrived, "answer": answered,
              "room": {t: at - c.offset for t, at in report["arrived"].items()}}[landing]
    got = [t for t in sent if t in landed]
    seconds = max((landed[t] for t in got), default=start) - start
    return Row(name, Figures(len(got), seconds, [landed[t] - sent[t] for t in got], expected=count), report, used)


def webhook(fake: TimedTelegram, first: int, prefix: str) -> Request:
    """Update ``first + n`` from chat ``1 + n % CHATS``, as Telegram posts it to the URL the bot set."""
    assert fake.webhook is not None
    url, secret = fake.webhook

    def request(n: int) -> tuple[str, dict[str, Any], dict[str, str], str]:
        text = f"{prefix} {n}"
        return url, tg.text_update(first + n, 1 + n % CHATS, first + n, text), {SECRET_HEADER: secret}, text
    return request


async def webhook_set(fake: TimedTelegram, base: str) -> None:
    await wait_for(lambda: fake.webhook is not None and fake.webhook[0].startswith(base), 30)
    if fake.webhook is None:
        raise RuntimeError("the bot never set its webhook")


def relay(c: Child) -> Request:
    """The floor's input: what it forwards is a sendMessage call as the fake takes it."""
    def request(n: int) -> tuple[str, dict[str, Any], dict[str, str], str]:
        return c.url + "/in", {"chat_id": 1 + n % CHATS, "text": f"f{n}"}, {}, f"f{n}"
    return request


async def run(messages: int, width: int, journal_sync: str, profile: str) -> list[Row]:
    """One measured process after the other, so that each has the machine's other core to itself."""
    fake = TimedTelegram(TOKEN)
    await fake.start()
    rows: list[Row] = []
    try:
        async with aiohttp.ClientSession() as session:
            async with child(session, "floor", "--api-url", fake.url) as c:
                rows.append(await measure("floor", c, fake, messages, posts(c, messages, width, relay(c)), "fake"))
            async with child(session, "runtime", "--api-url", fake.url, "--journal-sync", journal_sync,
                             "--profile", profile) as c:
                await webhook_set(fake, c.url)
                warm = posts(c, 200, width, webhook(fake, 1, "warm"))
                await measure("warm-up", c, fake, 200, warm, "room")  # opens the conversations, warms caches
                inbound = posts(c, messages, width, webhook(fake, 10_000, "in"))
                rows.append(await measure("inbound", c, fake, messages, inbound, "room"))
                outbound = operators(c, messages, width, "out")
                rows.append(await measure("outbound", c, fake, messages, outbound, "fake"))
            fake.webhook = None
            async with child(session, "alone", "--api-url", fake.url) as c:
                await webhook_set(fake, c.url)
                inbound = posts(c, messages, width, webhook(fake, 90_000, "alone"))
                rows.append(await measure("alone webhook", c, fake, messages, inbound, "answer"))
                outbound = operators(c, messages, width, "alone out")
                rows.append(await measure("alone send", c, fake, messages, outbound, "fake"))
    finally:
        await fake.stop()
    return rows


NAMES = {"floor": "aiohttp POST→POST relay (floor)", "inbound": "webhook → team room",
         "outbound": "operator reply → Bot API", "alone webhook": "  channel alone: webhook, no core",
         "alone send": "  channel alone: send, no core"}


def figures_row(row: Row, base: Row) -> str:
    f = row.figures
    ratio = f"  {f.rate / base.figures.rate:>5.0%} of floor" if row is not base else ""
    lost = f"  LOST {f.expected - f.count}" if f.expected is not None and f.count < f.expected else ""
    return (f"{NAMES[row.name]:<34} {f.count:>6} msgs {f.rate:>8,.0f} msg/s  "
            f"p50 {f.percentile(50) * 1000:>6.1f} ms  p99 {f.percentile(99) * 1000:>6.1f} ms{ratio}{lost}")


def cpu_row(row: Row) -> str:
    """CPU per message and cores busy: the measured child (and its busiest threads), then this process."""
    count, wall, used = max(row.figures.count, 1), row.child["wall"], row.child["cpu"]
    threads = sorted(row.child["threads"].items(), key=lambda kv: -kv[1])[:4]
    busiest = ", ".join(f"{name.removeprefix('openlines-')} {t / count * 1e6:.0f}" for name, t in threads if t > 0)
    return (f"{NAMES[row.name]:<34} child {used / count * 1e6:>4.0f} µs/msg {used / wall:>4.2f} cores ({busiest})"
            f"   load+fake {row.parent_cpu / count * 1e6:>4.0f} µs/msg {row.parent_cpu / wall:>4.2f} cores")


def report(rows: list[Row], messages: int, width: int, journal_sync: str) -> None:
    print(f"Telegram bench: {messages} messages each way, {width} in flight, {CHATS} chats, "
          f"journal sync {journal_sync}")
    print("(each measured in its own process; this process posts the load and serves the fake Bot API)")
    for row in rows:
        print(figures_row(row, rows[0]))
    print("CPU during each phase, in µs per message (the child's threads too) and in cores busy:")
    for row in rows:
        print(cpu_row(row))
    for row in rows:
        if row.child.get("profile"):
            print(f"\ncProfile of the runtime's loop thread, {row.name}:\n{row.child['profile']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--journal-sync", default="FULL", help="SQLite synchronous mode (FULL is the default)")
    parser.add_argument("--profile", choices=("inbound", "outbound"), help="cProfile the runtime's loop thread")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    try:
        rows = asyncio.run(run(args.messages, args.in_flight, args.journal_sync, args.profile or ""))
    except KeyboardInterrupt:
        sys.exit("interrupted")
    finally:
        for process in CHILDREN:  # only if stopping them in order failed (a second Ctrl-C, say)
            if process.poll() is None:
                process.kill()
                process.wait()
    report(rows, args.messages, args.in_flight, args.journal_sync)


if __name__ == "__main__":
    main()
