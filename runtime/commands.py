"""Errbot's commands as people see them: which they may use, and each one's summary.

Shared by ``!help`` (plugins/guide.py) and the web console's command completion,
so both list the same commands the same way.
"""
from __future__ import annotations

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


def summary(doc: str | None) -> str:
    """A command's docstring's first paragraph, its wrapped lines joined: never a sentence cut at a
    line end."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())
