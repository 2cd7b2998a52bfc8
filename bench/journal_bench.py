"""Journal benchmark: the cost of accepting a message must not grow with history.

Fills a journal with N earlier messages (over many conversations), then
times accepting new ones — sequentially (commit latency) and 64 at a time
(group commit) — at each size. Prints microseconds per message.

    .venv/bin/python bench/journal_bench.py [--sizes 0 10000 100000]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.channels import InboundMessage  # noqa: E402
from bridge.model import ChannelBinding  # noqa: E402
from bridge.sqlite_store import open_sqlite  # noqa: E402

BINDING = ChannelBinding("support", "webchat", "support")
PER_CONVERSATION = 20


async def fill(journal, start: int, count: int) -> None:
    batch = []
    for n in range(start, start + count):
        inbound = InboundMessage(f"customer-{n // PER_CONVERSATION}", f"m{n}", f"history {n}")
        batch.append(journal.accept_inbound(BINDING, inbound, welcome="", now=float(n)))
        if len(batch) == 512:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


async def timed(journal, tag: str, count: int, concurrency: int) -> float:
    async def one(i: int) -> None:
        inbound = InboundMessage(f"probe-{tag}-{i % 16}", f"{tag}-{i}", "probe")
        await journal.accept_inbound(BINDING, inbound, welcome="", now=0.0)

    start = time.perf_counter()
    for first in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(first, min(count, first + concurrency))))
    return (time.perf_counter() - start) / count * 1e6


async def run(sizes: list[int], probes: int) -> None:
    path = Path(tempfile.mkdtemp(prefix="openlines-journal-")) / "journal.sqlite3"
    worker, journal, _lines = open_sqlite(str(path))
    print(f"{'history':>10} {'sequential µs/msg':>18} {'64 at a time µs/msg':>20}")
    filled = 0
    try:
        for size in sorted(sizes):
            await fill(journal, filled, size - filled)
            filled = size
            sequential = await timed(journal, f"s{size}", probes, 1)
            grouped = await timed(journal, f"g{size}", probes * 4, 64)
            print(f"{size:>10,} {sequential:>18.0f} {grouped:>20.0f}")
    finally:
        worker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument("--probes", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.probes))


if __name__ == "__main__":
    main()
