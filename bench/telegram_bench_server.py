"""The measured side of bench/telegram_bench.py: one process playing one role, driven over HTTP.

Roles: ``floor`` (a bare aiohttp server: POST in, one POST forwarded to the
Bot API, 200 back), ``alone`` (the Telegram backend with a core that stores
nothing), ``runtime`` (the real Open Lines runtime, Telegram in webhook mode,
a team chat that notes when each post reached its room). The Bot API they
call is the parent's fake (``--api-url``): the load and the fake platform
run in the parent, so they take no CPU (and no GIL) from what is measured.

Beside its role, the process serves a small control server on its main
thread (the runtime has its own loop thread, as under Errbot): the clock,
phase begin/end (CPU used per thread, arrival times, the cProfile text) and
the operators' side (``/drive``: messages sent from this thread, as the
Errbot plugin hands them to the runtime). It prints "READY <control url>
<service url>" once serving and stops when its stdin closes, which happens
however the parent ends (it starts this in a process group of its own, so
that a terminal's Ctrl-C reaches only the parent, which then stops it in order).

    .venv/bin/python bench/telegram_bench_server.py floor|alone|runtime --api-url URL [...]
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from backends.base import AiohttpMounts, RuntimeContext  # noqa: E402
from backends.pacing import Pacer  # noqa: E402
from backends.telegram.backend import TelegramBackend  # noqa: E402
from bridge.channels import OutboundMessage, Receipt  # noqa: E402
from bridge.model import ChannelBinding  # noqa: E402
from bridge.relay import TeamPost  # noqa: E402
from tests.channels.channel import connect_binding  # noqa: E402
from tests.support.loopback import serve  # noqa: E402
from tests.support.runtime import OPERATOR, Running  # noqa: E402
from tests.support.team import RecordingTeamChat  # noqa: E402

TOKEN = "777:bench-token"
CHATS = 64  # customers: conversations spread over the outbox's lanes
JSON = {"Content-Type": "application/json"}


def unpaced() -> Pacer:
    """Telegram's ~30 msg/s per bot out of the way: the pipeline is measured, not Telegram's limits."""
    return Pacer(per_key=1e9, key_burst=1e9, overall=1e9, overall_burst=1e9)


def ok() -> web.Response:
    return web.Response(text="ok")


class Role:
    """What every role does; ``url`` is where the parent sends its load."""

    url = ""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # text -> time.monotonic() it reached the team room

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def out(self, chat: str, text: str) -> None:
        """One message to a customer, as an operator sends it (roles that send)."""
        raise NotImplementedError

    async def begin(self, phase: str) -> None: ...

    async def end(self, phase: str) -> str:
        return ""  # the profile's text, when one was taken


class Floor(Role):
    """POST in, the same bytes POSTed to the Bot API's sendMessage, 200 back: the least a relay does."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.target = f"{api_url}/bot{TOKEN}/sendMessage"

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        self.runner, self.url = await serve([web.post("/in", self.forward)])

    async def forward(self, request: web.Request) -> web.Response:
        async with self.session.post(self.target, data=await request.read(), headers=JSON) as response:
            await response.read()
        return ok()

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()


class NullSink:
    """A core that stores nothing: what the channel alone costs."""

    async def accept(self, binding: ChannelBinding, event: Any) -> Receipt:
        return Receipt(1, "c", False, 0.0, "Ann")


class Alone(Role):
    """The Telegram backend's webhook and send, with nothing behind them (all on this one loop)."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url

    async def start(self) -> None:
        mounts = AiohttpMounts()
        self.runner, self.url = await serve(TelegramBackend.routes(mounts))
        context = RuntimeContext(http=mounts, secret=b"bench", state=None, files=None,  # type: ignore[arg-type]
                                 public_url=self.url)
        binding = ChannelBinding("support", "telegram", "777", settings={"mode": "webhook", "api_url": self.api_url},
                                 secrets={"token": TOKEN})
        self.backend = TelegramBackend(binding, NullSink(), context)  # type: ignore[arg-type]
        await self.backend.start()
        self.backend.pacer = unpaced()

    async def out(self, chat: str, text: str) -> None:
        await self.backend.send(OutboundMessage(0, "c", chat, OPERATOR, text, 0.0))

    async def stop(self) -> None:
        await self.backend.stop()
        await self.runner.cleanup()


class TimedTeam(RecordingTeamChat):
    """Notes when each customer text reached its room."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        await super().post(room_key, posts)
        now = time.monotonic()
        for p in posts:
            self.arrived[p.text] = now


