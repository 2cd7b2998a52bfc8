"""A fresh PostgreSQL database for a test module, dropped after it.

The server is ``OPENLINES_TEST_POSTGRES`` (default: the local one, trust
authentication). When it does not answer the PostgreSQL tests are skipped with
the reason, except under CI (``CI=true``), where that is a failure.

``database_url`` runs a suite of the real runtime on both stores: its tests
run once on the embedded stores and, when ``OPENLINES_TEST_POSTGRES`` is set,
once more with ``OPENLINES_DATABASE_URL`` on the module's database.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest

SERVER = os.environ.get("OPENLINES_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")
# The suites of the runtime run on PostgreSQL too only when asked: they double in time.
STORES = ("sqlite", "postgresql") if os.environ.get("OPENLINES_TEST_POSTGRES") else ("sqlite",)


def _database_url(name: str) -> str:
    base = SERVER.rstrip("/")
    root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{root}/{name}"


def _admin_url() -> str:
    """Where CREATE DATABASE runs: the database the URL names (CI's fresh one), else ``postgres``."""
    return SERVER if SERVER.rstrip("/").count("/") > 2 else _database_url("postgres")


def _unavailable(why: str) -> None:
    message = f"PostgreSQL does not answer at {SERVER} ({why}): set OPENLINES_TEST_POSTGRES or start it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """The URL of a new, empty database, for this module's tests."""
    name = f"openlines_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_url(), autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        why = type(exc).__name__
    else:
        why = ""
    if why:
        _unavailable(why)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _database_url(name)
    finally:
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def emptied(url: str) -> str:
    """The module's database without any store's rows (the schemas stay): each test starts empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [f'"{schema}"."{name}"' for schema, name in conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'console')"
            " AND tablename <> 'schema_versions'").fetchall()]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return url


def on_postgres(item: pytest.Item) -> bool:
    """Whether ``item`` is a test's PostgreSQL variant (through ``database_url``)."""
    return getattr(getattr(item, "callspec", None), "params", {}).get("database_url") == "postgresql"


def drop_on_postgres(config: pytest.Config, items: list[pytest.Item], folder: Path, keep: Any) -> None:
    """Deselects the PostgreSQL variants of the tests under ``folder`` that ``keep(item)`` does not want
    there: a suite runs whole on the embedded stores and the part of it that reaches the store on
    PostgreSQL, in reasonable time. (A conftest's hook sees every test of the session: hence ``folder``.)"""
    dropped = [item for item in items
               if on_postgres(item) and folder in item.path.parents and not keep(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


# For a test of what only the embedded stores have (the data dir's files, its disk): on them only.
embedded_only = pytest.mark.parametrize("database_url", [pytest.param("", id="sqlite")])


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest) -> str:
    """``OPENLINES_DATABASE_URL`` for a test's runtime: empty (the embedded stores), or the module's
    PostgreSQL database emptied."""
    if request.param == "postgresql":
        return emptied(request.getfixturevalue("pg_database"))
    return ""
