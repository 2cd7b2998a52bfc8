"""The metrics port: what the core counts and times, by name, with no metrics library in bridge/.

Names are Prometheus names (runtime/metrics.py exports them). Label values are
line ids and channel kinds only — never a customer, a conversation or a text —
so every series stays bounded. Calls are made on the message path: an
implementation must not block, lock or allocate much.
"""
from __future__ import annotations

from typing import Protocol

RECEIVED = "openlines_messages_received_total"  # (line, channel)
SENT = "openlines_messages_sent_total"  # (line, channel)
RELAY_SECONDS = "openlines_relay_seconds"  # () accepted -> posted in the team room
SEND_RETRIES = "openlines_send_retries_total"  # (channel,)
SEND_FAILURES = "openlines_send_failures_total"  # (channel, reason)
FIRST_ANSWER_SECONDS = "openlines_first_answer_seconds"  # (line,)


class Metrics(Protocol):
    def count(self, name: str, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        """Add ``amount`` to the counter ``name`` for these label values."""

    def observe(self, name: str, value: float, labels: tuple[str, ...] = ()) -> None:
        """Record one observation (seconds) in the histogram ``name``."""


class NoMetrics:
    """Counts nothing: the core without a metrics exporter (tests, tools)."""

    def count(self, name: str, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        pass

    def observe(self, name: str, value: float, labels: tuple[str, ...] = ()) -> None:
        pass


def channel_kind(binding_id: str) -> str:
    """A binding id's channel kind ("telegram:123" -> "telegram"): a bounded label."""
    return binding_id.partition(":")[0]


def failure_reason(retryable: bool, retry_after: float | None, reason: str) -> str:
    """A send failure's class for a label (its text may name anything: never a label)."""
    if retry_after is not None:
        return "rate_limited"
    if not retryable:
        return "refused"
    if reason == "the channel is not running":
        return "not_running"
    if "in time" in reason or reason.startswith("no answer within"):
        return "timeout"
    if "could not be reached" in reason or "unavailable" in reason:
        return "unreachable"
    return "error"
