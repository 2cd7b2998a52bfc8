"""The real run command under webchat load, against a floor measured in the same run.

Three processes: the product (``errbot -c config.py`` on a fresh data dir, the Console or the Text
team backend), a floor server (bare aiohttp + JSON, ``bench/run_load.py``) and this load generator.
For each scenario it prints ack msg/s, ack p50/p99, team-room arrival p50/p99 (read from the
journal every 25 ms: that is its resolution), the product's CPU per message from /proc (from the
first frame until the team room has every message), the ratio to the floor, and RSS. It checks
every ack and every post in the team room and says LOST or DOUBLED loudly (exit status 1).

    .venv/bin/python bench/run_bench.py [--backend Console|Text|both] [--messages 200] [--quick] [--metrics]
                                        [--chats 1000]   (--messages 0 --chats N: the memory figure alone)

``--chats N`` first measures memory per open chat on a fresh product (``bench/open_chats.py``): N
visitors each open a conversation and keep its socket open, idle (0: not measured; the full run's
default is 1,000, ``--quick``'s 0).

``--metrics`` runs each scenario twice on the same product, without and then with Prometheus
scraping /metrics once a second, and prints the throughput ratio (the target: >= 95 %), and what
the counting itself costs per message (it is always on) next to the product's CPU per message.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.posts import count_posts  # noqa: E402
from bench.product import (TREES, Product, chats_memory, cpu_seconds, cpu_split, git_head, profile_dump,  # noqa: E402
                           rss_mb, thread_cpu, wait_http)
from bench.run_load import ArrivalWatch, drive, marker  # noqa: E402
from bench.stats import percentile  # noqa: E402

SCENARIOS = [(1, False), (16, False), (64, False), (256, False), (1, True), (16, True)]


@dataclass
class Result:
    """One scenario: what the visitors got, what reached the team room, and what it cost."""
    visitors: int
    pipelined: bool
    sent: int
    acked: int
    doubled_acks: int
    errors: list[str]
    rate: float
    ack50: float
    ack99: float
    arr50: float
    arr99: float
    arrived: int
    after_last_ack_1s: int | None  # messages that reached the room more than 1 s after the last ack
    cpu_us: float
    rss: float
    texts: list[str]
    threads: str  # CPU µs per message by thread


async def scrape(port: int, stop: asyncio.Event, seen: list[int]) -> None:
    """Prometheus, once a second, until stopped: each scrape's size kept (a failed one says so)."""
    import aiohttp
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            async with session.get(f"http://127.0.0.1:{port}/metrics") as answer:
                if answer.status != 200:
                    raise SystemExit(f"/metrics answered {answer.status}")
                seen.append(len(await answer.read()))
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass


