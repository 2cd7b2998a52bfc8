"""Fixtures for the crm_store tests: a store of each kind, and a record of file accesses.

pytest.ini puts the repo root on sys.path.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.crm_store.crm_support import FileEvents

from crm_store import CrmStore, MemoryCrm, TinyDbCrm


@pytest.fixture(params=["memory", "tinydb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], CrmStore]]:
    """A factory, so a test can open the same TinyDB directory twice; all stores closed after."""
    opened: list[CrmStore] = []

    def make() -> CrmStore:
        store: CrmStore = MemoryCrm() if request.param == "memory" else TinyDbCrm(tmp_path / "crm")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], CrmStore]) -> CrmStore:
    return make_store()


_EVENTS = FileEvents()
# Audit hooks cannot be removed: one for the session, idle unless recording.
sys.addaudithook(_EVENTS.hook)


@pytest.fixture
def file_events() -> FileEvents:
    return _EVENTS
