"""A line's configuration as a file: exported without secrets, imported as a reviewed set of changes.

Export then import changes nothing; an import never drops a secret it does
not carry, never disconnects a channel it does not name, and says what it
changed.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from bridge.admin import LineAdmin, one_at_a_time
from bridge.channel_admin import ChannelAdmin, shown_value
from bridge.channel_settings import split_settings
from bridge.errors import NotFound, Refused
from bridge.line_settings import setting_key
from bridge.model import ChannelBinding, Line, Role
from bridge.quick import checked_answers
from bridge.rights import Action

FORMAT = 1
MAX_FILE = 64 * 1024
PEOPLE = {Role.OPERATOR: "operators", Role.SUPERVISOR: "supervisors", Role.ADMIN: "admins"}


def export_line(admin: LineAdmin, channels: ChannelAdmin, actor: str, name: str) -> dict[str, Any]:
    line = admin.line_for(actor, name, Action.CONFIGURE)
    return {"openlines_line": FORMAT, "name": line.name, "enabled": line.enabled,
            "settings": line.settings.as_dict(), **{key: list(line.people(role)) for role, key in PEOPLE.items()},
            "quick": [{"name": name, "text": text} for name, text in line.quick],
            "channels": [{"kind": v.binding.kind, "settings": dict(v.binding.settings)}
                         for v in channels.views(line)]}


def parse(text: str) -> dict[str, Any]:
    if len(text) > MAX_FILE:
        raise Refused(f"a line file has at most {MAX_FILE // 1024} KB")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(f"that is not JSON ({exc.msg} at line {exc.lineno}); paste what !line export gave") from None
    if not isinstance(doc, dict) or doc.get("openlines_line") != FORMAT or not isinstance(doc.get("name"), str):
        raise Refused("that JSON is not a line file; paste what !line export gave")
    return doc


@one_at_a_time  # the admin's turn: nothing changes the line between its reads and saves
async def import_line(admin: LineAdmin, channels: ChannelAdmin, actor: str, doc: dict[str, Any]) -> list[str]:
    try:
        line = admin.line_for(actor, doc["name"], Action.CONFIGURE)
        changes: list[str] = []
    except NotFound:
        line = await admin.create(actor, doc["name"])
        changes = [f"created line {line.name}"]
    changed, line_changes = _line_changes(line, doc)
    if line_changes:
        await admin.save(changed, actor, "line import", "; ".join(line_changes))
    changes += line_changes
    for entry in _list(doc, "channels"):
        changes += await _channel(admin, channels, actor, changed, entry)
    return changes


def _line_changes(line: Line, doc: dict[str, Any]) -> tuple[Line, list[str]]:
    settings, changes = line.settings, []
    given = doc.get("settings", {})
    if not isinstance(given, dict):
        raise Refused("“settings” must be an object of key: value")
    for key, value in given.items():
        try:
            key = setting_key(str(key))
        except Refused as exc:
            raise Refused(f"in the file: {exc}") from None
        updated = settings.updated(key, str(value))
        if updated.shown(key) != settings.shown(key):
            changes.append(f"{key}: {settings.shown(key)[:40]} → {updated.shown(key)[:40]}")
        settings = updated
    changed = dataclasses.replace(line, settings=settings, enabled=bool(doc.get("enabled", line.enabled)))
    for role, key in PEOPLE.items():
        if key in doc:
            changed = changed.with_people(role, tuple(str(x) for x in _list(doc, key)))
        if changed.people(role) != line.people(role):
            changes.append(f"{key}: {', '.join(line.people(role)) or '—'} → {', '.join(changed.people(role)) or '—'}")
    if changed.enabled != line.enabled:
        changes.append("enabled" if changed.enabled else "disabled")
    if "quick" in doc:
        changed = dataclasses.replace(changed, quick=_quick(doc))
        if changed.quick != line.quick:
            changes.append(f"quick answers: {', '.join(n for n, _ in line.quick) or '—'} → "
                           f"{', '.join(n for n, _ in changed.quick) or '—'}")
    return changed, changes


def _quick(doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    entries = _list(doc, "quick")
    if not all(isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("text"), str)
               for e in entries):
        raise Refused("each of “quick” needs a “name” and a “text”")
    return checked_answers([(e["name"], e["text"]) for e in entries])


async def _channel(admin: LineAdmin, channels: ChannelAdmin, actor: str, line: Line,
                   entry: Any) -> list[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
        raise Refused("each of “channels” needs a “kind” and its “settings”")
    kind, given = entry["kind"], entry.get("settings", {})
    schema = channels.kinds.schema(kind)
    current = admin.core.directory.binding_of(line.id, kind)
    try:
        settings, secrets = split_settings(schema, {k: shown_value(v) for k, v in given.items()},
                                           None, current.secrets if current else None)
    except Refused as exc:
        return [f"{kind}: not connected — {exc} (connect it with !line connect in a direct message)"]
    if current is not None and dict(current.settings) == settings:
        return []
    key = channels.kinds.binding_key(kind, settings, secrets)
    await channels.restore(ChannelBinding(line.id, kind, key, channels.kinds.label(kind), settings, secrets))
    await admin.audit(actor, line.id, "line import", f"{kind} channel settings")
    return [f"{kind}: {'settings changed' if current else 'connected'}"]


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise Refused(f"“{key}” must be a list")
    return value
