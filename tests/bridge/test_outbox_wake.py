"""A process told of new work (a notification from another process) sweeps at once, even when the
word comes as it is about to sleep: the periodic sweep is only the net."""
from __future__ import annotations

import asyncio
import time

from bridge.core import with_messages
from bridge.outbox import Outbox, WorkKind
from bridge.ports import SystemClock
from bridge.store import NewWork, UnitOfWork, WorkItem
from journal_store import open_journal
from tests.support.webchat import wait_until


class Told:
    """The journal's outbox, told of work by "another process" just after the scheduler read when
    stored work is next due (before it sleeps): only the word can bring that work in time."""

    def __init__(self, store, told) -> None:
        self._store, self._told = store, told
        self.sweeps = self.looks = 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def lease_due(self, *args, **kwargs) -> list[WorkItem]:
        self.sweeps += 1
        return await self._store.lease_due(*args, **kwargs)

    async def next_due(self) -> float | None:
        due = await self._store.next_due()
        self.looks += 1
        if self.looks == 1:
            await self._told()
        return due


async def test_work_announced_as_the_outbox_goes_to_sleep_is_taken_at_once_not_at_the_next_sweep(tmp_path):
    journal = await asyncio.to_thread(open_journal, f"sqlite://{tmp_path / 'journal.sqlite3'}")
    done: list[float] = []

    async def handler(items: list[WorkItem]) -> None:
        done.append(time.monotonic())

    async def another_process_commits() -> None:  # not born held here: left for whoever sweeps
        await journal.conversations.commit(UnitOfWork(work=[NewWork("crm.sync", lane="crm:1", not_before=0)]))
        outbox.wake()

    store = Told(journal.outbox, another_process_commits)
    async def commit(unit: UnitOfWork) -> list[WorkItem]:
        return with_messages(await journal.conversations.commit(unit))

    outbox = Outbox(store=store, commit=commit, clock=SystemClock(), owner="me",
                    poll_seconds=60)
    outbox.register("crm.sync", WorkKind(handler))
    started = time.monotonic()
    await outbox.start()
    try:
        await wait_until(lambda: done, 5, "the announced work")
        assert done[0] - started < 5 and store.sweeps == 2  # a second sweep at once, not in 60 s
    finally:
        await outbox.stop()
        await asyncio.to_thread(journal.close)
