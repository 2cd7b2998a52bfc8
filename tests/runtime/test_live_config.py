"""A line or channel changed in one process is live in every other on the same journal within a second.

Two real runtimes (each its loop, HTTP server and channels) on one SQLite file or PostgreSQL database:
what an admin changes through one, the other serves — its directory and its running channels — with
no restart, by the config version each polls (bridge.config_watch).
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest

from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)
from tests.support.runtime import OPERATOR, Running

LIVE_WITHIN = 1.0  # seconds: the promise (docs/operations.md); the poll is every 0.5 s


@pytest.fixture(params=("sqlite", "postgresql"))
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "postgresql":
        return {"database_url": emptied(request.getfixturevalue("pg_database")), "secret_key": "k"}
    return {"journal_url": f"sqlite://{tmp_path / 'journal.sqlite3'}", "secret_key": "k", "crm_url": "memory:"}


async def live_within(what: str, predicate: Callable[[], bool]) -> float:
    started = time.monotonic()
    while not predicate():
        took = time.monotonic() - started
        assert took < LIVE_WITHIN, f"{what}: not live in the other process after {took:.2f} s"
        await asyncio.sleep(0.02)
    took = time.monotonic() - started
    print(f"{what}: live in the other process after {took:.2f} s")
    return took


async def page(runtime: Running, path: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(runtime.base_url + path) as response:
        return response.status


async def test_a_change_in_one_process_is_live_in_the_other(shared, tmp_path):
    one = await asyncio.to_thread(Running, tmp_path / "one", **shared)
    other = await asyncio.to_thread(Running, tmp_path / "other", **shared)
    try:
        admin, channels = one.app.services.admin, one.app.services.channel_admin
        there = other.app.services.directory

        await one.run(admin.create(OPERATOR, "Sales"))
        await live_within("a new line", lambda: "sales" in there.lines)
        await one.run(admin.set(OPERATOR, "Sales", "welcome_text", "Hi from sales"))
        await live_within("a line setting", lambda: there.lines["sales"].settings.welcome_text == "Hi from sales")
        await one.run(admin.enable(OPERATOR, "Sales", False))
        await live_within("a disabled line", lambda: not there.lines["sales"].enabled)

        await one.run(channels.connect(OPERATOR, "Sales", "webchat", {"widget": "sales"}, private=False))
        await live_within("a new channel", lambda: "webchat:sales" in other.app.channels.backends)
        assert await page(other, "/webchat/sales/") == 200  # served by the other process
        started = other.app.channels.backends["webchat:sales"]
        await one.run(channels.connect(OPERATOR, "Sales", "webchat", {"title": "Sales desk"}, private=False))
        await live_within("a changed channel", lambda: other.app.channels.backends.get("webchat:sales")
                          not in (None, started))
        assert other.app.channels.backends["webchat:sales"].binding.settings["title"] == "Sales desk"
        assert other.app.channels.backends["webchat:support"] is not None  # the others left running

        kept = other.app.channels.backends["webchat:support"]
        await one.run(channels.disconnect(OPERATOR, "Sales", "webchat"))
        await live_within("a removed channel", lambda: "webchat:sales" not in other.app.channels.backends)
        assert await page(other, "/webchat/sales/") == 404
        assert other.app.channels.backends["webchat:support"] is kept  # an unchanged channel is never restarted
        assert one.app.channels.backends["webchat:support"] is not None
    finally:
        await asyncio.to_thread(other.stop)
        await asyncio.to_thread(one.stop)


async def test_the_process_that_made_a_change_starts_its_channel_once(shared, tmp_path):
    one = await asyncio.to_thread(Running, tmp_path / "one", **shared)
    try:
        await one.run(one.app.services.admin.create(OPERATOR, "Sales"))
        connect = one.app.services.channel_admin.connect(OPERATOR, "Sales", "webchat", {"widget": "sales"},
                                                         private=False)
        await one.run(connect)
        started = one.app.channels.backends["webchat:sales"]
        await asyncio.sleep(1.5)  # the watch sees its own change: nothing to do
        assert one.app.channels.backends["webchat:sales"] is started
    finally:
        await asyncio.to_thread(one.stop)
