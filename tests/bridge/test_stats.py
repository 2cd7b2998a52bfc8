"""Statistics from hand-made conversations: every figure, every breakdown, the CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from bridge import stats
from bridge.model import Conversation, ConversationStatus

T0 = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.timezone.utc).timestamp()  # 09:30 in Paris
CLOSED = ConversationStatus.CLOSED


def conv(n: int, *, at: float = T0, answer: float | None = None, closed: float | None = None, owner: str | None = None,
         channel: str = "web", spam: bool = False, good: str | None = None, mark: int | None = None,
         line: str = "support") -> Conversation:
    status = CLOSED if closed is not None else ConversationStatus.ACTIVE if owner else ConversationStatus.QUEUED
    return Conversation(str(n), line, channel, f"c{n}", f"Customer {n}", status, at, owner=owner,
                        first_answer_at=None if answer is None else at + answer,
                        closed_at=None if closed is None else at + closed, spam=spam, customer_rating=good,
                        supervisor_rating=mark)


SAMPLE = [
    conv(1, answer=10, closed=600, owner="ann", good="good", mark=5),
    conv(2, answer=30, closed=1200, owner="ann", good="bad", mark=3, channel="tg"),
    conv(3, answer=50, closed=300, owner="bob", good="good"),
    conv(4, answer=200, owner="bob"),  # still open, answered
    conv(5, closed=900),  # missed: closed, never answered
    conv(6, closed=5, spam=True),  # spam: neither missed nor in the durations
    conv(7),  # waiting
]


def test_the_headline_figures():
    f = stats.figures(SAMPLE)
    assert (f.conversations, f.answered, f.missed, f.spam, f.open) == (7, 4, 1, 1, 2)
    assert f.first_answer_median == 40  # 10, 30, 50, 200: the mean of the two middle ones
    assert f.first_answer_p90 == 200  # nearest rank: ceil(0.9 × 4) = the 4th
    assert f.duration_median == 750  # 300, 600, 900, 1200 → (600 + 900) / 2; the spam left out
    assert (f.rated_good, f.rated_bad, f.supervisor_ratings, f.supervisor_mean) == (2, 1, 2, 4.0)


def test_duration_median_leaves_spam_out():
    assert stats.figures([conv(1, closed=100), conv(2, closed=1, spam=True)]).duration_median == 100


@pytest.mark.parametrize("values, share, expected", [
    ([5.0], 0.9, 5.0), (list(map(float, range(1, 11))), 0.9, 9.0), (list(map(float, range(1, 101))), 0.9, 90.0),
    ([3.0, 1.0, 2.0], 0.5, 2.0), ([], 0.9, None)])
def test_nearest_rank_percentile(values, share, expected):
    assert stats.percentile(values, share) == expected


def test_nothing_at_all_is_zeros_and_blanks():
    f = stats.figures([])
    assert f == stats.Figures()
    assert f.first_answer_median is None and f.supervisor_mean is None


def _report(conversations, zone=dt.timezone.utc):
    return stats.report(conversations, since=T0 - 86400, until=T0 + 86400, line_of=lambda c: c.line_id,
                        channel_of=lambda c: {"web": "Website chat", "tg": "Telegram"}[c.binding_id],
                        zone_of=lambda c: zone)


def test_breakdowns_per_channel_operator_line_and_hour():
    r = _report(SAMPLE)
    assert list(r.channels) == ["Website chat", "Telegram"]  # the busiest first
    assert r.channels["Telegram"].conversations == 1 and r.channels["Website chat"].missed == 1
    assert {k: (v.conversations, v.first_answer_median) for k, v in r.operators.items()} == {
        "ann": (2, 20), "bob": (2, 125)}
    assert list(r.lines) == ["support"]
    assert list(r.hours) == ["08"] and r.hours["08"].conversations == 7


def test_the_hour_of_day_is_the_lines_own():
    r = _report(SAMPLE, ZoneInfo("Europe/Paris"))
    assert list(r.hours) == ["09"]
    late = replace(SAMPLE[0], created_at=T0 + 15 * 3600)  # 23:30 UTC is 00:30 the next day in Paris
    assert list(_report([late], ZoneInfo("Europe/Paris")).hours) == ["00"]


def test_the_csv_has_a_row_per_group_and_seconds_for_times():
    rows = list(csv.reader(io.StringIO(stats.to_csv(_report(SAMPLE)))))
    assert rows[0][:4] == ["group", "name", "conversations", "answered"]
    by = {(r[0], r[1]): dict(zip(rows[0], r)) for r in rows[1:]}
    assert by[("total", "all")]["conversations"] == "7"
    assert by[("total", "all")]["first_answer_median"] == "40.0"
    assert by[("operator", "ann")]["rated_good"] == "1"
    assert by[("channel", "Telegram")]["supervisor_mean"] == "3.0"
    assert by[("hour", "08")]["missed"] == "1"
    assert by[("channel", "Website chat")]["supervisor_mean"] == "5.0"


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv():
    r = stats.report([conv(1, owner="=HYPERLINK(1)")], since=0, until=1, line_of=lambda c: "x",
                     channel_of=lambda c: "@web", zone_of=lambda c: dt.timezone.utc)
    text = stats.to_csv(r)
    assert "'=HYPERLINK(1)" in text and "'@web" in text


@pytest.mark.parametrize("seconds, shown", [(0, "0 s"), (59.6, "1 min"), (190, "3 min 10 s"), (3600, "1 h 00 min"),
                                             (7500, "2 h 05 min"), (3 * 86400 + 4 * 3600, "3 d 4 h"), (-5, "0 s")])
def test_spans_read_as_people_say_them(seconds, shown):
    assert stats.span(seconds) == shown
