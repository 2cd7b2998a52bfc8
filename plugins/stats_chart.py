"""!stats --chart: the statistics as one PNG — conversations per day, time to first answer, ratings.

Drawn with matplotlib's Agg backend through its object API (no pyplot, no
display, no global state), so two commands may draw at once on Errbot's
threads.
"""
from __future__ import annotations

import datetime as dt
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from bridge.reports import StatsReport
from bridge.stats import Figures

WIDTH, HEIGHT, DPI = 10.0, 9.0, 100  # inches, dots per inch: a 1000 × 900 picture


def chart_png(found: StatsReport) -> bytes:
    """The report's picture, as PNG bytes."""
    r = found.report
    days = _every_day(r.since, r.until, r.days)
    figures = [r.days.get(day, Figures()) for day in days]
    labels = [dt.date.fromisoformat(day) for day in days]  # a date axis: readable ticks for a year too
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    names = ", ".join(line.name for line in found.lines)
    figure.suptitle(f"{names}: the last {found.days} day(s), until {days[-1]}")
    top, middle, bottom = figure.subplots(3, 1, sharex=True)
    top.bar(labels, [f.answered for f in figures], label="answered", color="#2e7d32")
    top.bar(labels, [f.missed for f in figures], bottom=[f.answered for f in figures], label="missed",
            color="#c62828")
    dots = len(days) <= 31  # a mark per day where days can be told apart
    if dots:
        top.plot(labels, [f.conversations for f in figures], "k.", label="all conversations")
    top.set_ylabel("conversations per day")
    top.legend(loc="upper left", fontsize="small")
    waits = [f.first_answer_median / 60 if f.first_answer_median is not None else float("nan") for f in figures]
    middle.plot(labels, waits, "o-" if dots else "-", color="#1565c0", label="median")
    p90 = [f.first_answer_p90 / 60 if f.first_answer_p90 is not None else float("nan") for f in figures]
    middle.plot(labels, p90, "x--" if dots else "--", color="#90caf9", label="90th percentile")
    middle.set_ylabel("first answer (minutes)")
    middle.legend(loc="upper left", fontsize="small")
    bottom.bar(labels, [f.rated_good for f in figures], label="good", color="#43a047")
    bottom.bar(labels, [-f.rated_bad for f in figures], label="bad", color="#e53935")
    bottom.axhline(0, color="black", linewidth=0.5)
    bottom.set_ylabel("customers' ratings")
    bottom.legend(loc="upper left", fontsize="small")
    locator = AutoDateLocator(maxticks=12)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _every_day(since: float, until: float, known: dict[str, Figures]) -> list[str]:
    """Each date of the window (UTC), with any date a line's time zone put a conversation on."""
    first = dt.datetime.fromtimestamp(since, dt.timezone.utc).date()
    last = dt.datetime.fromtimestamp(until, dt.timezone.utc).date()
    window = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return sorted({*window, *known})
