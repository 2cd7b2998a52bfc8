"""Prometheus metrics for one process: the core's counters and timings, and gauges read at scrape time.

The message path only adds to plain dicts (one loop thread, no lock, no
prometheus-client call per message); prometheus-client turns them into its
text format when scraped, with its process collector (CPU, memory, open files).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.metrics_core import (CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
                                            Metric)
from prometheus_client.registry import Collector

from bridge import metrics as names

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


class ProcessMetrics(Collector):
    """The ``bridge.metrics.Metrics`` port for this process, and its Prometheus collector."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, tuple[str, ...]], float] = {}
        self._histograms: dict[tuple[str, tuple[str, ...]], list[float]] = {}  # buckets..., +Inf, sum
        self.gauges: Gauges | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self.registry.register(ProcessCollector(registry=None))

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
        self.gauges = gauges
        return generate_latest(self.registry)

    def collect(self) -> Iterable[Metric]:
        yield from self._counters()
        yield from self._histogram_families()
        if self.gauges is not None:
            yield from _gauges(self.gauges)

    def _counters(self) -> Iterator[Metric]:
        for full, family in COUNTERS.items():
            metric = CounterMetricFamily(family.name, family.help, labels=family.labels)
            for (name, labels), value in list(self._counts.items()):
                if name == full:
                    metric.add_metric(labels, value)
            yield metric

    def _histogram_families(self) -> Iterator[Metric]:
        for name, family in HISTOGRAMS.items():
            metric = HistogramMetricFamily(name, family.help, labels=family.labels)
            for (of, labels), cells in list(self._histograms.items()):
                if of == name:
                    metric.add_metric(labels, _cumulative(family.buckets, cells), cells[-1])
            yield metric


def _cumulative(bounds: Sequence[float], cells: list[float]) -> list[tuple[str, float]]:
    running, buckets = 0.0, []
    for bound, count in zip([*map(str, bounds), "+Inf"], cells[:-1]):
        running += count
        buckets.append((bound, running))
    return buckets


def _gauges(g: Gauges) -> Iterator[Metric]:
    backlog = GaugeMetricFamily("openlines_work_backlog", "Work this process holds, not yet done, by lane kind",
                                labels=("lane_kind",))
    for kind, items in sorted(g.backlog.items()):
        backlog.add_metric((kind,), items)
    yield backlog
    yield CounterMetricFamily("openlines_dead_letters", "Work given up (dead letters) in the journal",
                              value=g.dead_letters)
    for name, help_, values in (
            ("openlines_conversations_open", "Open conversations by line", g.conversations_open),
            ("openlines_queue_waiting", "Conversations waiting for an operator by line", g.queue_waiting)):
        gauge = GaugeMetricFamily(name, help_, labels=("line",))
        for line, count in sorted(values.items()):
            gauge.add_metric((line,), count)
        yield gauge
    states = GaugeMetricFamily("openlines_channels", "Channels by state: running, failing (see /readyz), stopped",
                               labels=("state",))
    for state, count in sorted(g.channels.items()):
        states.add_metric((state,), count)
    yield states
    yield GaugeMetricFamily("openlines_webchat_sockets", "Website chat sockets open in this process",
                            value=g.webchat_sockets)
