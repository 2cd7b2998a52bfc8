"""Backoff between delivery attempts."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Wait before attempt number ``attempts + 1``; the platform's own wait wins."""
        if retry_after is not None:
            return max(retry_after, 0.0)
        return min(self.max_delay, self.first_delay * self.factor ** max(0, attempts - 1))
