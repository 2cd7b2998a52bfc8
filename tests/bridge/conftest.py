"""The bridge tests run the real core over a real SQLite journal (see tests/support/app.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest

from tests.support.app import App, make_app as build


@pytest.fixture
async def make_app(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[App]]]:
    """``await make_app(start=False)`` is a process that crashes before delivering anything;
    the same ``path`` (and CRM ``store``, team chat, clock) again is its restart."""
    apps: list[App] = []

    async def make(*, path: Path | None = None, **kwargs: Any) -> App:
        app = await build(path or tmp_path / "journal.sqlite3", **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.shutdown()


@pytest.fixture
async def app(make_app: Callable[..., Awaitable[App]]) -> App:
    return await make_app()
