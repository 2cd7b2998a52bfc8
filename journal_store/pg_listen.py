"""PostgreSQL notifications: one dedicated listening connection per process, reconnecting.

Several processes share one database; each LISTENs here and hands what it
hears to the asyncio loop. A notification is a hint, never the only way
something is learnt: after a reconnect ``on_connected`` runs (the outbox sweeps
then, finding whatever was announced while nobody listened).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable, Mapping

import psycopg

from durable.pg import redacted

log = logging.getLogger(__name__)
Handler = Callable[[str], None]  # runs on the loop with the notification's payload
WAIT = 0.5  # seconds between two looks at the stop flag while nothing comes
BACKOFF = (0.5, 1.0, 2.0, 5.0)  # reconnect delays: the database restarting must not be hammered


class PgListener:
    def __init__(self, url: str, loop: asyncio.AbstractEventLoop, handlers: Mapping[str, Handler],
                 on_connected: Callable[[], None] = lambda: None) -> None:
        if not all(name.isidentifier() and name.islower() for name in handlers):
            raise ValueError("channel names are lower-case identifiers")  # they go into LISTEN unquoted
        self._url, self._loop = url, loop
        self._handlers = dict(handlers)
        self._on_connected = on_connected
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openlines-pg-listen", daemon=True)

    def start(self, wait: float = 10.0) -> bool:
        """Start listening; True once the first LISTEN is in place (within ``wait`` seconds)."""
        self._thread.start()
        return self._listening.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(WAIT * 4)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    for name in self._handlers:
                        conn.execute(f"LISTEN {name}")
                    self._listening.set()
                    failures = 0
                    self._call(self._on_connected)  # what was said while nobody listened is swept up
                    self._hear(conn)
            except psycopg.Error as exc:
                self._listening.clear()
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("listening to PostgreSQL at %s failed (%s): again in %.1f s",
                            redacted(self._url), type(exc).__name__, delay)
                self._stop.wait(delay)
        self._listening.clear()

    def _hear(self, conn: psycopg.Connection) -> None:
        while not self._stop.is_set():
            for note in conn.notifies(timeout=WAIT):
                handler = self._handlers.get(note.channel)
                if handler is not None:
                    self._call(handler, note.payload)

    def _call(self, handler: Callable[..., None], *args: str) -> None:
        try:
            self._loop.call_soon_threadsafe(handler, *args)
        except RuntimeError:  # the loop is closed: the process is stopping
            self._stop.set()
