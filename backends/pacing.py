"""Send pacing under a platform's limits: a token bucket per chat and one for the whole bot.

Sending faster only earns 429s and a longer wait, so a send waits its turn
here instead. Buckets start full: a short burst (a welcome and the first
reply) goes out at once.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    rate: float  # tokens per second
    burst: float
    tokens: float = field(default=-1.0)
    at: float = 0.0

    def __post_init__(self) -> None:
        self.tokens, self.at = self.burst, time.monotonic()

    def take(self) -> float:
        """Take a token (possibly owed); return how long to wait before using it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def full(self) -> bool:
        return self.tokens + (time.monotonic() - self.at) * self.rate >= self.burst


class Pacer:
    def __init__(self, *, per_key: float, key_burst: float, overall: float, overall_burst: float) -> None:
        self._per_key, self._key_burst = per_key, key_burst
        self._overall = _Bucket(overall, overall_burst)
        self._keys: dict[str, _Bucket] = {}

    async def turn(self, key: str) -> None:
        """Wait until a message to ``key`` may go out."""
        bucket = self._keys.get(key)
        if bucket is None:
            if len(self._keys) > 10_000:  # forget chats whose bucket refilled: they start full anyway
                self._keys = {k: b for k, b in self._keys.items() if not b.full()}
            bucket = self._keys[key] = _Bucket(self._per_key, self._key_burst)
        wait = max(bucket.take(), self._overall.take())
        if wait > 0:
            await asyncio.sleep(wait)
