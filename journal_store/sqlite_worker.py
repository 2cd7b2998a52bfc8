"""One thread owns a SQLite connection and runs operations in batches.

The writer commits every batch before its callers hear back (durable before
acknowledged), but operations that arrive together share one transaction and
one fsync: group commit keeps the per-message cost flat under load. Each
operation stands or falls alone: a batch runs plainly, and one where an
operation failed is rolled back and run again with a savepoint each. A second
worker with its own connection serves reads, so reads never wait behind a
commit (WAL readers see the last committed state).
"""
from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
_Item = tuple[Operation, "asyncio.Future[Any]", asyncio.AbstractEventLoop]
_STOP = object()


class SqliteWorker:
    def __init__(self, path: str, *, connect: Callable[[str], sqlite3.Connection], write: bool,
                 name: str, max_batch: int = 512) -> None:
        self._path = path
        self._connect = connect
        self._write = write
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._closed = False
        self._ended = False  # the thread left _serve (a flag: asked on every operation, is_alive() costs more)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    @property
    def alive(self) -> bool:
        return not self._closed and not self._ended and self._thread.ident is not None

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
        return await self.submit(op)

    def submit(self, op: Callable[[sqlite3.Connection], T]) -> "asyncio.Future[T]":
        """``op`` queued for the worker's transaction: the future is done once it is committed. For the
        hot path (a message's commit): awaiting it directly spares the coroutine ``run`` wraps it in."""
        if not self.alive:
            raise RuntimeError("the journal is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((op, future, loop))
        return future

    def _serve(self) -> None:
        try:
            conn = self._connect(self._path)
        except BaseException as exc:  # reported to start()
            self._startup_error = exc
            self._ended = True
            self._ready.set()
            return
        self._ready.set()
        try:
            while (batch := self._next_batch()) is not None:
                self._run_batch(conn, batch)
        finally:
            self._ended = True
            conn.close()

    def _next_batch(self) -> list[_Item] | None:
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

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Item]) -> None:
        outcomes: list[tuple[bool, Any]] | None = []
        begin = "BEGIN IMMEDIATE" if self._write else "BEGIN"
        try:
            conn.execute(begin)
            if len(batch) == 1:  # alone in its transaction: no savepoint, a failure rolls it all back
                outcomes = [_run_alone(conn, batch[0][0])]
                conn.execute("COMMIT" if outcomes[0][0] else "ROLLBACK")
            else:
                outcomes = _run_together(conn, batch)
                if outcomes is None:  # one failed: the batch again, each operation in a savepoint
                    conn.execute(begin)
                    outcomes = [_run_one(conn, op) for op, _future, _loop in batch]
                conn.execute("COMMIT")
        except Exception as exc:  # the commit failed: nothing of the batch is stored
            log.error("journal %s failed: %s", "commit" if self._write else "read", type(exc).__name__)
            _rollback(conn)
            outcomes = [(False, exc)] * len(batch)
        _resolve(batch, outcomes)


def _run_together(conn: sqlite3.Connection, batch: list[_Item]) -> list[tuple[bool, Any]] | None:
    """The batch without savepoints (two statements less per operation), or None, rolled back, when
    one operation failed. Running them again is safe: an operation is a function of the database
    (it decides nothing from what it ran before), and nobody has heard back yet."""
    outcomes: list[tuple[bool, Any]] = []
    for op, _future, _loop in batch:
        try:
            result = op(conn)
        except Exception:
            _rollback(conn)
            return None
        if isinstance(result, sqlite3.Cursor):
            result.close()  # on this thread (see _run_one)
            result = None
        outcomes.append((True, result))
    return outcomes


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
    if isinstance(result, sqlite3.Cursor):
        # A cursor must die on this thread: freed on another, it resets a cached
        # statement this thread may be running (SQLite's "API misuse").
        result.close()
        result = None
    return True, result


def _run_alone(conn: sqlite3.Connection, op: Operation) -> tuple[bool, Any]:
    # No savepoint needed: when it fails, the transaction it has to itself is rolled back.
    try:
        result = op(conn)
    except Exception as exc:
        return False, exc
    if isinstance(result, sqlite3.Cursor):
        result.close()
        result = None
    return True, result


def _rollback(conn: sqlite3.Connection) -> None:
    # A rollback can fail too (disk gone): the thread must live on to serve the next batch.
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        log.error("journal rollback failed: %s", type(exc).__name__)


def _resolve(batch: list[_Item], outcomes: list[tuple[bool, Any]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for (_op, future, loop), (ok, value) in zip(batch, outcomes, strict=True):
        by_loop.setdefault(loop, []).append((future, ok, value))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _settle(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in items:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
