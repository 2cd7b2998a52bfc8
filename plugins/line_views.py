"""How lines, queues and the audit log read in the team chat (secrets masked)."""
from __future__ import annotations

import re
import time

from bridge.rights import Action
from bridge.stats import span
from plugins.facade import OpenLinesApi
from runtime import redact

EXCERPT = 300  # characters of a kept event shown: enough to tell what it was
# Kept events are the platforms' JSON: a credential there is "key": "value", not key=value.
_JSON_SECRET = re.compile(r'("[\w.-]*(?:token|secret|password|signature|api_key)[\w.-]*"\s*:\s*)'
                          r'"(?:[^"\\]|\\.)*"', re.I)


async def line_lines(api: OpenLinesApi, actor: str, name: str) -> str:
    admin = api.lines
    line = admin.line_for(actor, name, Action.VIEW)
    state = "enabled" if line.enabled else "disabled (customers get its offline_text)"
    out = [f"Line {line.name} (id {line.id}) — {state}", "Settings:"]
    out += [f"  {key} = {_value(line.settings.shown(key))}" for key in line.settings.keys()]
    views = api.channels.views(line)  # each builds its callback URL: once
    out.append("Channels:" if views else "Channels: none yet — !line connect")
    kept = await api.kept_counts([view.binding.id for view in views])
    for view in views:
        url = f" · callback URL: {view.callback_url}" if view.callback_url else ""
        out.append(f"  {view.binding.kind} ({view.binding.key}): {view.state} · {view.settings_shown()}{url}")
        unread = [f"{kind} ×{n}" for (binding_id, kind), n in sorted(kept.items()) if binding_id == view.binding.id]
        if unread:
            out.append(f"    events it could not read, kept: {', '.join(unread)}")
    out.append(f"Admins: {', '.join(line.admins) or '—'} · Supervisors: {', '.join(line.supervisors) or '—'}")
    out.append(f"Queue (operators, in order): {', '.join(line.operators) or '—'}")
    return "\n".join(out)


async def kept_lines(api: OpenLinesApi, actor: str, name: str, limit: int) -> str:
    """!line kept: the newest events the line's channels could not read, newest first (line admins)."""
    line = api.lines.line_for(actor, name, Action.CONFIGURE)
    channels = {view.binding.id: f"{view.binding.kind} ({view.binding.key})" for view in api.channels.views(line)}
    total = sum((await api.kept_counts(list(channels))).values())
    if not total:
        return f"No events kept on {line.name}: every event its channels got could be read."
    events = await api.kept_events(list(channels), limit)
    out = [f"Events {line.name}'s channels could not read, kept (newest {len(events)} of {total}):"]
    for event in events:
        out.append(f"• {_when(event.ts)} UTC · {channels[event.binding_id]} · {event.kind} — {event.reason}")
        out.append(f"  {excerpt(event.raw)}")
    return "\n".join(out)


def excerpt(raw: str) -> str:
    """A kept event, shown: on one line, credentials masked, cut to ``EXCERPT`` characters."""
    flat = redact.mask(_JSON_SECRET.sub(rf'\1"{redact.MASK}"', " ".join(raw.split())))
    return flat[:EXCERPT] + ("…" if len(flat) > EXCERPT else "")


def queue_lines(api: OpenLinesApi, actor: str, name: str) -> str:
    line = api.lines.line_for(actor, name, Action.VIEW)
    if not line.operators:
        return f"Line {line.name} has no operators yet: !line grant {line.name} @user operator"
    return f"Queue of {line.name} ({line.settings.queue_mode}):\n" + "\n".join(
        f"{n}. {person}" for n, person in enumerate(line.operators, start=1))


async def audit_lines(api: OpenLinesApi, actor: str, name: str | None, limit: int) -> str:
    entries = await api.lines.audit_log(actor, name, limit)
    if not entries:
        return "Nothing in the audit log yet."
    names = {line.id: line.name for line in api.directory.lines.values()}
    return "\n".join(f"{_when(e['ts'])} {e['actor']} · {names.get(e['line_id'], e['line_id'] or '—')} · "
                     f"{e['action']}: {e['detail']}" for e in entries)


def _value(text: str) -> str:
    flat = " ".join(text.split())
    return f"“{flat[:80]}{'…' if len(flat) > 80 else ''}”" if flat else "(empty)"


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


async def status_lines(api: OpenLinesApi, actor: str, name: str | None) -> str:
    """!line status: per channel, whether it works, what it last received and sent, its backlog, its last error."""
    now = api.now()
    out: list[str] = []
    for found in await api.line_status(actor, name):
        out.append(f"Line {found.line.name}:" if found.channels else f"Line {found.line.name}: no channels yet")
        for c in found.channels:
            a = c.activity
            works = "✅ connected" if c.connected else f"⚠️ not connected — {a.problem or c.state}"
            out.append(f"  {c.binding.label or c.binding.kind} ({c.binding.key}): {works}")
            out.append(f"    last inbound: {_ago(a.last_inbound, now)} · last successful send: "
                       f"{_ago(a.last_sent, now)} · waiting to be sent: {c.backlog}")
            if a.last_error:
                out.append(f"    last error ({_ago(a.last_error_at, now)}): {a.last_error}")
    return "\n".join(out) or "No lines yet: !line create NAME"


def _ago(ts: float | None, now: float) -> str:
    return "none since this process started" if ts is None else f"{_when(ts)} UTC ({span(now - ts)} ago)"
