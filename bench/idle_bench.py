"""What the run command costs before any traffic: time until it serves, and idle memory.

Starts ``errbot -c config.py`` on a fresh data dir (only the seeded webchat line), waits until the
chat page answers, reads the process's CPU seconds until then and its VmRSS after a short settle
from /proc, and stops it; a few times, printing each run and the medians. The wall time until ready
moves 2-4x with the shared machine's load; the CPU seconds much less. Compare only runs made in the
same minutes, alternating the trees compared.

    .venv/bin/python bench/idle_bench.py [--runs 5] [--backend Console|Text] [--tree PATH ...]

With ``--tree`` (repeatable) the product of each checkout given is run in turn, alternating run by
run (a same-run before/after: ``--tree /tmp/before --tree .``). Both trees should have their
bytecode compiled alike (``python -m compileall``): with ``PYTHONDONTWRITEBYTECODE`` set, a tree
without ``__pycache__`` compiles its sources at every start (≈ 0.1-0.15 s of CPU here).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run_bench import Product, cpu_seconds, rss_mb, wait_http  # noqa: E402

SETTLE = 2.0  # seconds after the first answer: start-up work still running is counted


async def one(backend: str, tree: Path) -> tuple[float, float, float]:
    product = Product(backend, tree)
    try:
        await wait_http(product.port, "/webchat/support/")
        ready, cpu = time.monotonic() - product.started, cpu_seconds(product.proc.pid)
        await asyncio.sleep(SETTLE)
        return ready, cpu, rss_mb(product.proc.pid)
    finally:
        product.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", default="Console")
    parser.add_argument("--tree", type=Path, action="append", help="a checkout to run (repeatable; default: this one)")
    args = parser.parse_args()
    trees = [t.resolve() for t in args.tree] if args.tree else [ROOT]
    figures: dict[Path, list[tuple[float, float, float]]] = {t: [] for t in trees}
    for n in range(args.runs):
        for tree in trees:
            ready, cpu, rss = asyncio.run(one(args.backend, tree))
            figures[tree].append((ready, cpu, rss))
            print(f"run {n + 1} {tree.name}: ready in {ready:.2f} s ({cpu:.2f} s CPU), idle RSS {rss:.1f} MB",
                  flush=True)
    for tree, runs in figures.items():
        readies, cpus, rsses = zip(*runs)
        print(f"{args.backend} {tree.name}, median of {args.runs}: ready in {statistics.median(readies):.2f} s "
              f"({statistics.median(cpus):.2f} s CPU), idle RSS {statistics.median(rsses):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
