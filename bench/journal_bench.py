"""Journal benchmark: accepting a message must cost the same with 1k or 1M messages stored.

Fills a journal with N messages (20 per conversation, written as the core
writes them), then times the real accept path (the core's InboundService over
the SQLite journal: dedupe and open-conversation read, unit of work, commit)
one at a time (commit latency) and 16 and 64 at a time (group commit). Every
size is probed next to a fresh 1k-message journal in the same round, so the
ratio tells the trend whatever the disk is doing. Prints p50/p99 in
microseconds and accepts per second.

With ``--database-url postgresql://…/`` the same probes run on PostgreSQL too,
in the same round (each journal a fresh database on that server, dropped
after): the embedded and the PostgreSQL figures side by side.

    .venv/bin/python bench/journal_bench.py [--sizes 1000 1000000] [--rounds 3] [--concurrency 1 16 64]
        [--database-url postgresql://postgres@127.0.0.1:5432/]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stats import percentile  # noqa: E402
from bridge.channels import InboundMessage  # noqa: E402
from bridge.line_settings import LineSettings  # noqa: E402
from bridge.model import ChannelBinding, Conversation, ConversationStatus, Delivery, Line, MessageKind  # noqa: E402
from bridge.ports import SystemClock  # noqa: E402
from bridge.services import Services  # noqa: E402
from bridge.store import NewMessage, UnitOfWork  # noqa: E402
from crm_store import MemoryCrm  # noqa: E402
from crm_store.port import AsyncCrm  # noqa: E402
from journal_store import open_journal  # noqa: E402

BINDING = ChannelBinding("support", "webchat", "support")
LINE = Line("support", "Support", settings=LineSettings(autoclose_minutes=0, crm="off", welcome_text=""))
PER_CONVERSATION = 20


class NullTeam:
    async def open_room(self, name: str, topic: str) -> str:
        return name

    async def post(self, room_key: str, posts: list) -> None:
        return None

    async def direct(self, person: str, posts: list) -> None:
        return None

    async def invite(self, room_key: str, person: str) -> None:
        return None

    async def signal(self, room_key: str, kind: str, data: dict) -> None:
        return None

    def display_name(self, person: str) -> str:
        return person


async def fill(journal: Any, count: int) -> None:
    """History as the core leaves it: closed conversations of 20 delivered messages."""
    pending = []
    for first in range(0, count, PER_CONVERSATION):
        conversation = Conversation("", "support", BINDING.id, f"old-{first}", "Old", ConversationStatus.CLOSED, 0.0)
        messages = [NewMessage(MessageKind.INBOUND, "Old", f"history {n}", float(n), delivery=Delivery.NONE,
                               dedupe_key=f"{BINDING.id}|old-{first}|m{n}")
                    for n in range(first, min(count, first + PER_CONVERSATION))]
        pending.append(journal.conversations.commit(UnitOfWork(conversation=conversation, messages=messages)))
        if len(pending) == 256:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)


async def journal_of(url: str, size: int) -> tuple[Any, Services]:
    journal = await asyncio.to_thread(open_journal, url)
    await journal.config.save_line(LINE)
    await journal.config.save_binding(BINDING)
    await fill(journal, size)
    services = await Services.build(journal=journal, team=NullTeam(), crm=AsyncCrm(MemoryCrm()),
                                    clock=SystemClock(), channels=lambda _: None, kinds=None,  # type: ignore[arg-type]
                                    admins=frozenset(), owner="bench")
    return journal, services  # the outbox is not started: only the accept path is measured


@dataclass
class Probe:
    latencies: list[float]  # µs
    rate: float  # accepts per second
    cpu_us: float  # this process's CPU per accept (the core, the driver, the writer threads)


async def probe(services: Services, tag: str, count: int, concurrency: int, customers: int = 16) -> Probe:
    latencies: list[float] = []

    async def one(i: int) -> None:
        started = time.perf_counter()
        await services.inbound.accept(BINDING, InboundMessage(f"probe-{tag}-{i % customers}", f"{tag}-{i}", "probe"))
        latencies.append((time.perf_counter() - started) * 1e6)

    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(first, min(count, first + concurrency))))
    return Probe(latencies, count / (time.perf_counter() - started), (time.process_time() - cpu) / count * 1e6)


def line(name: str, measured: Probe) -> str:
    values = measured.latencies
    return (f"{name:>40} p50 {percentile(values, 50):>7.0f} µs   p99 {percentile(values, 99):>7.0f} µs"
            f"   {measured.rate:>6.0f} accepts/s   {measured.cpu_us:>5.0f} µs CPU each")


@contextmanager
def databases(server: str | None, sizes: list[int], folder: Path) -> Iterator[dict[tuple[str, int], str]]:
    """Where each (store, size) journal lives: a SQLite file, and with a server a fresh database, dropped after."""
    urls = {("sqlite", size): f"sqlite://{folder / f'journal-{size}.sqlite3'}" for size in sizes}
    if server is None:
        yield urls
        return
    import psycopg  # only with --database-url
    base = server.rstrip("/")
    root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    names = {size: f"openlines_bench_{uuid.uuid4().hex[:8]}_{size}" for size in sizes}
    with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urls | {("postgresql", size): f"{root}/{name}" for size, name in names.items()}
    finally:
        with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(sizes: list[int], rounds: int, probes: int, concurrency: list[int], server: str | None,
              customers: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="openlines-journal-"))
    every = sorted(set(sizes) | {1000})
    print(f"{os.cpu_count()} cores; filling {', '.join(f'{s:,}' for s in sizes)} messages in {folder}"
          f"{' and on ' + server if server else ''} …", flush=True)
    with databases(server, every, folder) as urls:
        started = time.perf_counter()
        opened = {key: await journal_of(url, key[1]) for key, url in urls.items()}
        print(f"filled in {time.perf_counter() - started:.0f} s")
        try:
            await rounds_of(opened, sizes, rounds, probes, concurrency, customers)
        finally:
            for journal, _ in opened.values():
                await asyncio.to_thread(journal.close)


async def rounds_of(opened: dict[tuple[str, int], tuple[Any, Services]], sizes: list[int], rounds: int,
                    probes: int, concurrency: list[int], customers: int) -> None:
    stores = sorted({store for store, _ in opened}, reverse=True)  # sqlite first
    for r in range(1, rounds + 1):
        print(f"round {r}")
        for size in sorted(sizes):
            for n in concurrency:
                count = probes if n == 1 else probes * 4
                for store in stores:
                    tag = f"{r}{size}{n}{store[0]}"
                    reference = await probe(opened[store, 1000][1], f"r{tag}", count, n, customers or n)
                    measured = await probe(opened[store, size][1], f"m{tag}", count, n, customers or n)
                    p99 = percentile(reference.latencies, 99)
                    ratio = percentile(measured.latencies, 99) / max(p99, 1e-9)
                    print(line(f"{store} {size:,} stored, {n} at a time", measured),
                          f"   (1k alongside: p99 {p99:.0f} µs, ratio {ratio:.2f})",
                          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--customers", type=int, default=16,
                        help="customers the probes write for (0: as many as in flight, each its own)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server: the same probes there too, on fresh databases dropped after")
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.rounds, args.probes, args.concurrency, args.database_url, args.customers))


if __name__ == "__main__":
    main()
