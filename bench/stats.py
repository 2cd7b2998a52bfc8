"""Figures of a benchmark run and how they are printed."""
from __future__ import annotations

from dataclasses import dataclass, field


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Figures:
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    expected: int | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


def report(floor: Figures, runs: dict[str, Figures]) -> None:
    def row(name: str, f: Figures) -> str:
        lost = "" if f.expected is None or f.count == f.expected else f"  LOST {f.expected - f.count}"
        return (f"{name:<26} {f.count:>7} msgs {f.rate:>9,.0f} msg/s  "
                f"p50 {f.percentile(50) * 1000:>7.1f} ms  p99 {f.percentile(99) * 1000:>7.1f} ms"
                f"  {f.rate / floor.rate:>6.0%} of floor{lost}")

    print(f"{'aiohttp WS echo (floor)':<26} {floor.count:>7} msgs {floor.rate:>9,.0f} msg/s  "
          f"p50 {floor.percentile(50) * 1000:>7.1f} ms  p99 {floor.percentile(99) * 1000:>7.1f} ms")
    for name, figures in runs.items():
        print(row(name, figures))
