"""Guards of the one HTTP server: connections per address, accept errors logged once a minute,
the open-files limit raised. Half-open requests are closed by aiohttp's keep-alive timer, which
also runs before the first request's headers are complete (the header timeout).
"""
from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from typing import Any, Callable

log = logging.getLogger(__name__)
ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
LOG_EVERY = 60.0
NOFILE_WANTED = 65536


class ConnectionGate:
    """How many TCP connections each address holds; over ``limit`` a new one is closed at once."""

    def __init__(self, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.limit = limit
        self.exempt = set(exempt)  # trusted proxies: all clients arrive through them
        self.open: dict[str, int] = {}

    def admit(self, address: str) -> bool:
        if address in self.exempt:
            return True
        count = self.open.get(address, 0)
        if count >= self.limit:
            return False
        self.open[address] = count + 1
        return True

    def release(self, address: str) -> None:
        if address in self.exempt:
            return
        left = self.open.get(address, 0) - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)


class GuardedProtocol(asyncio.Protocol):
    """Stands in front of aiohttp's request handler: a connection over its address's share
    never reaches it (and costs no request parsing, no task)."""

    def __init__(self, make_handler: Callable[[], asyncio.Protocol], gate: ConnectionGate) -> None:
        self._make = make_handler
        self._gate = gate
        self._inner: asyncio.Protocol | None = None
        self._address: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not self._gate.admit(address):
            transport.close() if not isinstance(transport, asyncio.Transport) else transport.abort()
            return
        self._address = address
        self._inner = self._make()
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is not None:
            self._gate.release(self._address)
            self._address = None
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class AcceptErrorLog:
    """The loop's exception handler: "too many open files" on accept is said once a minute,
    with how many were left unsaid, instead of a traceback per attempt."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = -LOG_EVERY
        self.suppressed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in ACCEPT_ERRORS):
            loop.default_exception_handler(context)
            return
        now = self._clock()
        if now - self._last < LOG_EVERY:
            self.suppressed += 1
            return
        log.error("cannot accept connections: %s (%d more like it since the last report)",
                  errno.errorcode.get(exc.errno or 0, "OSError"), self.suppressed)
        self._last, self.suppressed = now, 0


def raise_open_files_limit(wanted: int = NOFILE_WANTED) -> int:
    """Raise the soft limit on open files toward the hard one: each visitor's socket is a file."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open files limit: %s", type(exc).__name__)
    return soft
