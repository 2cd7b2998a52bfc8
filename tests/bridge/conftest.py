"""The bridge tests run the real core over a real journal, on each store (see tests/support/app.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest

from tests.support.app import App, make_app as build
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)


@pytest.fixture(params=("sqlite", "postgresql"))
def journal_at(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the test's journal lives: a new SQLite file, or the module's PostgreSQL database emptied."""
    if request.param == "postgresql":
        return emptied(request.getfixturevalue("pg_database"))
    return tmp_path / "journal.sqlite3"


@pytest.fixture
async def make_app(journal_at: Path | str) -> AsyncIterator[Callable[..., Awaitable[App]]]:
    """``await make_app(start=False)`` is a process that crashes before delivering anything;
    the same ``path`` (and CRM ``store``, team chat, clock) again is its restart."""
    apps: list[App] = []

    async def make(*, path: Path | str | None = None, **kwargs: Any) -> App:
        app = await build(path or journal_at, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.shutdown()


@pytest.fixture
async def app(make_app: Callable[..., Awaitable[App]]) -> App:
    return await make_app()
