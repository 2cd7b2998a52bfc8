"""Journal benchmark: accepting a message must cost the same with 1k or 1M messages stored.

Fills a journal with N messages (20 per conversation, written as the core
writes them), then times the real accept path (the core's InboundService over
the SQLite journal: dedupe and open-conversation read, unit of work, commit)
one at a time (commit latency) and 64 at a time (group commit). Every size is
probed next to a fresh 1k-message journal in the same round, so the ratio
tells the trend whatever the disk is doing. Prints p50/p99 in microseconds.

    .venv/bin/python bench/journal_bench.py [--sizes 1000 1000000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

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
from journal_store import SqliteJournal, open_journal  # noqa: E402

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


async def fill(journal: SqliteJournal, count: int) -> None:
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


async def journal_of(size: int, folder: Path) -> tuple[SqliteJournal, Services]:
    journal = await asyncio.to_thread(open_journal, str(folder / f"journal-{size}.sqlite3"))
    await journal.config.save_line(LINE)
    await journal.config.save_binding(BINDING)
    await fill(journal, size)
    services = await Services.build(journal=journal, team=NullTeam(), crm=AsyncCrm(MemoryCrm()),
                                    clock=SystemClock(), channels=lambda _: None, kinds=None,  # type: ignore[arg-type]
                                    admins=frozenset(), owner="bench")
    return journal, services  # the outbox is not started: only the accept path is measured


async def probe(services: Services, tag: str, count: int, concurrency: int) -> list[float]:
    latencies: list[float] = []

    async def one(i: int) -> None:
        started = time.perf_counter()
        await services.inbound.accept(BINDING, InboundMessage(f"probe-{tag}-{i % 16}", f"{tag}-{i}", "probe"))
        latencies.append((time.perf_counter() - started) * 1e6)

    for first in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(first, min(count, first + concurrency))))
    return latencies


def line(name: str, values: list[float]) -> str:
    return f"{name:>28} p50 {percentile(values, 50):>7.0f} µs   p99 {percentile(values, 99):>7.0f} µs"


async def run(sizes: list[int], rounds: int, probes: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="openlines-journal-"))
    print(f"filling {', '.join(f'{s:,}' for s in sizes)} messages in {folder} …", flush=True)
    started = time.perf_counter()
    opened = {size: await journal_of(size, folder) for size in sorted(set(sizes) | {1000})}
    print(f"filled in {time.perf_counter() - started:.0f} s")
    try:
        for r in range(1, rounds + 1):
            print(f"round {r}")
            for size in sorted(sizes):
                for mode, count, concurrency in (("one at a time", probes, 1), ("64 at a time", probes * 4, 64)):
                    reference = await probe(opened[1000][1], f"r{r}{size}{mode[0]}", count, concurrency)
                    measured = await probe(opened[size][1], f"m{r}{size}{mode[0]}", count, concurrency)
                    ratio = percentile(measured, 99) / max(percentile(reference, 99), 1e-9)
                    print(line(f"{size:,} stored, {mode}", measured),
                          f"   (1k alongside: p99 {percentile(reference, 99):.0f} µs, ratio {ratio:.2f})")
    finally:
        for journal, _ in opened.values():
            journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probes", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.rounds, args.probes))


if __name__ == "__main__":
    main()
