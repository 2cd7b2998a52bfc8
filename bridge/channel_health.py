"""How each channel is doing: what it last received and sent, whether it works, and the last error.

Kept in this process's memory, so nothing is written per message (a restart
starts the record afresh; each process knows its own channels). A channel
*fails* while its platform is away or refuses it (what its backend says as
it retries), or once ``FAILING_SENDS`` sends in a row failed (one customer who
blocked the bot is not a failing channel). The line is told once when a
channel starts failing and once when it works again, never per message.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Awaitable, Callable

from bridge.ports import Clock

log = logging.getLogger(__name__)
FAILING_SENDS = 3
Alert = Callable[[str, "str | None"], Awaitable[None]]  # (binding id, its problem; None: it works again)


@dataclass(frozen=True)
class Activity:
    last_inbound: float | None = None
    last_sent: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    trouble: str | None = None  # the backend's words while it cannot take messages
    failed_sends: int = 0  # in a row

    @property
    def problem(self) -> str | None:
        """Why the channel does not work now; None while it works."""
        if self.trouble:
            return self.trouble
        if self.failed_sends >= FAILING_SENDS:
            return f"sending fails ({self.last_error})"
        return None


class ChannelHealth:
    def __init__(self, clock: Clock | None = None, alert: Alert | None = None) -> None:
        self._now = clock.now if clock is not None else time.time
        self.alert = alert
        self._channels: dict[str, Activity] = {}
        self._inbound: dict[str, float] = {}  # when each channel last received: a float per message, no copy
        self._tasks: set[asyncio.Task[None]] = set()

    def of(self, binding_id: str) -> Activity:
        activity = self._channels.get(binding_id, Activity())
        inbound = self._inbound.get(binding_id)
        return activity if inbound is None else replace(activity, last_inbound=inbound)

    def received(self, binding_id: str) -> None:
        self._inbound[binding_id] = self._now()

    def sent(self, binding_id: str) -> None:
        self._change(binding_id, last_sent=self._now(), failed_sends=0)

    def send_failed(self, binding_id: str, reason: str, *, at_once: bool = False) -> None:
        """A send failed for a reason of the channel's (``at_once``: one that will not pass, refused credentials)."""
        failed = self.of(binding_id).failed_sends + 1
        self._change(binding_id, failed_sends=max(failed, FAILING_SENDS) if at_once else failed, last_error=reason,
                     last_error_at=self._now())

    def troubled(self, binding_id: str, problem: str | None) -> None:
        """The backend's own state: ``problem`` while it cannot take messages, None once it works."""
        if problem:
            self._change(binding_id, trouble=problem, last_error=problem.split("; retrying")[0],
                         last_error_at=self._now())
        else:
            self._change(binding_id, trouble=None)

    def stopped(self, binding_id: str) -> None:
        """Stopped on purpose (disconnected, reconnected): not a failure, nor a recovery to announce."""
        self._channels[binding_id] = replace(self.of(binding_id), trouble=None, failed_sends=0)

    def _change(self, binding_id: str, **changes: object) -> None:
        before = self.of(binding_id)
        after = replace(before, **changes)  # type: ignore[arg-type]
        self._channels[binding_id] = after
        if (before.problem is None) != (after.problem is None):
            self._tell(binding_id, after.problem)

    def _tell(self, binding_id: str, problem: str | None) -> None:
        if self.alert is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._alerted(binding_id, problem))
        except RuntimeError:  # no loop (a check outside the runtime): nobody to tell
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _alerted(self, binding_id: str, problem: str | None) -> None:
        assert self.alert is not None
        try:
            await self.alert(binding_id, problem)
        except Exception as exc:  # the journal may be away: the state is still shown by !line status
            log.error("telling channel %s's state failed: %s", binding_id, type(exc).__name__)