async def scenario(product: Product, watch: ArrivalWatch, run: str, visitors: int, messages: int,
                   pipelined: bool, scraped: list[int] | None = None) -> Result:
    cpu0, threads0 = cpu_seconds(product.proc.pid), thread_cpu(product.proc.pid)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch.watch(stop))
    scraper = asyncio.create_task(scrape(product.port, stop, scraped)) if scraped is not None else None
    load = await drive(product.port, run, visitors, messages, pipelined)
    texts = [marker(run, v, n) for v in range(visitors) for n in range(messages)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(t in watch.arrived for t in texts):
        await asyncio.sleep(0.05)
    stop.set()
    await watcher
    if scraper is not None:
        await scraper
    cpu = cpu_seconds(product.proc.pid) - cpu0
    split = cpu_split(threads0, thread_cpu(product.proc.pid), len(load.acked))
    arrivals = [watch.arrived[t] - load.sent[t] for t in texts if t in watch.arrived and t in load.sent]
    late = [watch.arrived[t] for t in texts if t in watch.arrived]
    backlog_1s = sum(1 for t in late if t > load.last_ack + 1.0) if late else None
    acks = list(load.acked.values())
    return Result(visitors, pipelined, len(load.sent), len(load.acked), load.doubled_acks, load.errors[:3],
                  len(load.acked) / load.seconds, percentile(acks, 50), percentile(acks, 99),
                  percentile(arrivals, 50), percentile(arrivals, 99), len(arrivals), backlog_1s,
                  cpu / max(1, len(load.acked)) * 1e6, rss_mb(product.proc.pid), texts, split)


async def floor_rate(port: int, visitors: int, messages: int, pipelined: bool) -> float:
    load = await drive(port, "floor", visitors, messages, pipelined)
    return len(load.acked) / load.seconds


def row(name: str, r: Result, floor: float) -> str:
    mode = f"{r.visitors} {'pipelined' if r.pipelined else 'closed'}"
    return (f"{name:<8} {mode:<13} {r.rate:>7,.0f}/s {r.rate / floor:>5.0%} of floor {floor:>7,.0f}/s  "
            f"ack p50/p99 {r.ack50 * 1e3:>6.1f}/{r.ack99 * 1e3:>6.1f} ms  "
            f"room p50/p99 {r.arr50 * 1e3:>6.0f}/{r.arr99 * 1e3:>6.0f} ms  "
            f"cpu {r.cpu_us:>5.0f} µs/msg  rss {r.rss:>5.0f} MB  "
            f"sent {r.sent} acked {r.acked} in room {r.arrived} late>1s {r.after_last_ack_1s}")


async def scrape_cpu_ms(product: Product, times: int = 100) -> float:
    """The product's CPU per scrape (ms), scraped back to back: robust where throughput is noisy."""
    seen: list[int] = []
    cpu0 = cpu_seconds(product.proc.pid)
    import aiohttp
    async with aiohttp.ClientSession() as session:
        for _ in range(times):
            async with session.get(f"http://127.0.0.1:{product.port}/metrics") as answer:
                seen.append(len(await answer.read()))
    return (cpu_seconds(product.proc.pid) - cpu0) / times * 1e3


def lost(result: Result) -> int:
    if result.acked != result.sent or result.doubled_acks or result.errors:
        print(f"  LOST ACKS or ERRORS: {result.errors} doubled acks {result.doubled_acks}", flush=True)
        return 1
    return 0


def counting_us() -> float:
    """What the metrics port costs per relayed message: received, sent and the relay time (µs)."""
    from runtime.metrics import ProcessMetrics
    m, n = ProcessMetrics(), 200_000
    start = time.perf_counter()
    for _ in range(n):
        m.count("openlines_messages_received_total", ("support", "webchat"))
        m.count("openlines_messages_sent_total", ("support", "webchat"))
        m.observe("openlines_relay_seconds", 0.04)
    return (time.perf_counter() - start) / n * 1e6


async def bench(backend: str, messages: int, scenarios: list[tuple[int, bool]], floor_port: int,
                metrics: bool = False) -> int:
    product = Product(backend, TREES[0])
    await wait_http(product.port, "/webchat/support/")
    print(f"{backend}: ready in {time.monotonic() - product.started:.2f} s, idle RSS {rss_mb(product.proc.pid):.0f} MB",
          flush=True)
    watch = ArrivalWatch(product.data / "journal.sqlite3")
    failures, texts = 0, list[str]()
    costs: list[tuple[float, float, float]] = []  # with --metrics: (msg/s, CPU µs/msg, counting µs/msg)
    for i, (visitors, pipelined) in enumerate(scenarios):
        count = messages if visitors < 256 else max(20, messages // 4)
        floor = await floor_rate(floor_port, visitors, count, pipelined)
        result = await scenario(product, watch, f"{backend[0]}{i}", visitors, count, pipelined)
        print(row(backend, result, floor), flush=True)
        print(f"  CPU µs/msg by thread: {result.threads}", flush=True)
        profile_dump(product, f"{backend}.{visitors}{'p' if pipelined else 'c'}")
        texts += result.texts
        failures += lost(result)
        if metrics:
            scraped: list[int] = []
            with_scrape = await scenario(product, watch, f"{backend[0]}{i}m", visitors, count, pipelined, scraped)
            print(row("+scrape", with_scrape, floor), flush=True)
            texts += with_scrape.texts
            counting = counting_us()
            print(f"  /metrics scraped {len(scraped)} times ({max(scraped, default=0):,} bytes): throughput "
                  f"{with_scrape.rate / result.rate:.1%}, CPU per message {with_scrape.cpu_us / result.cpu_us:.1%} "
                  f"of the same scenario unscraped (both noisy on a busy machine); counting costs "
                  f"{counting:.2f} µs/msg = {counting / result.cpu_us:.2%} of the product's CPU per message",
                  flush=True)
            costs.append((result.rate, result.cpu_us, counting))
            failures += lost(with_scrape)
    if metrics:
        per_scrape = await scrape_cpu_ms(product)
        print(f"  one scrape costs {per_scrape:.2f} ms of the product's CPU ({per_scrape / 10:.2f} % of a core "
              f"scraped each second)", flush=True)
        for rate, cpu_us, counting in costs:  # share of the relay's own CPU: what a CPU-bound relay would lose
            share = counting / cpu_us + per_scrape * 1e3 / (rate * cpu_us)
            print(f"  at {rate:,.0f} msg/s: metrics (counting + a scrape each second) cost {share:.2%} "
                  f"of the relay's CPU (target <= 5 %)", flush=True)
    output = product.stop()
    posts = count_posts(backend, product.data, output, texts)
    print(f"{backend}: team room holds {posts.once} of {len(texts)} once, {posts.doubled} DOUBLED, "
          f"{posts.missing} LOST, {posts.unexpected} with another text", flush=True)
    return failures + (1 if posts.doubled or posts.missing or posts.unexpected else 0)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="both", choices=["Console", "Text", "both"])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="16 and 64 visitors closed-loop only")
    parser.add_argument("--chats", type=int, default=None, help="open chats for the memory figure (0: none)")
    parser.add_argument("--scenario", action="append", default=[],
                        help="only these, e.g. --scenario 64 --scenario 1p (p: pipelined); repeatable")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="run the product of another checkout (with its .venv): a before in the same minutes")
    parser.add_argument("--metrics", action="store_true", help="each scenario again with /metrics scraped each second")
    args = parser.parse_args()
    scenarios = [(16, False), (64, False)] if args.quick else SCENARIOS
    if args.scenario:
        scenarios = [(int(s.rstrip("p")), s.endswith("p")) for s in args.scenario]
    TREES[0] = args.tree.resolve()
    print(f"product: {TREES[0]} at {git_head(TREES[0])}", flush=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.messages} messages per visitor",
          flush=True)
    port_file = Path(tempfile.mkdtemp(prefix="openlines-floor-")) / "port"
    floor = subprocess.Popen([sys.executable, str(ROOT / "bench/run_load.py"), str(port_file)], cwd=ROOT)
    try:
        while not port_file.exists() or not port_file.read_text():
            await asyncio.sleep(0.05)
        floor_port = int(port_file.read_text())
        failures = 0
        chats = args.chats if args.chats is not None else (0 if args.quick or args.scenario else 1000)
        for backend in (["Console", "Text"] if args.backend == "both" else [args.backend]):
            if chats:
                failures += await chats_memory(backend, chats)
            if args.messages == 0:  # --messages 0: the memory figure alone
                continue
            failures += await bench(backend, args.messages, scenarios, floor_port, args.metrics)
    finally:
        floor.terminate()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
