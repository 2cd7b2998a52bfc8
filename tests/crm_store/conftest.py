"""Fixtures for the crm_store tests: the repo root on sys.path, and a store of each kind."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# tests/ has no __init__.py, so pytest puts only this folder on sys.path.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crm_store import CrmStore, MemoryCrm, TinyDbCrm  # noqa: E402


@pytest.fixture(params=["memory", "tinydb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], CrmStore]]:
    """A factory, so a test can open the same TinyDB file twice; all stores closed after."""
    opened: list[CrmStore] = []

    def make() -> CrmStore:
        store: CrmStore = MemoryCrm() if request.param == "memory" else TinyDbCrm(tmp_path / "crm.json")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], CrmStore]) -> CrmStore:
    return make_store()
