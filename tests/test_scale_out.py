"""Scale-out as real processes: the team side (`errbot -c config.py`) and two intake workers
(`python -m runtime.worker`) on one fresh PostgreSQL database.

Website-chat visitors are spread over both workers, each with a second tab on
the other one; an operator answers from the team side while they write. One
worker is SIGKILLed mid-load and restarted: its visitors go on through the
other worker, resending what was not acknowledged (same client ids). Then every
acknowledged message is in the history once and in the team room once, every
operator reply reached its visitor once on every socket, and no worker's data
dir holds any message text.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.postgres import pg_database  # noqa: F401  (a fixture)
from tests.support.process import ROOT, OpenLinesProcess, WorkerProcess
from tests.support.visitors import Visitor
from tests.support.webchat import wait_until

VISITORS, MESSAGES = 12, 8
RUN = uuid.uuid4().hex[:10]  # in every text: what no worker's data dir may hold
GONE = (ConnectionError, RuntimeError, AssertionError, aiohttp.ClientError, asyncio.TimeoutError)
LIMITS = {"OPENLINES_WEBCHAT_NEW_VISITORS_PER_MINUTE": "1000", "OPENLINES_WEBCHAT_HELLOS_PER_MINUTE": "1000",
          "OPENLINES_WEBCHAT_MESSAGES_PER_MINUTE": "1000", "OPENLINES_WEBCHAT_BURST": "100"}


def said(visitor: Visitor, i: int) -> str:
    return f"{RUN} {visitor.name} says {i}."


def reply(visitor: Visitor, round_: int) -> str:
    return f"{RUN} answer {round_} to {visitor.name}."


class Install:
    """The processes of one install, and what it takes to kill and restart a worker."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.env = {"OPENLINES_DATABASE_URL": database_url, "OPENLINES_SECRET_KEY": "a scale-out test key",
                    **LIMITS}
        self.team = OpenLinesProcess(root / "team", **self.env)
        self.workers: dict[str, WorkerProcess] = {}
        with ThreadPoolExecutor(2) as pool:
            for name, worker in zip("AB", pool.map(self.worker, "AB")):
                self.workers[name] = worker

    def worker(self, name: str) -> WorkerProcess:
        return WorkerProcess(self.root / f"worker-{name}", OPENLINES_NODE=f"worker-{name}", **self.env)

    def port(self, name: str) -> int:
        return self.workers[name].port

    def stop(self) -> None:
        for process in (*self.workers.values(), self.team):
            process.kill()


