"""The contract suite's fixtures: the real runtime on a moved clock, parametrised over every harness.

A new channel adds its ``harness_<kind>.py`` and one line to ``HARNESSES``. Each test runs on the
embedded stores and, with ``OPENLINES_TEST_POSTGRES`` set, again on PostgreSQL (``database_url``).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest

from tests.channels.channel import Channel
from tests.channels.contract import Harness
from tests.support.clock import FakeClock
from tests.support.postgres import database_url, drop_on_postgres, pg_database  # noqa: F401  (fixtures)
from tests.support.runtime import Running

# id -> "module:factory" under tests/channels (imported lazily: one broken harness fails only its own tests).
HARNESSES = {
    "webchat": "harness_webchat:WebchatHarness",
    "telegram-polling": "harness_telegram:TelegramPollingHarness",
    "telegram-webhook": "harness_telegram:TelegramWebhookHarness",
    "viber": "harness_viber:ViberHarness",
    "botframework": "harness_botframework:BotFrameworkHarness",
    "facebook": "harness_meta:FacebookHarness", "instagram": "harness_meta:InstagramHarness",
}


# On PostgreSQL: the contract over the website chat, a polled and two webhook platforms (what differs
# between harnesses is the platform's side, not the store's), and kept events across restarts.
ON_POSTGRES = {"webchat", "telegram-polling", "facebook", "viber"}


def _on_postgres(item: pytest.Item) -> bool:
    harness = getattr(getattr(item, "callspec", None), "params", {}).get("harness")
    return (item.path.stem == "test_contract" and harness in ON_POSTGRES) or item.path.stem == "test_kept_events"


def _factory(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"tests.channels.{module}"), name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def runtime(tmp_path: Path, clock: FakeClock, harness: Harness, database_url: str) -> Iterator[Running]:
    """Started after the harness and stopped before it: a backend stops while its platform still answers."""
    running = Running(tmp_path / "data", clock=clock, database_url=database_url)
    yield running
    running.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(feature): run only over harnesses whose platform has it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each contract test runs over the harnesses that have what it needs: a point a platform does
    not have (the website chat has no platform to fail) is not a test of it, rather than a skip."""
    kept, dropped = [], []
    for item in items:
        harness_id = getattr(getattr(item, "callspec", None), "params", {}).get("harness")
        needed = {m.args[0] for m in item.iter_markers("needs")}
        if harness_id in HARNESSES and not needed <= set(_factory(HARNESSES[harness_id]).features):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    drop_on_postgres(config, items, Path(__file__).parent, _on_postgres)


@pytest.fixture(params=sorted(HARNESSES))
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    made: Harness = _factory(HARNESSES[request.param])()
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def channel(runtime: Running, harness: Harness, clock: FakeClock) -> Channel:
    binding = await harness.connect(runtime)
    assert runtime.app.channels.get(binding.id) is not None, runtime.app.channels.failed
    return Channel(runtime, harness, binding, clock)
