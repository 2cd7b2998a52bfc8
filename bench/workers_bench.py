"""Intake workers on PostgreSQL against the embedded store, in one run (issue 18).

Three set-ups, each on fresh storage, under the same closed-loop website-chat load:

- ``embedded``: one ``errbot -c config.py`` (SQLite journal) taking the visitors itself;
- ``pg 1 worker``: the team side (``errbot -c config.py``) and one ``python -m runtime.worker``
  on a fresh PostgreSQL database, the visitors on the worker;
- ``pg 2 workers``: the same with two workers, the visitors spread over both.

Per scenario it prints ack msg/s, ack p50/p99, team-room arrival p99 (when the post reached the
team side's terminal, read by a thread of this process), CPU µs per acknowledged message of each
product process and of the database's backends (``pg_stat_activity`` pids → ``/proc/<pid>/stat``;
backends that end during a scenario are not counted), transactions per message
(``pg_stat_database``), the core count and load average; with
``OPENLINES_PROBE_NAMES=1`` each process's CPU per message by thread too. It checks
every ack and every post in the team room (the Text backend's terminal) and exits 1 on a loss or
a double.

    .venv/bin/python bench/workers_bench.py [--quick] [--messages 100] [--visitors 16 --visitors 64]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.posts import MARKER, count_posts  # noqa: E402
from bench.product import (LOOSE, PROBE, TICKS, cpu_seconds, cpu_split, free_port, git_head, thread_cpu,  # noqa: E402
                           wait_http)
from bench.run_load import Load, drive, marker  # noqa: E402
from bench.stats import percentile  # noqa: E402

SERVER = os.environ.get("OPENLINES_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")
SETUPS = [("embedded", 0), ("pg 1 worker", 1), ("pg 2 workers", 2)]


class Proc:
    """A product process on a fixed port; its terminal read by a thread that stamps each team-room post."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.port = name, free_port()
        self.data = Path(tempfile.mkdtemp(prefix=f"openlines-wbench-{name}-"))
        environment = {**os.environ, **LOOSE, **env, "OPENLINES_DATA_DIR": str(self.data),
                       "OPENLINES_HTTP_PORT": str(self.port), "OPENLINES_TEAM_BACKEND": "Text",
                       "OPENLINES_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        if PROBE:  # OPENLINES_PROBE_NAMES=1: thread names in /proc, so each process's CPU is split by thread
            environment["PYTHONPATH"] = str(ROOT / "bench/probe")
        # The Text backend reads its terminal: a pipe that stays open and says nothing.
        self.proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self.posted: dict[str, float] = {}  # marker -> monotonic time first seen in a team-room post
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.lines.append(line)
            if "(customer · " in line:
                now = time.monotonic()
                for text in MARKER.findall(line):
                    self.posted.setdefault(text, now)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        shutil.rmtree(self.data, ignore_errors=True)  # its journal (embedded) or its log: nothing kept
        return "".join(self.lines)


class Database:
    """A fresh PostgreSQL database for one set-up, dropped after; its backends' CPU from /proc."""

    def __init__(self) -> None:
        base = SERVER.rstrip("/")
        self.root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
        self.name = f"openlines_wbench_{uuid.uuid4().hex[:10]}"
        self.url = f"{self.root}/{self.name}"
        with psycopg.connect(f"{self.root}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')

    def backends_cpu(self) -> dict[int, float]:
        with psycopg.connect(f"{self.root}/postgres", autocommit=True) as admin:
            pids = [r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                (self.name,)).fetchall()]
        seconds: dict[int, float] = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        return seconds

    def transactions(self) -> int:
        """Commits and rollbacks so far (the statistics are flushed within a second or so)."""
        with psycopg.connect(f"{self.root}/postgres", autocommit=True) as admin:
            row = admin.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                (self.name,)).fetchone()
        return int(row[0]) if row else 0

    def drop(self) -> None:
        with psycopg.connect(f"{self.root}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Setup:
    name: str
    team: Proc
    workers: list[Proc]
    database: Database | None
    texts: list[str] = field(default_factory=list)

    @property
    def intake(self) -> list[Proc]:
        return self.workers or [self.team]

    def db_cpu(self) -> dict[int, float]:
        return self.database.backends_cpu() if self.database else {}


async def start(name: str, workers: int) -> Setup:
    errbot = [str(ROOT / ".venv/bin/errbot"), "-c", str(ROOT / "config.py")]
    if not workers:
        team = Proc("embedded", errbot, {})
        await wait_http(team.port, "/webchat/support/", 90)
        return Setup(name, team, [], None)
    database = Database()
    env = {"OPENLINES_DATABASE_URL": database.url, "OPENLINES_SECRET_KEY": "a workers bench key"}
    team = Proc("team", errbot, env)
    await wait_http(team.port, "/webchat/support/", 90)  # the schema is made: the workers find it
    procs = [Proc(f"worker{i}", [sys.executable, "-m", "runtime.worker"], {**env, "OPENLINES_NODE": f"wbench-{i}"})
             for i in range(workers)]
    await asyncio.gather(*(wait_http(p.port, "/webchat/support/", 90) for p in procs))
    return Setup(name, team, procs, database)


async def spread(setup: Setup, run: str, visitors: int, messages: int) -> tuple[Load, list[str]]:
    """The visitors split evenly over the intake processes, all at once; one Load for all of them."""
    share = [visitors // len(setup.intake) + (1 if i < visitors % len(setup.intake) else 0)
             for i in range(len(setup.intake))]
    loads = await asyncio.gather(*(drive(p.port, f"{run}i{i}", n, messages, False)
                                   for i, (p, n) in enumerate(zip(setup.intake, share))))
    total = Load(seconds=max(load.seconds for load in loads), last_ack=max(load.last_ack for load in loads))
    for load in loads:
        total.sent.update(load.sent)
        total.acked.update(load.acked)
        total.doubled_acks += load.doubled_acks
        total.errors += load.errors
    texts = [marker(f"{run}i{i}", v, m) for i, n in enumerate(share) for v in range(n) for m in range(messages)]
    return total, texts


async def scenario(setup: Setup, run: str, visitors: int, messages: int) -> int:
    procs = [setup.team, *setup.workers]
    cpu0, db0 = [p.cpu() for p in procs], setup.db_cpu()
    threads0 = [thread_cpu(p.proc.pid) for p in procs]
    xacts0 = setup.database.transactions() if setup.database else 0
    load, texts = await spread(setup, run, visitors, messages)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(t in setup.team.posted for t in texts):
        await asyncio.sleep(0.05)
    acked = max(1, len(load.acked))
    cpu = {p.name: (p.cpu() - c) / acked * 1e6 for p, c in zip(procs, cpu0)}
    db1 = setup.db_cpu()
    db_us = sum(s - db0.get(pid, 0.0) for pid, s in db1.items()) / acked * 1e6
    xacts = 0.0
    if setup.database:
        await asyncio.sleep(1.0)  # the backends flush their statistics
        xacts = (setup.database.transactions() - xacts0) / acked
    arrivals = [setup.team.posted[t] - load.sent[t] for t in texts if t in setup.team.posted and t in load.sent]
    acks = list(load.acked.values())
    setup.texts += texts
    db = f" · db backends {db_us:.0f} ({len(db1)}), {xacts:.1f} transactions/msg" if setup.database else ""
    db += f" · all {sum(cpu.values()) + db_us:.0f}"
    print(f"{setup.name:<13} {visitors:>3} closed  {len(load.acked) / load.seconds:>6,.0f} msg/s  "
          f"ack p50/p99 {percentile(acks, 50) * 1e3:>6.1f}/{percentile(acks, 99) * 1e3:>6.1f} ms  "
          f"room p99 {percentile(arrivals, 99) * 1e3:>6.0f} ms  sent {len(load.sent)} acked {len(load.acked)} "
          f"in room {len(arrivals)}  load {os.getloadavg()[0]:.1f}", flush=True)
    print("  CPU µs/msg: " + " · ".join(f"{n} {us:.0f}" for n, us in cpu.items()) + db, flush=True)
    if PROBE:
        for p, before in zip(procs, threads0):
            print(f"    {p.name} by thread: {cpu_split(before, thread_cpu(p.proc.pid), acked)}", flush=True)
    if len(load.acked) != len(texts) or load.doubled_acks or load.errors:
        print(f"  LOST ACKS or ERRORS: acked {len(load.acked)} of {len(texts)}, doubled {load.doubled_acks}, "
              f"{load.errors[:3]}", flush=True)
        return 1
    return 0


async def bench(name: str, workers: int, scenarios: list[int], messages: int, index: int) -> int:
    setup = await start(name, workers)
    failures = 0
    try:
        for visitors in scenarios:
            failures += await scenario(setup, f"W{index}v{visitors}", visitors, messages)
    finally:
        for worker in setup.workers:
            worker.stop()
        output = setup.team.stop()
        if setup.database:
            setup.database.drop()
    posts = count_posts("Text", setup.team.data, output, setup.texts)
    print(f"{name}: team room holds {posts.once} of {len(setup.texts)} once, {posts.doubled} DOUBLED, "
          f"{posts.missing} LOST, {posts.unexpected} with another text", flush=True)
    return failures + (1 if posts.doubled or posts.missing or posts.unexpected else 0)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100, help="per visitor (--quick: 30)")
    parser.add_argument("--visitors", type=int, action="append", default=[], help="repeatable; default 16 and 64")
    parser.add_argument("--quick", action="store_true", help="30 messages per visitor: under 3 minutes")
    args = parser.parse_args()
    messages = 30 if args.quick else args.messages
    scenarios = args.visitors or [16, 64]
    print(f"product: {ROOT} at {git_head(ROOT)}; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {messages} messages per visitor", flush=True)
    failures = 0
    for index, (name, workers) in enumerate(SETUPS):
        failures += await bench(name, workers, scenarios, messages, index)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
