"""The console's store runs one contract on both stores: its SQLite file, and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.support.postgres import pg_database  # noqa: F401  (a fixture)

CONSOLE_TABLES = "accounts, links, sessions, rooms, messages, reads, said, unhandled, forgotten"


@pytest.fixture(params=("sqlite", "postgresql"))
def console_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's console store lives: a new SQLite file, or the module's database emptied."""
    if request.param == "sqlite":
        return str(tmp_path / "console.sqlite3")
    url: str = request.getfixturevalue("pg_database")
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regnamespace('console')").fetchone() != (None,):
            conn.execute(f"TRUNCATE {', '.join(f'console.{t.strip()}' for t in CONSOLE_TABLES.split(','))}")
    return url
