"""A fresh PostgreSQL database for a test module, dropped after it.

The server is ``OPENLINES_TEST_POSTGRES`` (default: the local one, trust
authentication). When it does not answer the PostgreSQL tests are skipped with
the reason, except under CI (``CI=true``), where that is a failure.
"""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import psycopg
import pytest

SERVER = os.environ.get("OPENLINES_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")
TABLES = ("meta", "lines", "bindings", "messages", "conversations", "work", "lanes", "leases", "rooms",
          "customer_state", "audit", "kept_events", "kept_kinds")


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
    """The module's database without the journal's rows (the schema stays): each test starts empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        present = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
        tables = [t for t in TABLES if t in present]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return url