def _worker_alone(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINES_")}
    return subprocess.run([sys.executable, "-m", "runtime.worker"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**environment, "OPENLINES_DATA_DIR": str(tmp_path), **env})


def test_a_worker_without_the_shared_database_or_key_says_what_is_missing_in_one_line(tmp_path):
    for env, missing in (({}, "OPENLINES_DATABASE_URL"),
                         ({"OPENLINES_DATABASE_URL": f"sqlite://{tmp_path}/journal.sqlite3"}, "OPENLINES_DATABASE_URL"),
                         ({"OPENLINES_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "OPENLINES_SECRET_KEY")):
        done = _worker_alone(tmp_path, **env)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr.count("\n") == 1 and missing in done.stderr, done.stderr


def test_a_worker_serves_until_sigterm_then_stops_cleanly(pg_database, tmp_path):
    worker = WorkerProcess(tmp_path / "worker", OPENLINES_DATABASE_URL=pg_database, OPENLINES_SECRET_KEY="k")
    try:
        assert worker.health()["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/readyz", timeout=5) as response:
            ready = json.load(response)  # a 503 would raise: the team chat elsewhere holds nothing up
        assert (ready["status"], ready["team_chat"]) == ("ready", "elsewhere"), ready
    finally:
        worker.stop()
    assert worker.process.returncode == 0
    assert worker.output.startswith("Open Lines worker worker-"), worker.output  # its name: one per process


def test_two_workers_and_the_team_side_lose_and_double_nothing_when_a_worker_dies(pg_database, tmp_path):
    started = time.monotonic()
    install = Install(tmp_path, pg_database)
    try:
        counts = asyncio.run(_run(install))
    finally:
        install.stop()
    counts["seconds"] = round(time.monotonic() - started, 1)
    print("scale-out:", " · ".join(f"{k} {v}" for k, v in counts.items()))
    assert counts["duplicates"] == 0 and counts["lost"] == 0
    for name in "AB":
        for path in (tmp_path / f"worker-{name}").rglob("*"):
            assert not path.is_file() or RUN.encode() not in path.read_bytes(), f"message text in {path}"


async def _run(install: Install) -> dict[str, int]:
    async with aiohttp.ClientSession() as session:
        visitors = [Visitor(f"V{i}", session) for i in range(VISITORS)]
        for i, visitor in enumerate(visitors):  # a home tab on one worker, a second tab on the other
            home, other = ("A", "B") if i % 2 == 0 else ("B", "A")
            await visitor.open_tab(home, install.port(home))
            await visitor.open_tab(other, install.port(other))
        killed = asyncio.Event()
        await asyncio.gather(*(_talk(v, install, killed) for v in visitors), _kill_mid_load(install, visitors, killed),
                             _answer(install, visitors, 1))
        for visitor in visitors:  # tabs that were on the dead worker come back to the restarted one
            if not any(t.where == "A" for t in visitor.open_tabs()):
                await visitor.open_tab("A", install.port("A"))
        await _answer(install, visitors, 2)
        for visitor in visitors:  # the second answer reaches every tab live, whichever worker holds it
            for tab in visitor.open_tabs():
                await tab.first(lambda f, v=visitor: f.get("text") == reply(v, 2), 20, f"answer 2 on {tab.where}")
        return await _counted(install, visitors)


async def _talk(visitor: Visitor, install: Install, killed: asyncio.Event) -> None:
    tab = visitor.tabs[0]
    for i in range(MESSAGES):
        while True:
            try:
                await visitor.say(tab, f"{visitor.name}-{i}", said(visitor, i))
                break
            except GONE:  # only the killed worker may fail us: go on through the other one
                assert tab.where == "A", f"{visitor.name} lost its tab on worker {tab.where}"
                await killed.wait()
                tab = await visitor.open_tab("B", install.port("B"))
                visitor.resent += 1  # the same client id again: stored once whoever stored it first
        await asyncio.sleep(0.05)


async def _kill_mid_load(install: Install, visitors: list[Visitor], killed: asyncio.Event) -> None:
    await wait_until(lambda: sum(len(v.acks) for v in visitors) >= VISITORS * MESSAGES // 3, 30, "a third")
    await asyncio.to_thread(install.workers["A"].kill)
    killed.set()
    install.workers["A"] = await asyncio.to_thread(install.worker, "A")


async def _answer(install: Install, visitors: list[Visitor], round_: int) -> None:
    """The operator writes to every conversation from the team side (`!reply` on its terminal)."""
    await wait_until(lambda: all(v.acks for v in visitors), 30, "a conversation per visitor")
    start = len(install.team.output)
    for visitor in visitors:
        install.team.type(f"!reply {visitor.conversation_id} {reply(visitor, round_)}")
    confirmed = re.compile(r"Sent to the customer of conversation \d+\.")
    await wait_until(lambda: len(confirmed.findall(install.team.output, start)) >= len(visitors), 30, "sent")


async def _counted(install: Install, visitors: list[Visitor]) -> dict[str, int]:
    team = install.team
    acked = [said(v, int(cid.rsplit("-", 1)[1])) for v in visitors for cid in v.acks]
    await wait_until(lambda: all(f"): {text}" in team.output for text in acked), 30, "every message in its room")
    await asyncio.sleep(1.0)  # a post made twice would show by now
    relayed = {text: team.output.count(f"(customer · Website chat): {text}") for text in acked}
    final: dict[str, list[dict[str, Any]]] = {}
    for visitor in visitors:  # the history as a visitor coming back reads it
        tab = await visitor.open_tab("B", install.port("B"))
        final[visitor.name] = tab.history
        await tab.close()
    stored = [m["text"] for history in final.values() for m in history if m["from"] == "customer"]
    answers = [m["text"] for history in final.values() for m in history if m["text"].startswith(f"{RUN} answer")]
    pushed = _pushed_twice(visitors)
    return {
        "sent": VISITORS * MESSAGES, "acknowledged": len(acked), "resent": sum(v.resent for v in visitors),
        "relayed": sum(relayed.values()), "answers": len(answers),
        "duplicates": sum(n - 1 for n in relayed.values() if n > 1) + len(stored) - len(set(stored)) + pushed
        + len(answers) - len(set(answers)),
        "lost": sum(1 for n in relayed.values() if n == 0) + len(set(acked) - set(stored))
        + sum(1 for v in visitors for r in (1, 2) if reply(v, r) not in answers)
        + sum(1 for v in visitors for r in (1, 2) if not _reached(v, reply(v, r))),
    }


def _pushed_twice(visitors: list[Visitor]) -> int:
    """Frames one socket got more than once (a message, an answer, the page's own echo)."""
    twice = 0
    for visitor in visitors:
        for tab in visitor.tabs:
            seqs = [f["seq"] for f in tab.live()]  # one also in its history is the protocol's, kept once
            twice += len(seqs) - len(set(seqs))
    return twice


def _reached(visitor: Visitor, text: str) -> bool:
    return any(m["text"] == text for tab in visitor.tabs for m in (*tab.history, *tab.live()))

