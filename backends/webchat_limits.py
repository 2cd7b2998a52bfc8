"""The website chat's limits: token buckets per visitor and per address, socket counts.

Everything here is in memory and bounded: a bucket that has filled up again
is forgotten, so a million addresses seen once cost nothing an hour later.
Over a limit the client is told how long to wait (``retry_after``); a
message refused that way was never stored, so nothing acknowledged is lost.
"""
from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Callable

from aiohttp import web

PRUNE_AT = 10_000  # keys kept before full buckets are swept out


@dataclass(frozen=True)
class WebchatLimits:
    burst: int = 20  # messages a visitor may send at once...
    messages_per_minute: int = 30  # ...then this many a minute
    new_visitors_per_minute: int = 20  # per address: new visitor tokens, and new conversations
    hellos_per_minute: int = 60  # per address
    sockets_per_visitor: int = 12
    sockets_per_ip: int = 128
    idle_seconds: float = 1800.0  # a socket that sends nothing this long is closed
    hello_seconds: float = 30.0  # a socket must say hello this soon
    token_days: int = 90  # a token unused this long is void
    max_upload_mb: int = 10
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client


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
