"""What operations teams read: /readyz (can this process take and relay messages now?) and /metrics.

Details (channel failure reasons, lines) only for this machine or the bearer of
OPENLINES_METRICS_TOKEN; anyone else reads the status alone.
"""
from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bridge.model import ConversationStatus
from runtime.metrics import Gauges

if TYPE_CHECKING:
    from runtime.app import Runtime
    from runtime.host import Host

COUNT_EVERY = 5.0  # seconds: open conversations are counted from the journal at most this often
PAGE = 500


def routes(host: "Host") -> list[web.RouteDef]:
    async def readyz(request: web.Request) -> web.Response:
        runtime = host.runtime
        if runtime is None:
            return web.json_response({"status": "starting"}, status=503)
        ok, details = await readiness(runtime, trusted(request, host.settings.metrics_token))
        return web.json_response({"status": "ready" if ok else "not ready", **details}, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        if not trusted(request, host.settings.metrics_token):
            raise web.HTTPUnauthorized(text="a bearer token (OPENLINES_METRICS_TOKEN) is needed from here\n",
                                       headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        runtime = host.runtime
        body = host.metrics.render(await runtime.gauges() if runtime is not None else None)
        from runtime.metrics_export import CONTENT_TYPE  # loaded by the first scrape (render), not at start
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    return [web.get("/readyz", readyz), web.get("/metrics", metrics)]


def trusted(request: web.Request, token: str) -> bool:
    """This machine (not through a proxy), or the bearer of the metrics token."""
    if request.remote in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers:
        return True
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def readiness(runtime: "Runtime", trusted: bool) -> tuple[bool, dict[str, Any]]:
    """Required: the team chat connected (where this process holds it), the journal writable, every
    enabled channel running."""
    assert runtime.journal is not None
    team, team_state = team_chat_state(runtime.team)
    writable = await runtime.journal.writable()
    channels = channel_states(runtime)
    ok = team and writable and not any(state == "failing" for state, _ in channels.values())
    details: dict[str, Any] = {
        "team_chat": team_state, "store": "writable" if writable else "cannot write",
        "backlog": runtime.services.outbox.backlog(), "dead_letters": await runtime.journal.outbox.dead_count()}
    if trusted:
        details["channels"] = {binding_id: {"state": state, **({"reason": why} if why else {})}
                               for binding_id, (state, why) in channels.items()}
    else:
        details["channels"] = {state: sum(1 for s, _ in channels.values() if s == state)
                               for state in ("running", "failing", "stopped")}
    return ok, details


def team_chat_state(team: object) -> tuple[bool, str]:
    """Whether the team chat lets this process be ready, and the word /readyz says. An intake worker's
    team chat is the team side's (``elsewhere``): not this process's to connect, so no reason to wait."""
    if getattr(team, "elsewhere", False):
        return True, "elsewhere"
    connected = getattr(team, "connected", None)
    up = bool(connected()) if callable(connected) else True
    return up, "connected" if up else "not connected"


def channel_states(runtime: "Runtime") -> dict[str, tuple[str, str]]:
    """Each binding: running, failing (and why: the same words `!line show` uses) or stopped (disabled)."""
    failing = runtime.channels.failing()
    states: dict[str, tuple[str, str]] = {}
    for binding in runtime.services.directory.bindings.values():
        if not binding.enabled:
            states[binding.id] = ("stopped", "")
        elif binding.id in failing:
            states[binding.id] = ("failing", failing[binding.id])
        elif binding.id in runtime.channels.backends:
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

    async def get(self, runtime: "Runtime") -> tuple[dict[str, int], dict[str, int]]:
        if time.monotonic() - self._at >= COUNT_EVERY:
            self._counts = await self._read(runtime)
            self._at = time.monotonic()
        return self._counts

    @staticmethod
    async def _read(runtime: "Runtime") -> tuple[dict[str, int], dict[str, int]]:
        assert runtime.journal is not None
        lines = {line.id for line in runtime.services.directory.live_lines()}
        open_, waiting = dict.fromkeys(lines, 0), dict.fromkeys(lines, 0)
        after: str | None = None
        while True:
            page = await runtime.journal.conversations.conversations(open_only=True, limit=PAGE, after_id=after)
            for c in page:
                if c.line_id in lines:  # a removed line's leftovers would be a label nobody knows
                    open_[c.line_id] += 1
                    waiting[c.line_id] += c.status is ConversationStatus.QUEUED
            if len(page) < PAGE:
                return open_, waiting
            after = page[-1].id


async def gauges(runtime: "Runtime", counts: ConversationCounts) -> Gauges:
    assert runtime.journal is not None
    open_, waiting = await counts.get(runtime)
    sockets = sum(len(tabs) for backend in runtime.channels.backends.values() if backend.binding.kind == "webchat"
                  for tabs in getattr(backend, "tabs", {}).values())
    states = dict.fromkeys(("running", "failing", "stopped"), 0)
    for state, _ in channel_states(runtime).values():
        states[state] += 1
    return Gauges(backlog=runtime.services.outbox.backlog(), dead_letters=await runtime.journal.outbox.dead_count(),
                  conversations_open=open_, queue_waiting=waiting, webchat_sockets=sockets, channels=states)
