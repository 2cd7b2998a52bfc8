"""The console's store calls from the event loop, run on threads of their own.

The room book (SQLite or PostgreSQL) does I/O under a lock that Errbot's
threads take too: a slow disk, a slow server or a long write by a command
would stall every page, and the HTTP server with them, if the loop waited for
it. The loop awaits these threads instead. They are the console's own, not the
loop's default pool, so a hung store ties up only them.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")
THREADS = 4  # one connection serves them in turn: more would only wait for its lock


class StoreThreads:
    def __init__(self, threads: int = THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="console-store")

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work(*args, **kwargs)`` on a store thread; the loop serves everyone else meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(work, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
