"""Sign-in burst: wrong passwords from many addresses while a file is downloaded again and again.

Prints how the burst was answered (401 / 429 / 503), the CPU it cost, and the file downloads'
latency during the burst next to the same downloads at rest. Addresses are 127.0.x.y (Linux
routes all of 127.0.0.0/8 to loopback).

    .venv/bin/python bench/signin_burst.py [--attempts 1000] [--addresses 200]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from backends.team.console.accounts import Accounts  # noqa: E402
from backends.team.console.web import ConsoleWeb  # noqa: E402
from bench.stats import percentile  # noqa: E402
from runtime.files import DiskFiles  # noqa: E402


async def downloads(url: str, until: asyncio.Event) -> list[float]:
    took: list[float] = []
    async with aiohttp.ClientSession() as session:
        while not until.is_set():
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
            took.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)
    return took


async def attempt(base: str, n: int, addresses: int) -> int:
    source = f"127.0.{1 + n % addresses // 250}.{1 + n % addresses % 250}"
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector, headers={"Origin": base}) as session:
        async with session.post(f"{base}/team/signin", json={"login": "admin", "password": f"guess {n}"}) as r:
            return r.status


async def main(attempts: int, addresses: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        accounts = Accounts(f"{data}/console.sqlite3")
        accounts.invite("admin")
        accounts.set_password("admin", "the admin's own password")
        files = DiskFiles(Path(data) / "files", "")
        console = ConsoleWeb(accounts, lambda ws, s: asyncio.sleep(0), lambda: files, public_url="",
                             http_host="127.0.0.1")
        app = web.Application()
        app.add_routes([*console.routes(), web.get("/files/{token}/{name}", files.serve)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        stored = await files.put(b"%PDF-1.4 " + b"x" * 100_000, "a.pdf", "application/pdf")
        file_url = base + stored.url

        quiet = asyncio.Event()
        rest = asyncio.ensure_future(downloads(file_url, quiet))
        await asyncio.sleep(1)
        quiet.set()
        at_rest = await rest

        burst_over = asyncio.Event()
        during = asyncio.ensure_future(downloads(file_url, burst_over))
        cpu, start = time.process_time(), time.perf_counter()
        statuses = await asyncio.gather(*[attempt(base, n, addresses) for n in range(attempts)])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        burst_over.set()
        busy = await during
        await runner.cleanup()
        accounts.close()

    counts = collections.Counter(statuses)
    print(f"{attempts} wrong sign-ins from {addresses} addresses in {seconds:.1f} s, {cpu:.1f} s CPU: "
          + ", ".join(f"{status} ×{n}" for status, n in sorted(counts.items())))
    for name, took in (("at rest", at_rest), ("during the burst", busy)):
        print(f"file downloads {name}: {len(took)}, p50 {percentile(took, 50) * 1000:.1f} ms, "
              f"p99 {percentile(took, 99) * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--addresses", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.attempts, args.addresses))
