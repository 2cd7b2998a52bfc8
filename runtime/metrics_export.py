"""The /metrics text: ``runtime.metrics.ProcessMetrics`` as Prometheus families, with the process collector.

Imported at the first scrape (prometheus-client is not loaded by a process nobody scrapes).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4  # every Prometheus 2.x and 3.x reads it
from prometheus_client.metrics_core import (CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
                                            Metric)
from prometheus_client.registry import Collector

from runtime.metrics import COUNTERS, HISTOGRAMS, Gauges

if TYPE_CHECKING:
    from runtime.metrics import ProcessMetrics

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class Exporter(Collector):
    """One process's registry: its counters, histograms and gauges, and prometheus-client's process figures."""

    def __init__(self, metrics: "ProcessMetrics") -> None:
        self.metrics = metrics
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self.registry.register(ProcessCollector(registry=None))

    def render(self, gauges: Gauges | None) -> bytes:
        self.metrics.gauges = gauges
        return generate_latest(self.registry)

    def collect(self) -> Iterable[Metric]:
        yield from self._counters()
        yield from self._histogram_families()
        if self.metrics.gauges is not None:
            yield from _gauges(self.metrics.gauges)

    def _counters(self) -> Iterator[Metric]:
        for full, family in COUNTERS.items():
            metric = CounterMetricFamily(family.name, family.help, labels=family.labels)
            for (name, labels), value in self.metrics.counts():
                if name == full:
                    metric.add_metric(labels, value)
            yield metric

    def _histogram_families(self) -> Iterator[Metric]:
        for name, family in HISTOGRAMS.items():
            metric = HistogramMetricFamily(name, family.help, labels=family.labels)
            for (of, labels), cells in self.metrics.histograms():
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
