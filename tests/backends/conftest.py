"""Fixtures for the website chat tests: the REAL runtime (its own loop, thread and HTTP server).

Only the team chat is replaced, by a recorder. The tests talk to the runtime like a browser
does: real HTTP and real WebSockets on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest

from plugins.runtime import Runtime
from plugins.settings import Settings
from webchat_client import RecordingTeamChat, Tab

OPERATOR = "alice"


@pytest.fixture
def make_runtime(tmp_path: Path) -> Callable[..., Runtime]:
    """Start a runtime; the same ``data_dir`` again simulates a restart. All are stopped after."""
    started: list[Runtime] = []

    def make(data_dir: Path | None = None, team: RecordingTeamChat | None = None) -> Runtime:
        settings = Settings(data_dir=str(data_dir or tmp_path / "data"), http_port=0, operators=(OPERATOR,))
        runtime = Runtime(settings, team=team or RecordingTeamChat())
        runtime.start()
        started.append(runtime)
        return runtime

    yield make
    for runtime in reversed(started):
        runtime.stop()


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime()


@pytest.fixture
def team(runtime: Runtime) -> RecordingTeamChat:
    return runtime.team


@pytest.fixture
def base_url(runtime: Runtime) -> str:
    return f"http://127.0.0.1:{runtime.http_port}"


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connect(session: aiohttp.ClientSession, runtime: Runtime):
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
def reply(runtime: Runtime):
    """``await reply(conversation_id, text)``: the operator answers through the real service."""

    async def send(conversation_id: str, text: str, operator: str = OPERATOR):
        return await asyncio.to_thread(runtime.call, runtime.service.reply(conversation_id, operator, text))

    return send
