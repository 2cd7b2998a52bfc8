"""The journal contract suite runs against every journal store: a new store passes it to count."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from bridge.store import Journal
from journal_store import Sealer, open_journal
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)

Opener = Callable[[], Awaitable[Journal]]


def _opener(url: str, synchronous: str = "FULL") -> Callable[[], Awaitable[Journal]]:
    async def open_() -> Journal:
        return await asyncio.to_thread(open_journal, url, synchronous=synchronous, sealer=Sealer())
    return open_


# Every store passes every test of the contract.
STORES = ("sqlite", "sqlite-normal-sync", "postgresql")


@pytest.fixture(params=STORES)
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's journal lives: a new SQLite file, or the module's PostgreSQL database emptied."""
    if request.param == "postgresql":
        return emptied(request.getfixturevalue("pg_database"))
    return f"sqlite://{tmp_path / 'journal.sqlite3'}"


@pytest.fixture
async def reopen(request: pytest.FixtureRequest, journal_url: str) -> AsyncIterator[Opener]:
    """``await reopen()`` opens the journal (again: a restart); every journal opened is closed after."""
    opened: list[Journal] = []
    sync = "NORMAL" if request.node.callspec.params.get("journal_url") == "sqlite-normal-sync" else "FULL"
    open_ = _opener(journal_url, sync)

    async def reopen_() -> Journal:
        journal = await open_()
        opened.append(journal)
        return journal

    yield reopen_
    for journal in opened:
        await asyncio.to_thread(journal.close)


@pytest.fixture
async def journal(reopen: Opener) -> Journal:
    return await reopen()
