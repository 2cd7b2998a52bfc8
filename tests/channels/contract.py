"""The channel contract: what every channel backend must do, whatever its platform.

``test_contract.py`` runs one set of tests over every harness listed in
``conftest.py``. A harness is the platform's side of one channel: a fake of
the platform on 127.0.0.1 that the REAL backend talks to over real HTTP, and
the few verbs a customer (and the platform itself) has. The tests drive the
REAL runtime (``tests.support.runtime.Running``: journal, outbox, HTTP
server, file store) with a clock they move, so a retry waits exactly as
long as the backend asked, with no sleeping.

Adding a channel to the suite = one ``harness_<kind>.py`` implementing
``Harness`` below and one line in ``conftest.HARNESSES``. Verbs a platform
does not have are left out of ``features``: those tests are not run over it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from bridge.model import ChannelBinding
from tests.support.runtime import Running
from tests.support.webchat import wait_until

# The contract points a harness can opt out of, by leaving them out of ``features``.
FORGERY = "forgery"  # the platform calls us: a request that is not the platform's is refused
FAULTS = "faults"  # sends can fail: fail_next() scripts the platform's failures
FILES_IN = "files_in"  # customers send files
FILES_OUT = "files_out"  # operators send files
UNKNOWN = "unknown"  # the platform has events we do not know
ALL = frozenset({FORGERY, FAULTS, FILES_IN, FILES_OUT, UNKNOWN})

# What fail_next() can script, each for the next send to the platform.
RATE_LIMITED = "429"  # the platform says: slow down, try again after ``retry_after`` seconds
SERVER_ERROR = "5xx"  # the platform is down for a moment
TIMEOUT = "timeout"  # the platform does not answer in time (the harness makes the backend's limit short)
PERMANENT = "permanent"  # the platform refuses the message for good (a bad request)
UNREACHABLE = "unreachable"  # the customer blocked the bot or unsubscribed
PERMANENT_REASON = "message is too long"  # what the platform says for PERMANENT, in its own words
SECRET = "S3CRET-do-not-leak"  # harnesses put it in every credential: it must never reach a reason or a post


@dataclass(frozen=True)
class Sent:
    """One message the fake platform took for a customer."""

    customer: str  # the customer_ref the backend gives the customer
    text: str
    files: tuple[bytes, ...] = ()  # the bytes of each file it carried (uploaded, or fetched from its URL)


class Harness(Protocol):
    kind: str  # the channel kind in backends.registry.KINDS
    features: frozenset[str]  # which of ALL apply

    async def connect(self, runtime: Running) -> ChannelBinding:
        """Start the fake platform, connect a binding to the line "support" pointing at it, and
        return once the runtime's backend for it runs (``runtime.app.channels.get(id)``)."""

    async def close(self) -> None:
        """Stop the fake platform (the runtime is stopped by the suite)."""

    def customer(self, n: int) -> str:
        """The customer_ref of the n-th test customer (the backend's own naming)."""

    async def say(self, customer: str, text: str, message_id: str) -> int:
        """The platform delivers a text; ``message_id`` is the platform's id (the same id again is a
        redelivery). Returns the HTTP status our server answered (a polling channel: 200 once the
        update was taken and the platform told to move on)."""

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        """The platform delivers a file (FILES_IN)."""

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        """Someone who is not the platform posts a message (FORGERY): the status we answered."""

    async def unknown(self, customer: str) -> int:
        """The platform delivers an event type nobody knows (UNKNOWN): the status we answered."""

    def sent(self) -> list[Sent]:
        """Every message the fake platform took, in order."""

    def attempts(self) -> int:
        """How many sends (successful or not) reached the fake platform so far."""

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        """The next send fails as ``failure`` says (FAULTS)."""


HarnessFactory = Callable[[], Harness]


class FakeFaults:
    """``attempts`` and ``fail_next`` for a harness whose fake platform counts and scripts sends."""

    fake: Any  # has ``attempts`` and ``fail_next(failure, retry_after)``
    backend: Any  # the running backend (its ``send_timeout``)

    def attempts(self) -> int:
        return int(self.fake.attempts)

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        if failure == TIMEOUT:
            self.backend.send_timeout = 0.5  # the fake hangs longer; otherwise the default, load or not
        self.fake.fail_next(failure, retry_after)


async def eventually(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` (a test's own loop) until truthy; fail after ``timeout`` seconds."""
    return await wait_until(predicate, timeout, what)
