"""Fixtures for the crm_store tests: a store of each kind, and a record of file accesses.

Every test taking ``store`` or ``make_store`` is the CRM contract: it runs on
memory, TinyDB and PostgreSQL (a fresh database per module, emptied per test).

pytest.ini puts the repo root on sys.path.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from tests.crm_store.crm_support import FileEvents

from crm_store import CrmStore, MemoryCrm, TinyDbCrm, open_crm
from tests.support.postgres import pg_database  # noqa: F401  (a fixture)

STORES = ("memory", "tinydb", "postgresql")


def crm_emptied(url: str) -> str:
    """The database without the CRM's rows (the schema stays): each test starts empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('crm_contacts')").fetchone() != (None,):
            conn.execute("TRUNCATE crm_activities, crm_leads, crm_identities, crm_contacts")
    return url


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], CrmStore]]:
    """A factory, so a test can open the same store twice; all stores closed after."""
    opened: list[CrmStore] = []
    url = crm_emptied(request.getfixturevalue("pg_database")) if request.param == "postgresql" else ""

    def make() -> CrmStore:
        store: CrmStore = (MemoryCrm() if request.param == "memory" else open_crm(url) if url
                           else TinyDbCrm(tmp_path / "crm"))
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
