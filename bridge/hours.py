"""Working hours: "mon-fri 09:00-18:00; sat 10:00-14:00" or "always", a time zone, days off."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.errors import Refused

if TYPE_CHECKING:  # the model's settings use this module to check hours
    from bridge.model import Line

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
HOURS_USAGE = "always, or days and times like: mon-fri 09:00-18:00; sat 10:00-14:00"


@dataclass(frozen=True)
class Shift:
    day: int  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # exclusive; 24:00 = 1440


@dataclass(frozen=True)
class Schedule:
    shifts: tuple[Shift, ...] | None  # None: always open
    zone: ZoneInfo
    holidays: frozenset[dt.date]

    def is_open(self, ts: float) -> bool:
        local = dt.datetime.fromtimestamp(ts, self.zone)
        if local.date() in self.holidays:
            return False
        if self.shifts is None:
            return True
        minute = local.hour * 60 + local.minute
        return any(s.day == local.weekday() and s.start <= minute < s.end for s in self.shifts)

    def next_open(self, ts: float) -> float | None:
        """The next moment the line opens (``ts`` itself when open); None if it never does."""
        if self.is_open(ts):
            return ts
        local = dt.datetime.fromtimestamp(ts, self.zone).replace(second=0, microsecond=0)
        for days_ahead in range(0, 400):
            day = (local + dt.timedelta(days=days_ahead)).date()
            for start in self._starts(day):
                moment = dt.datetime.combine(day, dt.time(0), self.zone) + dt.timedelta(minutes=start)
                if moment.timestamp() >= ts and self.is_open(moment.timestamp()):
                    return moment.timestamp()
        return None

    def _starts(self, day: dt.date) -> list[int]:
        if day in self.holidays:
            return []
        if self.shifts is None:
            return [0]
        return sorted(s.start for s in self.shifts if s.day == day.weekday())


def parse_hours(text: str) -> tuple[Shift, ...] | None:
    text = " ".join(text.lower().split())
    if text in ("always", "24/7", ""):
        return None
    shifts: list[Shift] = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        match = _SPAN.match(part)
        if not match:
            raise Refused(f"“{part}” is not a span of working hours; use {HOURS_USAGE}")
        first, last, h1, m1, h2, m2 = match.groups()
        start, end = _minutes(h1, m1), _minutes(h2, m2)
        if end <= start:
            raise Refused(f"“{part}” ends before it starts; use {HOURS_USAGE}")
        for day in _day_range(first, last or first):
            shifts.append(Shift(day, start, end))
    return tuple(shifts)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"“{name[:60]}” is not a time zone; use an IANA name like Europe/Paris or UTC") from None


def parse_holidays(text: str) -> frozenset[dt.date]:
    days = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            days.add(dt.date.fromisoformat(part))
        except ValueError:
            raise Refused(f"“{part[:40]}” is not a date; write days off as 2026-12-25,2027-01-01") from None
    return frozenset(days)


def schedule(hours: str, timezone: str, holidays: str) -> Schedule:
    return Schedule(parse_hours(hours), parse_zone(timezone), parse_holidays(holidays))


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise Refused(f"{hours}:{minutes} is not a time of day; use {HOURS_USAGE}")
    return h * 60 + m


def _day_range(first: str, last: str) -> list[int]:
    for day in (first, last):
        if day not in DAYS:
            raise Refused(f"“{day}” is not a day; days are {', '.join(DAYS)}")
    a, b = DAYS.index(first), DAYS.index(last)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]


def line_schedule(line: Line) -> Schedule:
    """A line's working hours. Settings are checked when set: an old bad value must not stop
    messages nor offers, so it counts as always open."""
    try:
        return schedule(line.settings.hours, line.settings.timezone, line.settings.holidays)
    except Refused:
        return schedule("always", "UTC", "")
