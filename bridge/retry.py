"""Backoff between delivery attempts."""
from __future__ import annotations

import math
from dataclasses import dataclass

MAX_PLATFORM_WAIT = 3600.0  # a platform's "retry after" beyond an hour is a glitch, not a plan


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Wait before attempt number ``attempts + 1``; the platform's own wait wins when it is a
        number of seconds at all (a header may say "nan" or "inf": then the backoff decides)."""
        if retry_after is not None and math.isfinite(retry_after):
            return min(max(retry_after, 0.0), MAX_PLATFORM_WAIT)
        return min(self.max_delay, self.first_delay * self.factor ** max(0, attempts - 1))
