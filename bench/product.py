"""The product as a process for ``run_bench``: started from a tree, its CPU (per thread), RSS, and probes.

``OPENLINES_PROBE_*`` (see ``bench/probe/sitecustomize.py``) loads a probe into the product: thread
names for the per-thread CPU (``NAMES``), tracemalloc (``MEM``), cProfile (``PROFILE``) or a stack
sampler (``CPU``); analysis only, the figures of a probed run are not the product's.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.open_chats import measure as measure_chats
from bench.run_load import ArrivalWatch

ROOT = Path(__file__).resolve().parents[1]
LOOSE = {f"OPENLINES_{k}": "1000000" for k in (
    "WEBCHAT_BURST", "WEBCHAT_MESSAGES_PER_MINUTE", "WEBCHAT_NEW_VISITORS_PER_MINUTE", "WEBCHAT_HELLOS_PER_MINUTE",
    "WEBCHAT_SOCKETS_PER_VISITOR", "WEBCHAT_SOCKETS_PER_IP", "CONNECTIONS_PER_IP")}
TICKS = os.sysconf("SC_CLK_TCK")
TREES = [ROOT]  # --tree: the product run from another checkout (an older commit, for a same-run before/after)
PROBE = any(os.environ.get(f"OPENLINES_PROBE_{k}") for k in ("MEM", "CPU", "PROFILE", "SWITCH", "NAMES"))


def git_head(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


SYS_SPLIT = bool(os.environ.get("OPENLINES_PROBE_SYS"))


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (threads of one name, the team pool's, summed; numbers dropped)."""
    seconds: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip().rstrip("0123456789").rstrip("_-")
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
        if SYS_SPLIT:  # the kernel's part apart (syscalls: sockets, wake-ups, fsync)
            seconds[f"{name}/sys"] = seconds.get(f"{name}/sys", 0.0) + int(fields[12]) / TICKS
    return seconds


def cpu_split(before: dict[str, float], after: dict[str, float], messages: int) -> str:
    """Each thread's CPU µs per message in a scenario, largest first (threads that ended are not counted)."""
    used = {name: (after[name] - before.get(name, 0.0)) / max(1, messages) * 1e6 for name in after}
    return ", ".join(f"{name} {us:.0f}" for name, us in sorted(used.items(), key=lambda kv: -kv[1]) if us >= 5)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_http(port: int, path: str, seconds: float = 60) -> None:
    import aiohttp
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}{path}") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"nothing answered http://127.0.0.1:{port}{path} in {seconds:.0f} s")


class Product:
    """``errbot -c config.py`` on a fresh data dir, its output kept in a file."""

    def __init__(self, backend: str, tree: Path = ROOT) -> None:
        self.backend, self.port = backend, free_port()
        self.data = Path(tempfile.mkdtemp(prefix="openlines-runbench-"))
        self.out = open(self.data.parent / f"{self.data.name}.out", "w+b")
        env = {**os.environ, **LOOSE, "OPENLINES_DATA_DIR": str(self.data), "OPENLINES_HTTP_PORT": str(self.port),
               "OPENLINES_TEAM_BACKEND": backend, "OPENLINES_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        if PROBE:  # bench/probe/sitecustomize.py: tracemalloc or a stack sampler in the product (analysis)
            env["PYTHONPATH"] = str(ROOT / "bench/probe")
        self.started = time.monotonic()
        # The Text backend reads its terminal: a pipe that stays open and says nothing.
        self.proc = subprocess.Popen([str(tree / ".venv/bin/errbot"), "-c", str(tree / "config.py")], cwd=tree,
                                     env=env, stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")


async def chats_memory(backend: str, chats: int) -> int:
    """RSS per open chat with its socket, on a product of its own (fresh allocator, empty journal)."""
    product = Product(backend, TREES[0])
    try:
        await wait_http(product.port, "/webchat/support/", 180 if PROBE else 60)
    except SystemExit:
        product.stop()
        raise
    watch = ArrivalWatch(product.data / "journal.sqlite3")

    async def arrived(texts: list[str]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(t in watch.arrived for t in texts):
            await asyncio.to_thread(watch.poll)
            await asyncio.sleep(0.1)

    marks = iter([signal.SIGRTMIN + 1, signal.SIGRTMIN + 2] if os.environ.get("OPENLINES_PROBE_MEM") else [])

    def rss() -> float:  # with a probe: a baseline snapshot before, its growth written after
        mark = next(marks, None)
        if mark is not None:
            out = Path(os.environ["OPENLINES_PROBE_MEM"])
            out.unlink(missing_ok=True)
            os.kill(product.proc.pid, mark)
            deadline = time.monotonic() + 300
            while mark == signal.SIGRTMIN + 2 and not out.exists() and time.monotonic() < deadline:
                time.sleep(0.5)  # a snapshot of every block takes a while
        return rss_mb(product.proc.pid)

    result = await measure_chats(product.port, f"{backend[0]}c", chats, rss, arrived)
    print(f"{backend}: {result.line()}", flush=True)
    product.stop()
    return 0 if result.opened == chats else 1


def profile_dump(product: Product, name: str) -> None:
    """With OPENLINES_PROBE_CPU=<file>: the product's stack samples of the scenario, to <file>.<name>."""
    out = os.environ.get("OPENLINES_PROBE_CPU") or os.environ.get("OPENLINES_PROBE_PROFILE")
    if not out:
        return
    Path(out).unlink(missing_ok=True)
    os.kill(product.proc.pid, signal.SIGRTMIN + 2)
    deadline = time.monotonic() + 30
    while not Path(out).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if Path(out).exists():
        Path(out).rename(f"{out}.{name}")


