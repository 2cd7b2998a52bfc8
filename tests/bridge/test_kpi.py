"""The first-answer KPI on the fake clock: who is alerted, when, and only once."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bridge.kpi import KIND, KpiAlerts, Verdict, verdict
from bridge.model import Conversation, ConversationStatus
from bridge.store import WorkItem

ROOM_NOTE = "First-answer KPI missed"


async def _kpi_line(app, seconds: int = 60, supervisors: tuple[str, ...] = ("sue", "sam")) -> None:
    app.services.directory.put_line(replace(app.line, supervisors=supervisors))
    app.set_line(kpi_first_answer_seconds=seconds)


def _alerts(app, cid: str) -> dict[str, int]:
    return {room: sum(ROOM_NOTE in t for t in app.team.texts(room))
            for room in ("support", f"support-{cid}", "dm:sue", "dm:sam", "dm:ann")}


async def test_an_unanswered_conversation_alerts_the_line_room_its_room_and_each_supervisor_once(app):
    await _kpi_line(app)
    cid = (await app.say("Hello?")).conversation_id
    await app.advance(59)
    assert _alerts(app, cid) == {"support": 0, f"support-{cid}": 0, "dm:sue": 0, "dm:sam": 0, "dm:ann": 0}

    await app.advance(1)
    assert _alerts(app, cid) == {"support": 1, f"support-{cid}": 1, "dm:sue": 1, "dm:sam": 1, "dm:ann": 0}
    (text,) = [t for t in app.team.texts("dm:sue")]
    assert f"conversation {cid} (Alice, Website chat) on Support has waited 1 min" in text
    assert "target: 1 min" in text and f"!answer {cid}" in text

    await app.actions.answer(cid, "ann")
    await app.advance(3600)
    assert _alerts(app, cid)["support"] == 1 and _alerts(app, cid)["dm:sue"] == 1


async def test_an_answer_in_time_alerts_nobody(app):
    await _kpi_line(app)
    cid = (await app.say("Hello?")).conversation_id
    await app.advance(30)
    await app.actions.answer(cid, "ann")
    await app.advance(600)
    assert sum(_alerts(app, cid).values()) == 0


async def test_an_answer_after_the_target_is_reported_late(app):
    await _kpi_line(app)
    cid = (await app.say("Hello?")).conversation_id
    await app.settle()
    app.clock.advance(95)  # the timer is due, but the outbox has not run it yet (a busy or stopped process)
    await app.actions.reply(cid, "bob", "Sorry for the wait")
    await app.settle()
    (text,) = app.team.texts("dm:sue")
    assert "was first answered after 1 min 35 s by bob" in text
    assert _alerts(app, cid)["support"] == 1


async def test_a_raised_target_moves_the_check(app):
    await _kpi_line(app, 60)
    cid = (await app.say("Hello?")).conversation_id
    app.set_line(kpi_first_answer_seconds=300)
    await app.advance(61)
    assert _alerts(app, cid)["support"] == 0
    await app.advance(238)
    assert _alerts(app, cid)["support"] == 0
    await app.advance(1)
    assert _alerts(app, cid)["support"] == 1


async def _turn_off(app, cid: str) -> None:
    app.set_line(kpi_first_answer_seconds=0)


async def _close_silently(app, cid: str) -> None:
    await app.actions.close(cid, "root", silent=True)


@pytest.mark.parametrize("meanwhile", [_turn_off, _close_silently])
async def test_a_target_turned_off_or_a_conversation_closed_in_time_alerts_nobody(app, meanwhile):
    await _kpi_line(app, 60)
    cid = (await app.say("Hello?")).conversation_id
    await meanwhile(app, cid)
    await app.advance(120)
    assert sum(_alerts(app, cid).values()) == 0


async def test_a_line_without_supervisors_alerts_its_room(app):
    await _kpi_line(app, 60, supervisors=())
    cid = (await app.say("Hello?")).conversation_id
    await app.advance(60)
    assert _alerts(app, cid)["support"] == 1


async def test_the_check_run_again_after_a_crash_alerts_nobody_twice(app):
    await _kpi_line(app, 60)
    cid = (await app.say("Hello?")).conversation_id
    await app.settle()
    app.clock.advance(61)
    alerts = KpiAlerts(app.services.core)
    item = WorkItem(0, KIND, f"timer:{cid}", cid, {}, 0, recovered=True)
    await alerts.check([item])
    await alerts.check([item])  # the alert was stored, the timer not yet marked done: it runs again
    await app.settle()
    assert _alerts(app, cid) == {"support": 1, f"support-{cid}": 1, "dm:sue": 1, "dm:sam": 1, "dm:ann": 0}


async def test_a_pending_check_survives_a_restart(make_app, tmp_path):
    first = await make_app()
    await _kpi_line(first, 60)
    await first.services.core.journal.config.save_line(first.line)
    cid = (await first.say("Hello?")).conversation_id
    await first.settle()
    await first.shutdown()

    again = await make_app(path=first.path, team=first.team, clock=first.clock)
    await again.advance(60)
    assert _alerts(again, cid)["dm:sue"] == 1


T = 1000.0


def _c(**kw) -> Conversation:
    base = dict(id="1", line_id="l", binding_id="b", customer_ref="r", customer_name="A",
                status=ConversationStatus.QUEUED, created_at=T)
    return Conversation(**{**base, **kw})


@pytest.mark.parametrize("conversation, now, expected", [
    (_c(), T + 60, Verdict.UNANSWERED),
    (_c(), T + 59, Verdict.EARLY),
    (_c(first_answer_at=T + 60), T + 60, Verdict.FINE),
    (_c(first_answer_at=T + 61), T + 90, Verdict.LATE),
    (_c(spam=True), T + 600, Verdict.FINE),
    (_c(status=ConversationStatus.CLOSED, closed_at=T + 30), T + 60, Verdict.FINE),
    (_c(status=ConversationStatus.CLOSED, closed_at=T + 90), T + 120, Verdict.DROPPED),
])
def test_the_verdict(conversation, now, expected):
    assert verdict(conversation, 60, now) is expected
    assert verdict(conversation, 0, now) is Verdict.FINE
