"""Work that must run in exactly one process at a time (a channel's long polling), held by a lease.

A lease is a row in the journal (name, owner, until), taken or renewed by one
conditional write: it succeeds only when nobody holds the row or its holder let
it run out. The holder renews it while it works; a process that cannot take it
waits and tries again; a holder that dies stops renewing, and another process
takes over once ``until`` has passed. Times are wall-clock seconds (every
process sharing a database compares them), so the machines' clocks must agree
to well within the lease (NTP does).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from typing import Awaitable, Callable, Protocol

log = logging.getLogger(__name__)
# A holder that dies is replaced within this (plus one standby retry); a live one renews at a quarter of it.
LEASE_SECONDS = 20.0


class Leases(Protocol):
    async def take(self, name: str, owner: str, now: float, until: float) -> bool:
        """Hold ``name`` until ``until`` when it is free, ran out by ``now``, or is ``owner``'s already;
        False when another owner holds it."""

    async def release(self, name: str, owner: str) -> None:
        """Let go at once (a clean stop): the next process need not wait for the lease to run out."""


def process_owner() -> str:
    """A lease owner unique to this process and this holder, readable in the database by an admin."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SoleRunner:
    """Runs ``work`` (a coroutine that runs until cancelled) only while this process holds the lease
    ``name``; stands by and retries while another does; lets go on ``stop``."""

    def __init__(self, leases: Leases, name: str, seconds: float = LEASE_SECONDS) -> None:
        self.leases, self.name, self.seconds = leases, name, seconds
        self.owner = process_owner()
        self.holding = False  # whether this process runs the work now
        self.terms = 0  # how many times it took the lease (a takeover shows as a new term)

    async def run(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                until = await self._taken()
                self.holding, self.terms = True, self.terms + 1
                log.info("lease %s taken: this process runs it", self.name)
                task = asyncio.ensure_future(work())
                try:
                    await self._kept(task, until)
                finally:
                    self.holding = False
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("lease %s: the work failed (%s)", self.name, type(task.exception()).__name__)
                    await asyncio.sleep(self.seconds / 8)  # never a tight loop of retries
                else:
                    log.warning("lease %s lost: this process stands by", self.name)
        finally:
            await self._release()

    async def _try(self) -> float | None:
        """The new expiry once taken; 0.0 when another process holds it; None when the journal did not answer."""
        now = time.time()
        until = now + self.seconds
        try:
            return until if await self.leases.take(self.name, self.owner, now, until) else 0.0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the journal away: nobody can take it meanwhile either
            log.warning("lease %s not checked: %s", self.name, type(exc).__name__)
            return None

    async def _taken(self) -> float:
        while not (until := await self._try()):
            await asyncio.sleep(self.seconds / 8)
        return until

    async def _kept(self, task: "asyncio.Future[None]", until: float) -> None:
        """Renew while the work runs; return when the lease is lost or the work ended."""
        while not task.done():
            await asyncio.wait({task}, timeout=self.seconds / 4)
            if task.done():
                return
            renewed = await self._try()
            if renewed == 0.0:  # another process holds it now
                return
            if renewed is not None:
                until = renewed
            elif time.time() >= until - self.seconds / 4:  # unconfirmed, and about to run out: stop first
                return

    async def _release(self) -> None:
        try:
            await asyncio.shield(self.leases.release(self.name, self.owner))
        except Exception as exc:  # it runs out by itself
            log.info("lease %s not released: %s", self.name, type(exc).__name__)
