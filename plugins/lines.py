"""Admins' commands: lines, their settings, channels, people, queue, audit, export and import."""
from __future__ import annotations

import json
from typing import Any, NoReturn

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.admin import role_of
from bridge.line_files import PEOPLE, export_line, import_line, parse
from bridge.line_settings import SPECS, setting_key
from plugins.args import split_args, usage_error
from plugins.commands import OpenLinesCommands, split_flag
from plugins.facade import OpenLinesApi, on_loop
from plugins.line_views import audit_lines, kept_lines, line_lines, queue_lines, status_lines
from plugins.options import arguments


class Lines(OpenLinesCommands, BotPlugin):
    """Configure open lines: !line create|list|show|status|set|enable|disable|delete|connect|disconnect|grant|revoke|queue|kept|export|import."""

    @botcmd
    def line(self, msg: Message, args: str) -> str:
        """Line administration; see !help Lines. Example: !line create Sales"""
        return ("Line commands: !line create NAME · !line list · !line show NAME · !line set NAME KEY VALUE · "
                "!line enable|disable NAME · !line delete NAME --yes · !line connect NAME KIND key=value… · "
                "!line disconnect NAME KIND · !line grant|revoke NAME @user ROLE · !line queue NAME [move @user N] · "
                "!line kept NAME [--limit N] · !line export NAME · !line import JSON · !audit [NAME] [--limit N]")

    @botcmd
    def line_create(self, msg: Message, args: str) -> str:
        """Create a line: !line create NAME (e.g. !line create Sales)."""
        (name,) = arguments(args, 1, "!line create NAME", rest=True)
        line = self._call_as(msg, lambda api, who: api.lines.create(who, name))
        return (f"Line {line.name} created (rooms: {line.id}, {line.id}-<conversation>). Next: "
                f"!line connect {line.name} webchat widget={line.id} · !line grant {line.name} @user operator")

    @botcmd
    def line_list(self, msg: Message, args: str) -> str:
        """The lines you have a role on: !line list."""
        lines = self._call_as(msg, lambda api, who: on_loop(api.lines.visible_lines, who))
        if not lines:
            return "No lines yet: !line create NAME"
        return "\n".join(f"• {line.name}{'' if line.enabled else ' (disabled)'} — "
                         f"{len(line.operators)} operator(s)" for line in lines)

    @botcmd
    def line_show(self, msg: Message, args: str) -> str:
        """Every setting and channel of a line: !line show NAME (e.g. !line show Sales)."""
        (name,) = arguments(args, 1, "!line show NAME", rest=True)
        return self._call_as(msg, lambda api, who: line_lines(api, who, name))

    @botcmd
    def line_status(self, msg: Message, args: str) -> str:
        """How each channel is doing: connected, last inbound, last send, backlog, last error: !line status [NAME]."""
        name = args.strip() or None
        return self._call_as(msg, lambda api, who: status_lines(api, who, name))

    @botcmd
    def line_set(self, msg: Message, args: str) -> str:
        """Change a setting: !line set NAME KEY VALUE (e.g. !line set Sales welcome_text Hi there!). Keys: see !line show.
        A text in another language: !line set Sales welcome_text.fr Bonjour ! — without the text, it is cleared."""
        usage = f"!line set NAME KEY VALUE (keys: {', '.join(SPECS)}; texts also per language: welcome_text.fr)"
        try:
            name, key, value = split_args(args, 3, rest=True)
        except ValueError:  # NAME text.fr alone clears that language's version
            name, key = arguments(args, 2, usage)
            value = "" if "." in key else _missing(usage)
        line, before, after = self._call_as(msg, lambda api, who: api.lines.set(who, name, key, value))
        key = setting_key(key)
        if "." in key and not after:
            return f"{line.name}: {key} is cleared (was “{before}”); those customers get {key.split('.')[0]}."
        return f"{line.name}: {key} is now “{after}” (was “{before}”)."

    @botcmd
    def line_enable(self, msg: Message, args: str) -> str:
        """Open a line again: !line enable NAME."""
        (name,) = arguments(args, 1, "!line enable NAME", rest=True)
        line = self._call_as(msg, lambda api, who: api.lines.enable(who, name, True))
        return f"Line {line.name} is enabled: new conversations are announced and answered."

    @botcmd
    def line_disable(self, msg: Message, args: str) -> str:
        """Disable a line: customers' messages are still kept and answered with its offline_text: !line disable NAME."""
        (name,) = arguments(args, 1, "!line disable NAME", rest=True)
        line = self._call_as(msg, lambda api, who: api.lines.enable(who, name, False))
        return f"Line {line.name} is disabled: customers get its offline_text; their messages are kept."

    @botcmd
    def line_delete(self, msg: Message, args: str) -> str:
        """Delete a line (history and CRM records are kept): !line delete NAME --yes."""
        usage = "!line delete NAME --yes"
        rest, confirmed = split_flag(args, "--yes")
        if not confirmed:
            raise CommandError(f"Deleting stops the line's channels. Confirm with: {usage}")
        (name,) = arguments(rest, 1, usage, rest=True)
        line = self._call_as(msg, lambda api, who: api.lines.delete(who, name))
        return f"Line {line.name} is deleted; its history and CRM records are kept."

    @botcmd
    def line_connect(self, msg: Message, args: str) -> str:
        """Connect a channel: !line connect NAME KIND key=value… (credentials only in a direct message with me).
        Example: !line connect Sales webchat widget=sales allowed_origins=https://shop.example"""
        usage = "!line connect NAME KIND key=value… (e.g. !line connect Sales webchat widget=sales)"
        try:  # NAME KIND alone: the kind's own check then names the keys it needs
            name, kind, pairs = [*split_args(args, 2), ""]
        except ValueError:
            name, kind, pairs = arguments(args, 3, usage, rest=True)
        given = _pairs(pairs, usage)
        view, problem = self._call_as(msg, lambda api, who: api.channels.connect(
            who, name, kind, given, private=msg.is_direct))
        url = f" Paste this callback URL in the platform's settings: {view.callback_url}" if view.callback_url else ""
        if view.state.startswith("saved, not running"):  # the platform is away or refused: said once, plainly
            return f"{view.binding.label} {view.state}.{url}"
        said = f" ⚠️ {problem[:1].upper()}{problem[1:]}." if problem else ""
        return f"{view.binding.label} connected to the line ({view.state}).{said}{url}"

    @botcmd
    def line_disconnect(self, msg: Message, args: str) -> str:
        """Disconnect a channel: !line disconnect NAME KIND (e.g. !line disconnect Sales webchat)."""
        name, kind = arguments(args, 2, "!line disconnect NAME KIND")
        binding = self._call_as(msg, lambda api, who: api.channels.disconnect(who, name, kind))
        return f"{binding.label or binding.kind} disconnected; its conversations' history is kept."

    @botcmd
    def line_grant(self, msg: Message, args: str) -> str:
        """Give someone a role on a line: !line grant NAME @user admin|supervisor|operator (e.g. !line grant Sales @bob operator)."""
        line, who, role, caveat = self._roles(msg, args, "grant")
        queued = f" (queue position {len(line.operators)})" if role == "operator" else ""
        return f"{who} is now {role} of line {line.name}{queued}{caveat}."

    @botcmd
    def line_revoke(self, msg: Message, args: str) -> str:
        """Take a role back: !line revoke NAME @user admin|supervisor|operator (e.g. !line revoke Sales @bob operator)."""
        line, who, role, _ = self._roles(msg, args, "revoke")
        return f"{who} is no longer {role} of line {line.name}."

    def _roles(self, msg: Message, args: str, verb: str) -> tuple[Any, str, str, str]:
        """The line changed, who, which role, and a caveat on who (a role is never granted to a typo;
        revoking one from someone gone is always possible)."""
        name, person, role = arguments(args, 3, f"!line {verb} NAME @user admin|supervisor|operator")
        who, caveat = self._colleague(person) if verb == "grant" else (self._named(person), "")
        change = getattr(self._api().lines, verb)
        line = self._call_as(msg, lambda api, me: change(me, name, who, role_of(role)))
        return line, who, role.lower(), caveat

    @botcmd
    def line_queue(self, msg: Message, args: str) -> str:
        """A line's operators in queue order: !line queue NAME; reorder: !line queue NAME move @user POSITION."""
        usage = "!line queue NAME [move @user POSITION]"
        words = arguments(args, 1, usage, rest=True)[0].split()
        if len(words) >= 4 and words[-3] == "move":
            name, who, position = " ".join(words[:-3]), self._named(words[-2]), words[-1]
            if not position.isdigit():
                raise CommandError(usage_error(usage))
            self._call_as(msg, lambda api, me: api.lines.move(me, name, who, int(position)))
        else:
            name = " ".join(words)
        return self._call_as(msg, lambda api, who: on_loop(queue_lines, api, who, name))

    @botcmd
    def line_kept(self, msg: Message, args: str) -> str:
        """The newest events a line's channels could not read and kept (time, channel, kind, an excerpt with
        secrets masked): !line kept NAME [--limit N] (e.g. !line kept Sales --limit 5; 10 by default)."""
        usage = "!line kept NAME [--limit N]"
        words, limit = _limit(args.split(), usage, 10, 50)
        if not words:
            _missing(usage)
        return self._call_as(msg, lambda api, who: kept_lines(api, who, " ".join(words), limit))

    @botcmd
    def line_export(self, msg: Message, args: str) -> str:
        """A line's configuration as JSON, without secrets: !line export NAME (give it to !line import)."""
        (name,) = arguments(args, 1, "!line export NAME", rest=True)
        doc = self._call_as(msg, lambda api, who: on_loop(export_line, api.lines, api.channels,
                                                  who, name))
        return "```\n" + json.dumps(doc, indent=2, ensure_ascii=False) + "\n```"

    @botcmd
    def line_import(self, msg: Message, args: str) -> str:
        """Apply a line file: !line import {…JSON from !line export…}; says what changed."""
        text = args.strip().strip("`").removeprefix("json").strip()
        if not text:
            raise CommandError(usage_error("!line import {…the JSON !line export gave…}"))
        doc = self._run(lambda api: parse(text))
        self._all_known(doc)
        changes = self._call_as(msg, lambda api, who: _import(api, who, doc))
        return "Nothing to change: the line already is as the file says." if not changes else \
            "Imported:\n" + "\n".join(f"• {c}" for c in changes)

    def _all_known(self, doc: dict[str, Any]) -> None:
        """A line file gives roles too: never to someone this team chat knows does not exist."""
        api = self._api()
        named = {str(p) for key in PEOPLE.values() if isinstance(doc.get(key), list) for p in doc[key]}
        unknown = sorted(p for p in named if api.knows(p) is False)
        if unknown:
            raise CommandError(f"Not imported: {', '.join(unknown[:5])[:200]} "
                               f"{'is' if len(unknown) == 1 else 'are'} not known to this team chat"
                               f"{api.adding_people}.")

    @botcmd
    def audit(self, msg: Message, args: str) -> str:
        """Who changed what: !audit [NAME] [--limit N] (e.g. !audit Sales --limit 20)."""
        words, limit = _limit(args.split(), "!audit [NAME] [--limit N]", 20, 500)
        name = " ".join(words) or None
        return self._call_as(msg, lambda api, who: audit_lines(api, who, name, limit))



async def _import(api: OpenLinesApi, who: str, doc: dict[str, Any]) -> list[str]:
    return await import_line(api.lines, api.channels, who, doc)


def _limit(words: list[str], usage: str, default: int, most: int) -> tuple[list[str], int]:
    """The words without ``--limit N``, and N (``default`` when not given, at most ``most``)."""
    if "--limit" not in words:
        return words, default
    i = words.index("--limit")
    if i + 1 >= len(words) or not words[i + 1].isdigit():
        raise CommandError(usage_error(usage))
    return words[:i] + words[i + 2:], min(int(words[i + 1]), most)


def _missing(usage: str) -> NoReturn:
    raise CommandError(usage_error(usage))


def _pairs(text: str, usage: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for n, word in enumerate(text.split(), start=1):
        key, sep, value = word.partition("=")
        if not sep or not key or not value:  # never echoed: it may be a credential
            raise CommandError(f"Setting number {n} is not key=value. Usage: {usage}")
        pairs[key] = value
    return pairs
