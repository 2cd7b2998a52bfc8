"""Telegram long polling runs in exactly one process of those sharing a journal, and fails over.

Two real processes on one journal (SQLite file or PostgreSQL database): one killed with SIGKILL. The
fake Bot API ends a long poll with 409 when another starts, as Telegram does, and counts such overlaps.
"""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from backends.telegram.backend import TelegramBackend
from bridge.model import ChannelBinding, Line, MessageKind
from journal_store import open_journal
from runtime.secrets import FernetSealer
from tests.channels.contract import eventually
from tests.support import fake_telegram as tg
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)
from tests.support.runtime import Running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:lease-test-token"
KEY = "lease test key"
LEASE = 2.0  # seconds; the product's is bridge.leases.LEASE_SECONDS


@pytest.fixture(params=("sqlite", "postgresql"))
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The settings every process of the test shares: one journal, one sealing key."""
    if request.param == "postgresql":
        return {"database_url": emptied(request.getfixturevalue("pg_database")), "secret_key": KEY}
    return {"journal_url": f"sqlite://{tmp_path / 'journal.sqlite3'}", "secret_key": KEY, "crm_url": "memory:"}


def seed(settings: dict[str, Any], fake: tg.FakeTelegram) -> ChannelBinding:
    journal = open_journal(settings.get("database_url") or settings["journal_url"],
                           sealer=FernetSealer.from_settings(KEY, ""))
    binding = ChannelBinding("support", "telegram", "123456", label="Telegram",
                             settings={"mode": "polling", "api_url": fake.url}, secrets={"token": TOKEN})
    try:
        asyncio.run(_save(journal, binding))
    finally:
        journal.close()
    return binding


async def _save(journal: Any, binding: ChannelBinding) -> None:
    await journal.config.save_line(Line(id="support", name="Support", operators=("alice",)))
    await journal.config.save_binding(binding)


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def start_other(started: list[subprocess.Popen[str]], data_dir: Path, settings: dict[str, Any]) -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.support.poller", str(data_dir), json.dumps(settings),
                                str(LEASE)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    started.append(process)
    assert process.stdout is not None and process.stdout.readline().startswith("ready"), "the other process died"


async def inbound_texts(runtime: Running, binding: ChannelBinding, customer: str) -> list[str]:
    journal = runtime.app.journal
    assert journal is not None
    found = await runtime.run(journal.conversations.customer_messages(binding.id, customer, limit=1000))
    return [m.text for m in found if m.kind is MessageKind.INBOUND]


async def test_one_process_polls_and_another_takes_over_when_it_dies(shared, tmp_path, other_process, monkeypatch):
    fake = tg.FakeTelegram(TOKEN)
    await fake.start()
    runtime: Running | None = None
    try:
        binding = await asyncio.to_thread(seed, shared, fake)
        await asyncio.to_thread(start_other, other_process, tmp_path / "a", shared)  # the first poller
        await eventually(lambda: "getUpdates" in fake.calls, "the other process to poll")

        monkeypatch.setattr(TelegramBackend, "lease_seconds", LEASE)
        runtime = await asyncio.to_thread(Running, tmp_path / "b", **shared)
        backend = runtime.app.channels.get(binding.id)
        assert isinstance(backend, TelegramBackend) and backend.poller is not None

        for n in range(1, 6):  # taken by the first process, while this one stands by
            fake.push(tg.text_update(n, 1001, n, f"message {n}"))
            await eventually(lambda: fake.confirmed(n), f"update {n} taken")
        await asyncio.sleep(3 * LEASE)  # long enough for a standby that polled anyway to show
        assert not backend.poller.holding and backend.poller.terms == 0
        assert fake.overlaps == 0

        other_process[0].send_signal(signal.SIGKILL)
        died = time.monotonic()
        fake.push(tg.text_update(5, 1001, 5, "message 5"), forced=True)  # a confirmation lost with the process
        for n in range(6, 11):
            fake.push(tg.text_update(n, 1001, n, f"message {n}"))
        await eventually(lambda: fake.confirmed(10) and fake.confirmed(5), "this process to take over")
        took = time.monotonic() - died
        print(f"taken over {took:.2f} s after the holder's SIGKILL (lease {LEASE} s)")
        assert backend.poller.holding and backend.poller.terms == 1
        assert took < LEASE + 2.0, f"taken over after {took:.1f} s"

        texts = await eventually(lambda: _all(runtime, binding), "every update stored")
        assert texts == [f"message {n}" for n in range(1, 11)]  # each exactly once, in order
        assert fake.overlaps == 0  # never two pollers at once
    finally:
        if runtime is not None:
            await asyncio.to_thread(runtime.stop)
        await fake.stop()


async def _all(runtime: Running, binding: ChannelBinding) -> list[str] | None:
    texts = await inbound_texts(runtime, binding, "1001")
    return texts if len(texts) >= 10 else None


async def test_a_clean_stop_hands_the_polling_over_at_once(shared, tmp_path, monkeypatch):
    fake = tg.FakeTelegram(TOKEN)
    await fake.start()
    monkeypatch.setattr(TelegramBackend, "lease_seconds", 60.0)  # a handover cannot be the lease running out
    first = second = None
    try:
        binding = await asyncio.to_thread(seed, shared, fake)
        first = await asyncio.to_thread(Running, tmp_path / "a", **shared)
        second = await asyncio.to_thread(Running, tmp_path / "b", **shared)
        one, two = (r.app.channels.get(binding.id) for r in (first, second))
        assert isinstance(one, TelegramBackend) and isinstance(two, TelegramBackend)
        assert one.poller is not None and two.poller is not None
        await eventually(lambda: one.poller.holding, "the first to poll")
        await asyncio.to_thread(first.stop)
        first = None
        await eventually(lambda: two.poller.holding, "the second to take over", timeout=60.0 / 8 + 5)
        fake.push(tg.text_update(1, 1002, 1, "after the handover"))
        await eventually(lambda: fake.confirmed(1), "the update taken")
        assert await inbound_texts(second, binding, "1002") == ["after the handover"]
        assert fake.overlaps == 0
    finally:
        for r in (first, second):
            if r is not None:
                await asyncio.to_thread(r.stop)
        await fake.stop()
