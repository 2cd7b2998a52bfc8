"""The console's gates: which origins may change state, and how fast anyone may guess passwords."""
from __future__ import annotations

import time
from typing import Callable
from urllib.parse import urlsplit

FREE_FAILURES = 5  # failures allowed before each further one doubles the wait
WINDOW = 15 * 60.0  # failures older than this are forgotten
MAX_WAIT = 15 * 60.0


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


class Throttle:
    """Slows down repeated failed sign-ins, per client address and per login."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, list[float]] = {}

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

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._failures.setdefault(key, []).append(now)
        if len(self._failures) > 10_000:  # a spray of addresses: forget the oldest half
            for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[:5_000]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
