"""Reports benchmark: how long !stats and !conversations take on a journal of N conversations.

Fills a journal with N conversations of the last 30 days (answered, missed,
spam, open, rated, over two channels and five operators), then times, in the
same round: the bare journal read the statistics need in one query (the
floor), the whole statistics report (chunked read + figures + CSV), and the
open list. The ratio to the floor says what the figures cost on top of
reading. Customers' messages are read on the same journal reader: "a
customer waits" is the longest an inbound read waited while !stats ran (it
must stay near one chunk's read, not the whole window's).

    .venv/bin/python bench/reports_bench.py [--sizes 1000 10000 100000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.journal_bench import NullTeam  # noqa: E402
from bridge.line_settings import LineSettings  # noqa: E402
from bridge.model import ChannelBinding, Conversation, ConversationStatus, Line  # noqa: E402
from bridge.reports import Reports  # noqa: E402
from bridge.services import Services  # noqa: E402
from bridge.stats import to_csv  # noqa: E402
from bridge.store import UnitOfWork  # noqa: E402
from crm_store import MemoryCrm  # noqa: E402
from crm_store.port import AsyncCrm  # noqa: E402
from journal_store import SqliteJournal, open_journal  # noqa: E402

LINE = Line("support", "Support", settings=LineSettings(timezone="Europe/Paris"), supervisors=("sue",))
BINDINGS = [ChannelBinding("support", "webchat", "support", "Website chat"),
            ChannelBinding("support", "telegram", "bot", "Telegram")]
NOW = 1_800_000_000.0
DAYS = 30


class FixedClock:
    def now(self) -> float:
        return NOW

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _conversation(n: int, rng: random.Random) -> Conversation:
    created = NOW - rng.uniform(0, DAYS * 86400)
    answered = rng.random() < 0.8
    closed = rng.random() < 0.9
    return Conversation("", "support", BINDINGS[n % 2].id, f"c{n}", f"Customer {n}",
                        ConversationStatus.CLOSED if closed else ConversationStatus.ACTIVE, created,
                        preview=f"question {n}", owner=f"op{n % 5}" if answered else None,
                        first_answer_at=created + rng.expovariate(1 / 90) if answered else None,
                        closed_at=created + rng.uniform(60, 7200) if closed else None, spam=rng.random() < 0.02,
                        customer_rating=rng.choice([None, None, "good", "bad"]),
                        supervisor_rating=rng.choice([None, None, None, 3, 4, 5]))


async def fill(journal: SqliteJournal, count: int) -> None:
    rng = random.Random(count)
    for start in range(0, count, 500):
        await asyncio.gather(*(journal.conversations.commit(UnitOfWork(conversation=_conversation(n, rng)))
                               for n in range(start, min(count, start + 500))))


async def timed(rounds: int, make: object) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        await make()  # type: ignore[operator]
        best = min(best, time.perf_counter() - began)
    return best


async def customer_wait(journal: SqliteJournal, stats: object) -> float:
    """The longest an inbound read (the dedupe check of a customer's message) waited while !stats ran."""
    running = asyncio.ensure_future(stats())  # type: ignore[operator]
    longest = 0.0
    while not running.done():
        began = time.perf_counter()
        await journal.conversations.inbound_state("webchat:support|x|y", "webchat:support|x")
        longest = max(longest, time.perf_counter() - began)
    await running
    return longest


async def probe(size: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        journal = await asyncio.to_thread(open_journal, str(Path(tmp) / "bench.sqlite3"), synchronous="OFF")
        await journal.config.save_line(LINE)
        for binding in BINDINGS:
            await journal.config.save_binding(binding)
        await fill(journal, size)
        services = await Services.build(journal=journal, team=NullTeam(), crm=AsyncCrm(MemoryCrm()),
                                        clock=FixedClock(), channels=lambda _: None, kinds=None,  # type: ignore[arg-type]
                                        admins=frozenset({"root"}), owner="bench")
        reports = Reports(services.admin)
        since = NOW - DAYS * 86400

        async def floor() -> None:
            await journal.conversations.conversations(line_ids=["support"], open_only=False, since=since,
                                                      limit=size + 1)

        async def stats() -> None:
            report = await reports.statistics("sue", "Support", DAYS)
            to_csv(report.report)

        async def open_list() -> None:
            await reports.open_conversations("sue", "Support")

        base = await timed(rounds, floor)
        full = await timed(rounds, stats)
        listed = await timed(rounds, open_list)
        waited = await customer_wait(journal, stats)
        print(f"{size:>8} conversations  read {base * 1000:>8.1f} ms  !stats {full * 1000:>8.1f} ms "
              f"({full / base:>4.2f}× the read)  !conversations {listed * 1000:>7.1f} ms  "
              f"a customer waits ≤ {waited * 1000:>6.1f} ms")
        await asyncio.to_thread(journal.close)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        await probe(size, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
