"""The journal contract suite runs against every journal store: a new store passes it to count."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import pytest

from bridge.store import Journal
from journal_store import Sealer, open_journal

Opener = Callable[[], Awaitable[Journal]]


def _sqlite(path: Path, synchronous: str) -> Callable[[], Awaitable[Journal]]:
    async def open_() -> Journal:
        return await asyncio.to_thread(open_journal, f"sqlite://{path}", synchronous=synchronous, sealer=Sealer())
    return open_


# A PostgreSQL store adds itself here (with its own URL) and must pass every test.
STORES = {"sqlite": "FULL", "sqlite-normal-sync": "NORMAL"}


@pytest.fixture(params=sorted(STORES))
async def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """``await reopen()`` opens the journal (again: a restart); every journal opened is closed after."""
    opened: list[Journal] = []
    open_ = _sqlite(tmp_path / "journal.sqlite3", STORES[request.param])

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
