"""Backoff between delivery attempts."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0
    max_attempts: int = 8  # for customer sends; the team side retries forever

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Wait before attempt number ``attempts + 1``; the platform's own wait wins."""
        backoff = min(self.max_delay, self.first_delay * self.factor ** max(0, attempts - 1))
        if retry_after is not None:
            return max(retry_after, 0.0)
        return backoff

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
