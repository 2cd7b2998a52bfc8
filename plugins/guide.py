"""!help that leads with Open Lines' commands (Errbot's own Help sorts plugins by name)."""
from __future__ import annotations

import os
import sys
from typing import Any

from errbot import BotPlugin, botcmd
from errbot.backends.base import Message

from runtime.commands import help_line, summary, usable_commands

OURS = os.path.dirname(os.path.abspath(__file__))


class Guide(BotPlugin):
    """What you can do here."""

    def _groups(self, msg: Message) -> list[tuple[Any, list[tuple[str, Any]]]]:
        plugins: dict[str, Any] = {}
        groups: dict[str, list[tuple[str, Any]]] = {}
        for name, command in usable_commands(self._bot, msg, only_allowed=self.bot_config.HIDE_RESTRICTED_COMMANDS):
            plugins[command.__self__.name] = command.__self__
            groups.setdefault(command.__self__.name, []).append((name, command))

        def order(name: str) -> tuple[bool, str]:
            module = sys.modules.get(type(plugins[name]).__module__)
            path = os.path.abspath(getattr(module, "__file__", "") or "")
            return not path.startswith(OURS), name

        return [(plugins[n], sorted(groups[n], key=lambda c: c[0])) for n in sorted(groups, key=order)]

    def _line(self, name: str, command: Any, full: bool = False) -> str:
        doc = (self._bot.get_doc(command) or "").strip() if full else summary(self._bot.get_doc(command))
        return help_line(self._bot.prefix, name, doc)

    @botcmd
    def help(self, msg: Message, args: str) -> str:
        """What you can do: !help, !help <plugin> or !help <command>."""
        wanted = args.strip().lower().removeprefix(self._bot.prefix)
        groups = self._groups(msg)
        if not wanted:
            return "\n".join(f"**{p.name}** — {(type(p).__doc__ or '').strip()}\n" +
                             "\n".join(self._line(n, c) for n, c in cmds) + "\n" for p, cmds in groups)
        for plugin, cmds in groups:
            if plugin.name.lower() == wanted:
                return f"**{plugin.name}**\n" + "\n".join(self._line(n, c) for n, c in cmds)
        for _, cmds in groups:
            for name, command in cmds:
                if name.replace("_", " ") == wanted or name == wanted:
                    return self._line(name, command, full=True)
        return f"No such command or plugin: “{args.strip()[:40]}”. Type !help for the list."
