"""The website chat's limits: token buckets per visitor and per address, socket counts.

Everything here is in memory and bounded: a bucket that has filled up again
is forgotten, so a million addresses seen once cost nothing an hour later.
Over a limit the client is told how long to wait (``retry_after``); a
message refused that way was never stored, so nothing acknowledged is lost.
"""
from __future__ import annotations

import collections
import ipaddress
import math
import time
from typing import Callable

from aiohttp import web

from backends.webchat.kind import WebchatLimits

PRUNE_AT = 10_000  # keys kept before full buckets are swept out


class Buckets:
    """One token bucket per key: ``burst`` at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(per_minute, 1e-9) / 60.0
        self.burst = max(1.0, float(burst if burst is not None else per_minute))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """0 when allowed (one token taken), else the seconds until one is there."""
        now = self._clock()
        tokens, when = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - when) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > PRUNE_AT:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        full = [k for k, (t, w) in self._buckets.items() if t + (now - w) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]


class ByteQuota:
    """Bytes per key over a rolling day. ``take`` checks and counts in one step (no await between).

    Each upload is counted under a ``tag`` (who sent which bytes under which client id): the same
    upload sent again (a page resending what it heard no ack for) is counted once."""

    DAY = 24 * 3600.0

    def __init__(self, limit_mb: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit_mb * 1024 * 1024
        self._clock = clock
        self._taken: dict[str, collections.deque[tuple[float, int, str]]] = {}

    def used(self, key: str) -> int:
        now, taken = self._clock(), self._taken.get(key)
        while taken and now - taken[0][0] >= self.DAY:
            taken.popleft()
        if taken is not None and not taken:
            del self._taken[key]
        return sum(size for _, size, _ in taken or ())

    def counted(self, key: str, tag: str) -> bool:
        """Whether the upload ``tag`` is already counted today."""
        self.used(key)  # what is older than a day counts no longer
        return any(t == tag for _, _, t in self._taken.get(key, ()))

    def fits(self, key: str, size: int, tag: str) -> float:
        """0 when ``size`` more bytes fit (or ``tag``'s are counted already), else the seconds until
        enough of the day's have expired."""
        over = self.used(key) + size - self.limit
        if over <= 0 or self.counted(key, tag):
            return 0.0
        freed, now = 0, self._clock()
        for when, taken, _ in self._taken.get(key, ()):
            freed += taken
            if freed >= over:
                return when + self.DAY - now
        return self.DAY  # larger than a day's quota

    def take(self, key: str, size: int, tag: str) -> None:
        if self.counted(key, tag):
            return
        self._taken.setdefault(key, collections.deque()).append((self._clock(), size, tag))
        if len(self._taken) > PRUNE_AT:
            for stale in [k for k in self._taken if not self.used(k)]:
                self._taken.pop(stale, None)

    def give_back(self, key: str, tag: str) -> None:
        """The upload ``tag`` was not kept after all: it counts no longer (sent again, it counts then)."""
        taken = self._taken.get(key)
        for entry in reversed(taken if taken is not None else ()):
            if entry[2] == tag and taken is not None:
                taken.remove(entry)
                return


class Counts:
    """Open things (sockets) per key, each refused over ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        if self._open.get(key, 0) >= self.limit:
            return False
        self._open[key] = self._open.get(key, 0) + 1
        return True

    def release(self, key: str) -> None:
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)


class Throttle:
    """All of a widget's limits, shared by its sockets and its upload endpoint."""

    def __init__(self, limits: WebchatLimits) -> None:
        self.limits = limits
        self.messages = Buckets(limits.messages_per_minute, limits.burst)
        self.new_visitors = Buckets(limits.new_visitors_per_minute)
        self.new_conversations = Buckets(limits.new_visitors_per_minute)
        self.hellos = Buckets(limits.hellos_per_minute)
        self.sockets_per_ip = Counts(limits.sockets_per_ip)
        self.sockets_per_visitor = Counts(limits.sockets_per_visitor)
        self.uploads_per_visitor = ByteQuota(limits.upload_mb_per_visitor_day)
        self.uploads_per_ip = ByteQuota(limits.upload_mb_per_ip_day)

    def upload_wait(self, ref: str, ip: str, size: int, tag: str) -> float:
        """0 and counted when ``size`` bytes fit both quotas, else the seconds to wait (nothing counted).
        ``tag`` names the upload (its client id and content): sent again, it is counted once."""
        wait = max(self.uploads_per_visitor.fits(ref, size, tag), self.uploads_per_ip.fits(ip, size, f"{ref} {tag}"))
        if wait <= 0:
            self.uploads_per_visitor.take(ref, size, tag)
            self.uploads_per_ip.take(ip, size, f"{ref} {tag}")
        return wait

    def upload_failed(self, ref: str, ip: str, tag: str) -> None:
        self.uploads_per_visitor.give_back(ref, tag)
        self.uploads_per_ip.give_back(ip, f"{ref} {tag}")

    def client_ip(self, request: web.Request) -> str:
        return client_ip(request, self.limits.trusted_proxies)


def wait_seconds(seconds: float) -> int:
    """What ``retry_after`` says: whole seconds, at least one."""
    return max(1, math.ceil(seconds))


def client_ip(request: web.Request, trusted: tuple[str, ...]) -> str:
    """The peer's address; behind a trusted proxy, the last address it added to X-Forwarded-For."""
    peer = request.remote or ""
    if peer in trusted:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if forwarded:
            return _normal(forwarded[-1])
    return _normal(peer)


def _normal(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:  # one household has a /64: count it as one address
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
