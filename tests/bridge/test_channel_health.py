"""A channel's health: told once when it starts failing and once when it works again, never per message."""
from __future__ import annotations

import asyncio

from bridge.channel_health import FAILING_SENDS, ChannelHealth


class Told:
    def __init__(self) -> None:
        self.said: list[tuple[str, str | None]] = []

    async def __call__(self, binding_id: str, problem: str | None) -> None:
        self.said.append((binding_id, problem))


async def _settled() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_platform_away_is_told_once_however_often_it_retries_and_once_when_back():
    told = Told()
    health = ChannelHealth(alert=told)
    for wait in (1, 2, 4, 8):
        health.troubled("telegram:1", f"Telegram could not be reached; retrying every {wait} s")
    await _settled()
    assert told.said == [("telegram:1", "Telegram could not be reached; retrying every 1 s")]
    assert health.of("telegram:1").last_error == "Telegram could not be reached"
    health.troubled("telegram:1", None)
    health.troubled("telegram:1", None)
    await _settled()
    assert told.said[1:] == [("telegram:1", None)]


async def test_sends_fail_the_channel_after_a_few_in_a_row_and_a_success_ends_it():
    told = Told()
    health = ChannelHealth(alert=told)
    for _ in range(FAILING_SENDS - 1):
        health.send_failed("viber:2", "the platform could not be reached")
    health.sent("viber:2")  # one went through: not failing
    for _ in range(FAILING_SENDS - 1):
        health.send_failed("viber:2", "the platform could not be reached")
    await _settled()
    assert told.said == [] and health.of("viber:2").problem is None
    for _ in range(5):
        health.send_failed("viber:2", "the platform could not be reached")
    health.received("viber:2")  # receiving says nothing of sending
    await _settled()
    assert [problem is not None for _, problem in told.said] == [True]
    health.sent("viber:2")
    await _settled()
    assert told.said[-1] == ("viber:2", None) and len(told.said) == 2


async def test_refused_credentials_fail_at_once_and_a_channel_stopped_on_purpose_is_not_a_recovery():
    told = Told()
    health = ChannelHealth(alert=told)
    health.send_failed("telegram:1", "the platform refused the credentials", at_once=True)
    await _settled()
    assert told.said == [("telegram:1", "sending fails (the platform refused the credentials)")]
    health.stopped("telegram:1")
    await _settled()
    assert len(told.said) == 1 and health.of("telegram:1").problem is None
    assert health.of("telegram:1").last_error == "the platform refused the credentials"  # still shown


def test_the_last_inbound_is_kept_through_every_other_change():
    clock = iter([10.0, 20.0, 30.0, 40.0])
    health = ChannelHealth()
    health._now = lambda: next(clock)  # type: ignore[method-assign]
    assert health.of("viber:2").last_inbound is None
    health.received("viber:2")
    health.send_failed("viber:2", "blocked")  # at 20
    health.received("viber:2")  # at 30
    activity = health.of("viber:2")
    assert (activity.last_inbound, activity.failed_sends, activity.last_error_at) == (30.0, 1, 20.0)
    health.stopped("viber:2")
    assert health.of("viber:2").last_inbound == 30.0 and health.of("viber:2").failed_sends == 0
