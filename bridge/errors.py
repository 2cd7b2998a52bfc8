"""Typed errors of the core; channel backends raise SendError subclasses."""
from __future__ import annotations


class OpenLinesError(Exception):
    """Base of every error the core raises on purpose."""


class NotFound(OpenLinesError):
    pass


class Refused(OpenLinesError):
    """An operation the rules forbid; the text is shown to the person as is."""


class SendError(OpenLinesError):
    """A channel could not deliver a message.

    ``retryable`` says whether trying again later may succeed; ``retry_after``
    is the platform's own wait in seconds when it gave one.
    """

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class PermanentSendError(SendError):
    def __init__(self, reason: str):
        super().__init__(reason, retryable=False)
