"""Typed errors of the core; channel backends raise SendError subclasses."""
from __future__ import annotations


class OpenLinesError(Exception):
    """Base of every error the core raises on purpose."""


class NotFound(OpenLinesError):
    pass


class Refused(OpenLinesError):
    """An operation the rules forbid; the text is shown to the person as is."""


class StorageFull(OpenLinesError):
    """The file store keeps its free-disk floor: no file is stored, texts still are."""


class Conflict(OpenLinesError):
    """The store refused a unit of work: a unique key exists or a row changed since it was read.

    ``what`` is "dedupe", "open" or "version"; the service reads again and decides again.
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"conflict on {what}")
        self.what = what


class SendError(OpenLinesError):
    """A channel could not deliver a message.

    ``retryable`` says whether trying again later may succeed; ``retry_after``
    is the platform's own wait in seconds when it gave one. The reason is
    shown to operators: never put a token or a platform's raw text in it.
    """

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class RateLimited(SendError):
    def __init__(self, retry_after: float, reason: str = "the platform asked to slow down"):
        super().__init__(reason, retryable=True, retry_after=retry_after)


class PermanentSendError(SendError):
    def __init__(self, reason: str):
        super().__init__(reason, retryable=False)


class CredentialsRefused(PermanentSendError):
    """The platform said the channel's credentials are wrong (a 401, an unknown token)."""


def channel_problem(exc: SendError) -> str:
    """What an admin is told about a channel that does not work: refused credentials are named as such."""
    if isinstance(exc, CredentialsRefused):
        return f"the platform refused the credentials ({exc.reason})"
    return exc.reason


class CustomerUnreachable(PermanentSendError):
    """The customer blocked the bot or unsubscribed: nothing will reach them on this channel."""
