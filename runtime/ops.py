"""What operations teams read: /readyz (can this process take and relay messages now?) and /metrics.

Details (channel failure reasons, lines) only for this machine or the bearer of
OPENLINES_METRICS_TOKEN; anyone else reads the status alone.
"""
from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4  # every Prometheus 2.x and 3.x reads it

from bridge.model import ConversationStatus
from runtime.metrics import Gauges

if TYPE_CHECKING:
    from runtime.core import OpenLinesCore
    from runtime.host import Host

COUNT_EVERY = 5.0  # seconds: open conversations are counted from the journal at most this often
PAGE = 500


def routes(host: "Host") -> list[web.RouteDef]:
    async def readyz(request: web.Request) -> web.Response:
        core = host.core
        if core is None:
            return web.json_response({"status": "starting"}, status=503)
        ok, details = await readiness(core, trusted(request, host.settings.metrics_token))
        return web.json_response({"status": "ready" if ok else "not ready", **details}, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        if not trusted(request, host.settings.metrics_token):
            raise web.HTTPUnauthorized(text="a bearer token (OPENLINES_METRICS_TOKEN) is needed from here\n",
                                       headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        core = host.core
        body = host.metrics.render(await core.gauges() if core is not None else None)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return [web.get("/readyz", readyz), web.get("/metrics", metrics)]


def trusted(request: web.Request, token: str) -> bool:
    """This machine (not through a proxy), or the bearer of the metrics token."""
    if request.remote in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers:
        return True
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def readiness(core: "OpenLinesCore", trusted: bool) -> tuple[bool, dict[str, Any]]:
    """Required: the team chat connected, the journal writable, every enabled channel running."""
    assert core.journal is not None
    connected = getattr(core.team, "connected", None)
    team = bool(connected()) if callable(connected) else True
    writable = await core.journal.writable()
    channels = channel_states(core)
    ok = team and writable and not any(state == "failing" for state, _ in channels.values())
    details: dict[str, Any] = {
        "team_chat": "connected" if team else "not connected", "store": "writable" if writable else "cannot write",
        "backlog": core.core.outbox.backlog(), "dead_letters": await core.journal.outbox.dead_count()}
    if trusted:
        details["channels"] = {binding_id: {"state": state, **({"reason": why} if why else {})}
                               for binding_id, (state, why) in channels.items()}
    else:
        details["channels"] = {state: sum(1 for s, _ in channels.values() if s == state)
                               for state in ("running", "failing", "stopped")}
    return ok, details


def channel_states(core: "OpenLinesCore") -> dict[str, tuple[str, str]]:
    """Each binding: running, failing (and why: the same words `!line show` uses) or stopped (disabled)."""
    failing = core.channels.failing()
    states: dict[str, tuple[str, str]] = {}
    for binding in core.services.directory.bindings.values():
        if not binding.enabled:
            states[binding.id] = ("stopped", "")
        elif binding.id in failing:
            states[binding.id] = ("failing", failing[binding.id])
        elif binding.id in core.channels.backends:
            states[binding.id] = ("running", "")
        else:
            states[binding.id] = ("failing", "not started")
    return states


class ConversationCounts:
    """Open and waiting conversations per line, read from the journal at most every COUNT_EVERY seconds
    (a scrape each second must not page through every open conversation each time)."""

    def __init__(self) -> None:
        self._at = -COUNT_EVERY
        self._counts: tuple[dict[str, int], dict[str, int]] = ({}, {})

    async def get(self, core: "OpenLinesCore") -> tuple[dict[str, int], dict[str, int]]:
        if time.monotonic() - self._at >= COUNT_EVERY:
            self._counts = await self._read(core)
            self._at = time.monotonic()
        return self._counts

    @staticmethod
    async def _read(core: "OpenLinesCore") -> tuple[dict[str, int], dict[str, int]]:
        assert core.journal is not None
        lines = {line.id for line in core.services.directory.live_lines()}
        open_, waiting = dict.fromkeys(lines, 0), dict.fromkeys(lines, 0)
        after: str | None = None
        while True:
            page = await core.journal.conversations.conversations(open_only=True, limit=PAGE, after_id=after)
            for c in page:
                if c.line_id in lines:  # a removed line's leftovers would be a label nobody knows
                    open_[c.line_id] += 1
                    waiting[c.line_id] += c.status is ConversationStatus.QUEUED
            if len(page) < PAGE:
                return open_, waiting
            after = page[-1].id


async def gauges(core: "OpenLinesCore", counts: ConversationCounts) -> Gauges:
    assert core.journal is not None
    open_, waiting = await counts.get(core)
    sockets = sum(len(tabs) for backend in core.channels.backends.values() if backend.binding.kind == "webchat"
                  for tabs in getattr(backend, "tabs", {}).values())
    states = dict.fromkeys(("running", "failing", "stopped"), 0)
    for state, _ in channel_states(core).values():
        states[state] += 1
    return Gauges(backlog=core.core.outbox.backlog(), dead_letters=await core.journal.outbox.dead_count(),
                  conversations_open=open_, queue_waiting=waiting, webchat_sockets=sockets, channels=states)
