"""Processes on one PostgreSQL journal hear of each other's new work: a notification at commit,
on a listening connection that comes back after losing the database."""
from __future__ import annotations

import asyncio

import psycopg
import pytest

from bridge.store import NewWork, UnitOfWork
from journal_store import WORK_CHANNEL, PgListener, Sealer, open_journal
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)
from tests.support.webchat import wait_until

NOW = 1_700_000_000.0


@pytest.fixture
async def journal(pg_database):
    opened = await asyncio.to_thread(open_journal, emptied(pg_database), sealer=Sealer())
    yield opened
    await asyncio.to_thread(opened.close)


@pytest.fixture
async def heard(journal):
    """What a listening process hears on the work channel, and how often it (re)connected."""
    notes: list[str] = []
    connected: list[bool] = []
    listener = PgListener(journal.url, asyncio.get_running_loop(), {WORK_CHANNEL: notes.append},
                          on_connected=lambda: connected.append(True))
    assert await asyncio.to_thread(listener.start)
    yield notes, connected
    await asyncio.to_thread(listener.stop)


def _owe(*kinds: str, held_by: str | None = None, leave: tuple[str, ...] = (), at: float = NOW) -> UnitOfWork:
    return UnitOfWork(work=[NewWork(k, lane=f"{k.split('.')[0]}:1", not_before=at) for k in kinds],
                      lease=(held_by, NOW, NOW + 300) if held_by else None, leave=leave)


async def test_work_left_for_other_processes_is_announced_and_work_run_here_is_not(journal, heard):
    notes, _ = heard
    await journal.conversations.commit(_owe("customer.send", held_by="me"))  # runs here at once: no one to tell
    await journal.conversations.commit(_owe("team.post", "crm.sync", held_by="worker", leave=("team.",)))
    await wait_until(lambda: notes, what="a notification")
    await journal.conversations.commit(_owe("timer.close", held_by="me", at=NOW + 3600))  # a timer: the sweeps' own
    await journal.conversations.commit(_owe("customer.send", held_by="elsewhere"))  # its lane is "me"'s: for "me"
    await wait_until(lambda: len(notes) > 1, what="a second notification")
    assert notes == ["team", "customer"]


async def test_a_restarted_process_freeing_its_lanes_tells_the_others(journal, heard):
    notes, _ = heard
    await journal.outbox.release("worker-A")
    await wait_until(lambda: notes == [""], what="the release")


async def test_the_listener_comes_back_after_losing_its_connection_and_says_so(journal, heard):
    notes, connected = heard
    with psycopg.connect(journal.url, autocommit=True) as admin:
        killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                               " AND query LIKE 'LISTEN%'").fetchall()
    assert killed == [(True,)]
    await wait_until(lambda: len(connected) == 2, 10, "a reconnection")  # its outbox sweeps: nothing is missed
    await journal.conversations.commit(_owe("team.post"))
    await wait_until(lambda: notes == ["team"], what="a notification after the reconnection")
