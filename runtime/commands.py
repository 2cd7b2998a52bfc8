"""Errbot's commands as people see them: which they may use, and each one's summary.

Shared by ``!help`` (plugins/guide.py), the web console's command completion and the generated
command reference (docs/commands.md, ``tools/reference.py``), so all list the same commands the
same way.
"""
from __future__ import annotations

import inspect
from typing import Any


def usable_commands(bot: Any, msg: Any, *, only_allowed: bool = True) -> list[tuple[str, Any]]:
    """(name, method) of the commands ``msg``'s sender may use (Errbot's filters asked dry), by
    name; hidden commands never."""
    found = []
    for name, command in sorted(bot.all_commands.items()):
        if getattr(command, "_err_command_hidden", False):
            continue
        if only_allowed and bot._process_command_filters(msg=msg, cmd=name, args=None, dry_run=True)[0] is None:
            continue
        found.append((name, command))
    return found


def declared_commands(plugin_class: type) -> list[tuple[str, Any]]:
    """(name, function) of the commands a plugin class declares (its own and its mixins'), by
    name, as Errbot registers them when it loads the plugin; hidden commands never."""
    found = []
    for _, member in inspect.getmembers(plugin_class, callable):
        if getattr(member, "_err_command", False) and not getattr(member, "_err_command_hidden", False):
            found.append((str(member.__dict__["_err_command_name"]), member))
    return sorted(found, key=lambda c: c[0])


def summary(doc: str | None) -> str:
    """A command's docstring's first paragraph, its wrapped lines joined: never a sentence cut at a
    line end."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def whole(doc: str | None) -> str:
    """A command's whole docstring on one line (its paragraphs kept apart by a space)."""
    return " ".join(inspect.cleandoc(doc or "(undocumented)").split())


def help_line(prefix: str, name: str, text: str) -> str:
    """One command as ``!help`` lists it: ``- **!line create** — what it does``."""
    return f"- **{prefix}{name.replace('_', ' ')}** — {text}"
