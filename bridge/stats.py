"""Statistics of conversations: pure figures from a list of conversations, and their CSV.

Definitions (docs/operators.md states them too): *answered* got a first answer;
*missed* closed without ever being answered (spam aside); *spam* was marked
spam; *time to first answer* runs from the customer's first message to the
first operator message or answer; *duration* from creation to closing (spam
aside). The median of an even count is the mean of the two middle values;
the 90th percentile is the nearest rank (the value 90 % of the sample is at
or below).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from dataclasses import dataclass, field, fields
from typing import Callable, Sequence

from bridge.model import Conversation, Rating

DAY = 86_400.0


@dataclass(frozen=True)
class Figures:
    conversations: int = 0
    answered: int = 0
    missed: int = 0
    spam: int = 0
    open: int = 0
    first_answer_median: float | None = None  # seconds
    first_answer_p90: float | None = None
    duration_median: float | None = None
    rated_good: int = 0  # customers' ratings
    rated_bad: int = 0
    supervisor_ratings: int = 0
    supervisor_mean: float | None = None  # 1-5


@dataclass(frozen=True)
class Report:
    since: float
    until: float
    total: Figures
    lines: dict[str, Figures]  # by line name
    channels: dict[str, Figures]  # by channel label
    operators: dict[str, Figures]  # by the operator who has (or had) it
    hours: dict[str, Figures]  # by the hour of day it began ("09"), in its line's time zone
    days: dict[str, Figures] = field(default_factory=dict)  # by the date it began ("2026-12-07"), oldest first


def missed(c: Conversation) -> bool:
    return not c.is_open and c.first_answer_at is None and not c.spam


def figures(conversations: Sequence[Conversation]) -> Figures:
    waits = [max(0.0, c.first_answer_at - c.created_at) for c in conversations if c.first_answer_at is not None]
    durations = [max(0.0, c.closed_at - c.created_at) for c in conversations
                 if c.closed_at is not None and not c.spam]
    marks = [c.supervisor_rating for c in conversations if c.supervisor_rating is not None]
    return Figures(
        conversations=len(conversations),
        answered=len(waits),
        missed=sum(1 for c in conversations if missed(c)),
        spam=sum(1 for c in conversations if c.spam),
        open=sum(1 for c in conversations if c.is_open),
        first_answer_median=median(waits),
        first_answer_p90=percentile(waits, 0.9),
        duration_median=median(durations),
        rated_good=sum(1 for c in conversations if c.customer_rating == Rating.GOOD),
        rated_bad=sum(1 for c in conversations if c.customer_rating == Rating.BAD),
        supervisor_ratings=len(marks),
        supervisor_mean=statistics.fmean(marks) if marks else None,
    )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least ``share`` of the sample at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(conversations: Sequence[Conversation], *, since: float, until: float,
           line_of: Callable[[Conversation], str], channel_of: Callable[[Conversation], str],
           zone_of: Callable[[Conversation], dt.tzinfo]) -> Report:
    def hour(c: Conversation) -> str:
        return f"{dt.datetime.fromtimestamp(c.created_at, zone_of(c)).hour:02d}"

    def day(c: Conversation) -> str:
        return dt.datetime.fromtimestamp(c.created_at, zone_of(c)).date().isoformat()

    return Report(since, until, figures(conversations), _by(conversations, line_of),
                  _by(conversations, channel_of), _by([c for c in conversations if c.owner], lambda c: c.owner or ""),
                  dict(sorted(_by(conversations, hour).items())), dict(sorted(_by(conversations, day).items())))


def _by(conversations: Sequence[Conversation], key: Callable[[Conversation], str]) -> dict[str, Figures]:
    groups: dict[str, list[Conversation]] = {}
    for c in conversations:
        groups.setdefault(key(c), []).append(c)
    return {name: figures(group) for name, group in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))}


COLUMNS = [f.name for f in fields(Figures)]


def to_csv(r: Report) -> str:
    """One row per group: the whole, each line, channel, operator and hour; times in seconds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "name", *COLUMNS])
    rows = [("total", "all", r.total), *(("line", k, v) for k, v in r.lines.items()),
            *(("channel", k, v) for k, v in r.channels.items()),
            *(("operator", k, v) for k, v in r.operators.items()), *(("hour", k, v) for k, v in r.hours.items())]
    for group, name, f in rows:
        writer.writerow([group, _cell(name), *(_number(getattr(f, c)) for c in COLUMNS)])
    return out.getvalue()


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _cell(text: str) -> str:
    """A spreadsheet must not run a name as a formula (an operator's or a channel's name)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def span(seconds: float) -> str:
    """A duration as people read it: 45 s, 3 min 10 s, 2 h 05 min, 3 d 4 h."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s" if s % 60 else f"{s // 60} min"
    if s < DAY:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"
