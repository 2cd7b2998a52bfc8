"""Prometheus metrics for one process: the core's counters and timings, and gauges read at scrape time.

The message path only adds to plain dicts (one loop thread, no lock, no
prometheus-client call per message); ``runtime.metrics_export`` turns them into
the text format when scraped, with prometheus-client's process collector (CPU,
memory, open files). prometheus-client is imported at the first scrape, not at
start: a process nobody scrapes does not hold it (about 13 MB).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge import metrics as names

if TYPE_CHECKING:
    from runtime.metrics_export import Exporter

RELAY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
ANSWER_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


@dataclass(frozen=True)
class Family:
    name: str  # as exported (a counter's without "_total": prometheus-client adds it)
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()  # a histogram's upper bounds


COUNTERS = {f.name + "_total": f for f in (
    Family("openlines_messages_received", "Customer messages stored (redeliveries not counted)", ("line", "channel")),
    Family("openlines_messages_sent", "Messages delivered to customers", ("line", "channel")),
    Family("openlines_send_retries", "Sends to customers that failed and will be tried again", ("channel",)),
    Family("openlines_send_failures", "Sends to customers given up, by class of reason", ("channel", "reason")),
)}
HISTOGRAMS = {f.name: f for f in (
    Family(names.RELAY_SECONDS, "Seconds from a customer message accepted to posted in its team room", (),
           RELAY_BUCKETS),
    Family(names.FIRST_ANSWER_SECONDS, "Seconds from a conversation's start to its first answer", ("line",),
           ANSWER_BUCKETS),
)}


@dataclass
class Gauges:
    """What is read when scraped (runtime.app.Runtime.gauges)."""

    backlog: dict[str, int]  # lane kind -> items
    dead_letters: int
    conversations_open: dict[str, int]  # line id -> open conversations
    queue_waiting: dict[str, int]  # line id -> conversations waiting for an operator
    webchat_sockets: int
    channels: dict[str, int]  # state (running, failing, stopped) -> channels in it


class ProcessMetrics:
    """The ``bridge.metrics.Metrics`` port for this process, and its Prometheus collector."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, tuple[str, ...]], float] = {}
        self._histograms: dict[tuple[str, tuple[str, ...]], list[float]] = {}  # buckets..., +Inf, sum
        self.gauges: Gauges | None = None
        self._exporter: Exporter | None = None  # made at the first scrape

    # -- the port (on the message path) ---------------------------------------------------------
    def count(self, name: str, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        key = (name, labels)
        self._counts[key] = self._counts.get(key, 0.0) + amount

    def observe(self, name: str, value: float, labels: tuple[str, ...] = ()) -> None:
        key = (name, labels)
        cells = self._histograms.get(key)
        if cells is None:
            cells = self._histograms[key] = [0.0] * (len(HISTOGRAMS[name].buckets) + 2)
        cells[bisect.bisect_left(HISTOGRAMS[name].buckets, value)] += 1
        cells[-1] += value

    # -- the exporter (when scraped) -----------------------------------------------------------------
    def render(self, gauges: Gauges | None) -> bytes:
        if self._exporter is None:
            from runtime.metrics_export import Exporter
            self._exporter = Exporter(self)
        return self._exporter.render(gauges)

    def counts(self) -> list[tuple[tuple[str, tuple[str, ...]], float]]:
        return list(self._counts.items())

    def histograms(self) -> list[tuple[tuple[str, tuple[str, ...]], list[float]]]:
        return list(self._histograms.items())
