"""The console's gates: which origins may change state, and how fast anyone may guess passwords."""
from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import time
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

FREE_FAILURES = 5  # failures allowed before each further one doubles the wait
WINDOW = 15 * 60.0  # failures older than this are forgotten
MAX_WAIT = 15 * 60.0
T = TypeVar("T")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port if parts.port not in (None, default) else None
    return f"{parts.scheme}://{parts.hostname}{':' + str(port) if port else ''}"


def allowed_origins(public_url: str, http_host: str, port: int) -> frozenset[str]:
    """The console's own origins, by scheme, host and port: never read from the request's Host header."""
    if public_url:
        return frozenset({origin_of(public_url)})
    hosts = {http_host} if http_host not in ("", "0.0.0.0", "::") else set()
    if not hosts or http_host in ("127.0.0.1", "localhost", "::1"):
        hosts |= {"127.0.0.1", "localhost"}
    return frozenset(origin_of(f"http://{h}:{port}") for h in hosts)


def address_key(address: str | None) -> str:
    """Whom the throttle counts: an IPv4 address, or an IPv6 /64 (one host commonly holds a whole /64)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return address or ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


class Throttle:
    """Slows down repeated failed sign-ins, per client address and per login.

    Each attempt is counted as a failure before the password is checked (and forgiven if it
    was right), in one step on the loop: a burst cannot slip between the check and the count.
    A login under attack slows down only the addresses that failed on it, so nobody can lock
    its owner out, who comes from an address that has not failed.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, list[float]] = {}

    def attempt(self, address: str | None, login: str | None = None) -> tuple[float, tuple[str, ...]]:
        """(seconds to wait, nothing counted) or (0, the keys counted for this attempt)."""
        now, ip = self.clock(), f"ip:{address_key(address)}"
        wait = self._wait_for(ip, now)
        keys: tuple[str, ...] = (ip,)
        if login is not None:
            pair, whole = f"from:{address_key(address)}:{login}", f"login:{login}"
            self._wait_for(pair, now)  # forgets its old failures
            if self._failures.get(pair):  # this address failed on this login: the login's wait holds too
                wait = max(wait, self._wait_for(whole, now))
            keys = (ip, pair, whole)
        if wait > 0:
            return wait, ()
        self._count(keys, now)
        return 0.0, keys

    def wait(self, *keys: str) -> float:
        """Seconds before another attempt is heard for these keys (0: go ahead)."""
        now = self.clock()
        return max((self._wait_for(k, now) for k in keys), default=0.0)

    def _wait_for(self, key: str, now: float) -> float:
        recent = [t for t in self._failures.get(key, []) if now - t < WINDOW]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        extra = len(recent) - FREE_FAILURES
        if extra < 0:
            return 0.0
        return max(0.0, recent[-1] + min(MAX_WAIT, 2.0 ** extra) - now)

    def _count(self, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            self._failures.setdefault(key, []).append(now)
        if len(self._failures) > 10_000:  # a spray of addresses: forget the oldest half
            for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[:5_000]:
                del self._failures[key]

    def refund(self, keys: tuple[str, ...]) -> None:
        """The attempt counted under ``keys`` was never checked (the server was busy)."""
        for key in keys:
            if self._failures.get(key):
                self._failures[key].pop()

    def succeeded(self, keys: tuple[str, ...]) -> None:
        """The attempt counted under ``keys`` was right: this address starts afresh, and the login
        forgets this one attempt (not the others' failures)."""
        for key in keys:
            if key.startswith("login:"):
                if self._failures.get(key):
                    self._failures[key].pop()
            else:
                self._failures.pop(key, None)


class Busy(Exception):
    """Too many password checks waiting: answered 503 with ``retry_after``."""

    retry_after = 2


class PasswordChecks:
    """scrypt on its own few threads, with a bounded queue: a burst of sign-ins costs at most these
    cores and is refused beyond the queue, while file downloads and the console's other work keep
    asyncio's default pool."""

    def __init__(self, threads: int = 2, queue: int = 16) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="openlines-scrypt")
        self._room = threads + queue
        self._taken = 0

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._taken >= self._room:
            raise Busy()
        loop = asyncio.get_running_loop()
        self._taken += 1
        job = self._pool.submit(work, *args)
        # Freed when the thread is done with it, not when its asker goes away (a dropped request's
        # hash still runs, or is taken off the queue if it had not started).
        job.add_done_callback(lambda _: loop.call_soon_threadsafe(self._free))
        return await asyncio.wrap_future(job)

    def _free(self) -> None:
        self._taken -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
