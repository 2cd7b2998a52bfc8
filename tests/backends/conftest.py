"""The website chat tests drive the REAL runtime like a browser: real HTTP and WebSockets on 127.0.0.1.

Only the team chat is replaced, by the shared recorder.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import aiohttp
import pytest

from tests.support.runtime import OPERATOR, Running
from tests.support.team import RecordingTeamChat
from tests.support.webchat import Tab


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start a runtime; the same ``data_dir`` again simulates a restart. All are stopped after."""
    started: list[Running] = []

    def make(data_dir: Path | None = None, team: RecordingTeamChat | None = None, **settings: Any) -> Running:
        running = Running(data_dir or tmp_path / "data", team, **settings)
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
