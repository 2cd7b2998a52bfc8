"""The website chat tests drive the REAL runtime like a browser: real HTTP and WebSockets on 127.0.0.1.

Only the team chat is replaced, by the shared recorder. Each test runs on the embedded stores and,
with ``OPENLINES_TEST_POSTGRES`` set, again on PostgreSQL (``database_url``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import aiohttp
import pytest

from tests.support.postgres import database_url, drop_on_postgres, pg_database  # noqa: F401  (fixtures)
from tests.support.runtime import OPERATOR, Running
from tests.support.team import RecordingTeamChat
from tests.support.webchat import Tab


# The modules whose tests reach the stores (history, restarts, timers, files, group commit) run on
# PostgreSQL too; frame parsing, limits, origins and fuzzing do not touch a store and run once.
ON_POSTGRES = {"test_webchat_conversation", "test_webchat_durability", "test_webchat_pipelining",
               "test_webchat_upload", "test_webchat_mail", "test_webchat_live_vs_history",
               "test_webchat_languages", "test_webchat_tokens", "test_webchat_on_postgres"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    drop_on_postgres(config, items, Path(__file__).parent, lambda item: item.path.stem in ON_POSTGRES)


@pytest.fixture
def make_runtime(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Running]]:
    """Start a runtime; the same ``data_dir`` again simulates a restart (on the same database). All are
    stopped after."""
    started: list[Running] = []

    def make(data_dir: Path | None = None, team: RecordingTeamChat | None = None, **settings: Any) -> Running:
        running = Running(data_dir or tmp_path / "data", team, **{"database_url": database_url, **settings})
        started.append(running)
        return running

    yield make
    for running in reversed(started):
        running.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., Running]) -> Running:
    return make_runtime()


@pytest.fixture
def team(runtime: Running) -> RecordingTeamChat:
    return runtime.team


@pytest.fixture
def base_url(runtime: Running) -> str:
    return runtime.base_url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connect(session: aiohttp.ClientSession, runtime: Running) -> AsyncIterator[Callable[..., Any]]:
    """``await connect()`` opens a tab on the "support" widget (of ``runtime``, or of ``port=``)."""
    tabs: list[Tab] = []

    async def open_tab(widget: str = "support", *, port: int | None = None, **kwargs: Any) -> Tab:
        url = f"http://127.0.0.1:{port or runtime.http_port}/webchat/{widget}/ws"
        tab = Tab(await session.ws_connect(url, **kwargs))
        tabs.append(tab)
        return tab

    yield open_tab
    for tab in tabs:
        await tab.close()


@pytest.fixture
def reply(runtime: Running) -> Callable[..., Any]:
    """``await reply(conversation_id, text)``: the operator answers through the real core."""

    async def send(conversation_id: str, text: str, operator: str = OPERATOR) -> Any:
        return await runtime.run(runtime.app.actions.reply(conversation_id, operator, text))

    return send