class Runtime(Role):
    """The real runtime (its loop thread, SQLite writer and reader threads) with Telegram in webhook mode."""

    def __init__(self, api_url: str, journal_sync: str, profile: str) -> None:
        super().__init__()
        self.api_url, self.journal_sync, self.profile = api_url, journal_sync, profile
        self.profiler = cProfile.Profile()
        self.conversations: dict[str, str] = {}

    async def start(self) -> None:
        self.data = tempfile.TemporaryDirectory()
        self.team = TimedTeam()
        self.running = Running(Path(self.data.name), self.team, journal_sync=self.journal_sync)
        backend = await connect_binding(self.running, TelegramBackend, {"mode": "webhook", "api_url": self.api_url},
                                        {"token": TOKEN}, "Telegram")
        backend.pacer = unpaced()
        self.binding = backend.binding
        self.url = self.running.base_url

    async def out(self, chat: str, text: str) -> None:
        """The operator's reply, handed to the runtime's loop from this thread as the Errbot plugin does."""
        await self.running.run(self.running.app.actions.reply(self.conversations[chat], OPERATOR, text))

    async def begin(self, phase: str) -> None:
        self.team.arrived = self.arrived = {}
        for chat in map(str, range(1, CHATS + 1)):  # opened by earlier phases; looked up outside any timing
            found = await self.running.run(self.running.app.inbound.current_conversation(self.binding, chat))
            if found:
                self.conversations[chat] = found
        if phase == self.profile:
            await self.running.run(self._profiling(True))

    async def end(self, phase: str) -> str:
        if phase != self.profile:
            return ""
        await self.running.run(self._profiling(False))
        out = io.StringIO()
        stats = pstats.Stats(self.profiler, stream=out)
        stats.sort_stats("tottime").print_stats(12)
        stats.sort_stats("cumulative").print_stats("bridge|journal_store|backends", 25)
        return out.getvalue()

    async def _profiling(self, on: bool) -> None:
        """Runs on the runtime's loop thread: a profiler sees only the thread that enabled it."""
        if on:
            self.profiler.enable()
        else:
            self.profiler.disable()

    async def stop(self) -> None:
        self.running.stop()
        self.data.cleanup()


def cpu() -> tuple[float, dict[str, float]]:
    """CPU seconds of this process, and per live thread by its Python name (Linux's /proc; else none)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    threads: dict[str, float] = {}
    tasks = Path("/proc/self/task")
    for task in tasks.iterdir() if tasks.is_dir() else ():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        name = names.get(int(task.name), "other")
        name = "executor" if name.startswith(("ThreadPoolExecutor", "asyncio_")) else name
        threads[name] = threads.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return usage.ru_utime + usage.ru_stime, threads


class Control:
    """The parent's handle on this process: the clock, phases, and the operators' side."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.started: tuple[float, tuple[float, dict[str, float]]] = (0.0, (0.0, {}))  # wall, cpu()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/clock", self.clock), web.post("/phase/begin", self.begin),
                web.post("/phase/end", self.end), web.post("/drive", self.drive)]

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response({"now": time.monotonic()})

    async def begin(self, request: web.Request) -> web.Response:
        await self.role.begin((await request.json())["name"])
        self.started = time.monotonic(), cpu()
        return ok()

    async def end(self, request: web.Request) -> web.Response:
        """Once the texts expected in the team room are there: the CPU used, arrival times, the profile."""
        body = await request.json()
        waiting, deadline = set(body["expect"]), time.monotonic() + 120
        while waiting and time.monotonic() < deadline:  # times are noted as they come: this waits for the last
            await asyncio.sleep(0.05)
            waiting = {text for text in waiting if text not in self.role.arrived}  # not iterated: a thread adds
        wall, (total0, threads0) = self.started
        total, threads = cpu()
        return web.json_response({
            "wall": time.monotonic() - wall, "cpu": total - total0,
            "threads": {name: t - threads0.get(name, 0.0) for name, t in threads.items()},
            "arrived": dict(self.role.arrived), "profile": await self.role.end(body["name"])})

    async def drive(self, request: web.Request) -> web.Response:
        """The operators' side, in this process as Errbot is: ``count`` messages, ``width`` at a time."""
        body = await request.json()
        sent: dict[str, float] = {}
        queue = iter(range(body["count"]))

        async def worker() -> None:
            for n in queue:
                text = f"{body['prefix']} {n}"
                sent[text] = time.monotonic()
                await self.role.out(str(1 + n % CHATS), text)
        await asyncio.gather(*(worker() for _ in range(body["width"])))
        return web.json_response({"sent": sent})


async def main(role: Role) -> None:
    await role.start()
    try:
        runner, control = await serve(Control(role).routes())
        print("READY", control, role.url, flush=True)
        await asyncio.to_thread(sys.stdin.read)  # returns when the parent closes it, or exits
        await runner.cleanup()
    finally:
        await role.stop()


def parse() -> Role:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("floor", "alone", "runtime"))
    parser.add_argument("--api-url", required=True, help="the (fake) Bot API root")
    parser.add_argument("--journal-sync", default="FULL")
    parser.add_argument("--profile", default="", help="the phase whose runtime loop thread is profiled")
    args = parser.parse_args()
    if args.role == "floor":
        return Floor(args.api_url)
    if args.role == "alone":
        return Alone(args.api_url)
    return Runtime(args.api_url, args.journal_sync, args.profile)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parse()))
