"""Canned answers: !quick NAME [ID] sends one to the customer; !quick list|add|remove keeps them per line."""
from __future__ import annotations

from typing import Any

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge import relay
from bridge.errors import OpenLinesError
from bridge.quick import QuickAnswers as QuickService
from plugins.command_kit import CoreCommands, conversation_id, room_conversation
from plugins.facade import OpenLinesApi

SEND_USAGE = "!quick NAME [ID] (e.g. !quick hello 17; ID is optional in the conversation's room)"


class QuickAnswers(CoreCommands, BotPlugin):
    """Canned answers per line: send one in a word, list them, keep them."""

    @botcmd
    def quick(self, msg: Message, args: str) -> str:
        """Send a line's canned answer to the customer, as your reply: !quick NAME [ID]
        (e.g. !quick hello 17; in the conversation's room: !quick hello). See !quick list."""
        words = args.split()
        if not words or len(words) > 2:
            raise CommandError(f"Usage: {SEND_USAGE} · !quick list [LINE] · !quick add LINE NAME TEXT · "
                               "!quick remove LINE NAME")
        api = self._api()
        cid = conversation_id(api, msg, words[1] if len(words) == 2 else "", SEND_USAGE)
        person = self._person(api, msg)
        text = self._run(api, QuickService(api.services.admin).text_for(cid, person, words[0]))
        try:
            sent = api.reply(cid, person, text, api.adapter.display_name(msg.frm))
        except OpenLinesError as exc:
            raise CommandError(f"{exc}.") from None
        return f"Sent “{words[0]}” to the customer of conversation {sent.conversation_id}."

    @botcmd
    def quick_list(self, msg: Message, args: str) -> str:
        """The canned answers of your lines: !quick list [LINE] (e.g. !quick list Support)."""
        api = self._api()
        name = args.strip() or None
        if name is None and (cid := room_conversation(api, msg)) is not None:
            name = self._run(api, _line_of(api, cid))  # in a conversation's room: its line's answers
        lines = self._run(api, _on_loop(QuickService(api.services.admin).lines, self._person(api, msg), name))
        out = []
        for line in lines:
            count = f"{len(line.quick)} quick answer(s)" if line.quick else f"none yet — !quick add {line.name} NAME TEXT"
            out.append(f"{line.name}: {count}")
            out += [f"• {n} — “{relay.preview(t, 70)}”" for n, t in line.quick]
        return "\n".join(out) or "You have no role on any line."

    @botcmd
    def quick_add(self, msg: Message, args: str) -> str:
        """Save a canned answer on a line (its supervisors and admins): !quick add LINE NAME TEXT
        (e.g. !quick add Support hello Hello! How can I help you today?)."""
        line_name, name, text = self._args(args, 3, "!quick add LINE NAME TEXT (quote a LINE with spaces)", rest=True)
        api = self._api()
        line = self._run(api, QuickService(api.services.admin).add(self._person(api, msg), line_name, name,
                                                                     text))
        return f"Line {line.name} has the quick answer “{name}” ({len(line.quick)} in all): send it with !quick {name}."

    @botcmd
    def quick_remove(self, msg: Message, args: str) -> str:
        """Delete a canned answer (the line's supervisors and admins): !quick remove LINE NAME
        (e.g. !quick remove Support hello)."""
        line_name, name = self._args(args, 2, "!quick remove LINE NAME (quote a LINE with spaces)")
        api = self._api()
        line = self._run(api, QuickService(api.services.admin).remove(self._person(api, msg), line_name,
                                                                        name))
        return f"The quick answer “{name}” is removed from line {line.name}."


async def _on_loop(fn: Any, *args: Any) -> Any:
    """The live configuration is the loop's to read."""
    return fn(*args)


async def _line_of(api: OpenLinesApi, cid: str) -> str:
    c = await api.services.core.journal.conversations.conversation(cid)
    return api.services.directory.line_or_removed(c.line_id).id
