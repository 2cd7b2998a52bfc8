"""One thread owns the SQLite connection and commits operations in batches.

Every operation still commits before its caller hears back (durable before
acknowledged), but operations that arrive together share one transaction and
one fsync: group commit keeps the per-message cost flat under load.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
_STOP = object()


class SqliteWorker:
    def __init__(
        self,
        path: str,
        *,
        init: Callable[[sqlite3.Connection], None],
        synchronous: str = "FULL",
        max_batch: int = 512,
    ) -> None:
        self._path = path
        self._init = init
        self._synchronous = synchronous
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="openlines-sqlite", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def close(self) -> None:
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=10)

    async def run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``op`` in the worker's transaction; return once it is committed."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((op, future, loop))
        return await future

    def run_sync(self, op: Callable[[sqlite3.Connection], T], timeout: float = 30) -> T:
        """The same, for a caller outside any event loop (start-up, tools)."""
        if self._closed:
            raise RuntimeError("the journal is closed")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((op, future, None))
        return future.result(timeout)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        self._init(conn)
        return conn

    def _serve(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start()
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                self._run_batch(conn, batch)
        finally:
            conn.close()

    def _next_batch(self) -> list[tuple] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)  # finish this batch, then stop
                break
            batch.append(item)
        return batch

    def _run_batch(self, conn: sqlite3.Connection, batch: list[tuple]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, _future, _loop in batch:
                outcomes.append(_run_one(conn, op))
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit failed: nothing of the batch is stored
            log.exception("journal commit failed")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        _resolve(batch, outcomes)


def _run_one(conn: sqlite3.Connection, op: Operation) -> tuple[bool, Any]:
    # A savepoint per operation: one failing operation must not undo the others.
    conn.execute("SAVEPOINT op")
    try:
        result = op(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO op")
        conn.execute("RELEASE op")
        return False, exc
    conn.execute("RELEASE op")
    return True, result


def _resolve(batch: list[tuple], outcomes: list[tuple[bool, Any]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, bool, Any]]] = {}
    for (_op, future, loop), (ok, value) in zip(batch, outcomes):
        if loop is None:  # a run_sync caller, waiting in its own thread
            _settle([(future, ok, value)])
        else:
            by_loop.setdefault(loop, []).append((future, ok, value))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _settle(items: list[tuple[Any, bool, Any]]) -> None:
    for future, ok, value in items:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
