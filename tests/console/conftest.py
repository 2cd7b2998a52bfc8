"""The console's store runs one contract on both stores: its SQLite file, and PostgreSQL. The console
backend also serves its pages in-process here, on a real HTTP port, to people signed in for real."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest

from backends.team.console.accounts import Accounts
from runtime.files import DiskFiles
from runtime.host import Host
from tests.support.console import TeamMember
from tests.support.errbot_backends import console_backend
from tests.support.postgres import pg_database  # noqa: F401  (a fixture)

CONSOLE_TABLES = "accounts, links, sessions, rooms, messages, reads, said, unhandled, forgotten"
PASSWORD = "a long enough password"


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


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(console_db: str, clock: Clock) -> Iterator[Accounts]:
    store = Accounts(console_db, clock=clock)
    yield store
    store.close()


@pytest.fixture
def console_host(tmp_path: Path) -> Iterator[Any]:
    """The console backend (``ConsoleBackend``) serving its pages on a host of its own, with Open Lines' files."""
    backend = console_backend(tmp_path)
    bot = backend.bot
    host = Host(bot.settings, extra_routes=[bot._routes])
    host.start()
    bot.host = host
    host.files = DiskFiles(tmp_path / "files", f"http://127.0.0.1:{host.http_port}")
    yield bot
    host.stop()
    backend.close()


def signed_in(bot: Any, login: str, password: str = PASSWORD) -> TeamMember:
    """A page of ``login`` (an account made now, its password chosen), signed in, not yet connected."""
    bot.accounts.invite(login)
    bot.accounts.set_password(login, password)
    member = TeamMember(bot.host.http_port)
    assert member.sign_in(login, password) == 200
    return member
