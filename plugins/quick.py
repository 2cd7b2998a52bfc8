"""Canned answers: !quick NAME [ID] sends one to the customer; !quick list|add|remove keeps them per line."""
from __future__ import annotations

from typing import Any

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge import relay
from bridge.model import Line
from plugins.commands import OpenLinesCommands
from plugins.facade import OpenLinesApi
from plugins.options import arguments

SEND_USAGE = "!quick NAME [ID] (e.g. !quick hello 17; ID is optional in the conversation's room)"


class QuickAnswers(OpenLinesCommands, BotPlugin):
    """Canned answers per line: send one in a word, list them, keep them."""

    @botcmd
    def quick(self, msg: Message, args: str) -> str:
        """Send a line's canned answer to the customer, as your reply: !quick NAME [ID]
        (e.g. !quick hello 17; in the conversation's room: !quick hello). See !quick list."""
        words = args.split()
        if not words or len(words) > 2:
            raise CommandError(f"Usage: {SEND_USAGE} · !quick list [LINE] · !quick add NAME TEXT · "
                               "!quick remove NAME")
        cid = self._conversation_id(msg, words[1] if len(words) == 2 else "", SEND_USAGE)
        person, name = self._person(msg), words[0]
        shown_as = self._api().display_name(msg.frm)

        def send(api: OpenLinesApi) -> Any:  # through !reply's own path: its rights, its idempotent send
            text = api.call(api.quick.text_for(cid, person, name))
            return api.reply(cid, person, text, shown_as)

        sent = self._run(send)
        return f"Sent “{name}” to the customer of conversation {sent.conversation_id}."

    @botcmd
    def quick_list(self, msg: Message, args: str) -> str:
        """The canned answers of your lines: !quick list [LINE] (e.g. !quick list Support)."""
        person, name, cid = self._person(msg), args.strip() or None, self._in_conversation_room(msg)
        lines = self._run(lambda api: api.call(_lines(api, person, name, cid)))
        out = []
        for line in lines:
            count = f"{len(line.quick)} quick answer(s)" if line.quick else \
                f"none yet — !quick add --line {line.name} NAME TEXT"
            out.append(f"{line.name}: {count}")
            out += [f"• {n} — “{relay.preview(t, 70)}”" for n, t in line.quick]
        return "\n".join(out) or "You have no role on any line."

    @botcmd
    def quick_add(self, msg: Message, args: str) -> str:
        """Save a canned answer (the line's supervisors and admins): !quick add NAME TEXT — on the line of the
        room you are in, or your only line; else !quick add --line LINE NAME TEXT
        (e.g. !quick add hello Hello! How can I help you today?)."""
        usage = "!quick add [--line LINE] NAME TEXT (e.g. !quick add hello Hello! How can I help?)"
        named, rest = self._line_option(args, usage)
        name, text = arguments(rest, 2, usage, rest=True)
        if named is None and self._run(lambda api: api.call(_names_a_line(api, name))):
            named, (name, text) = name, arguments(text, 2, usage, rest=True)  # the form LINE NAME TEXT
        line = self._keep(msg, named, lambda service, person, line: service.add(person, line, name, text))
        return f"Line {line.name} has the quick answer “{name}” ({len(line.quick)} in all): send it with !quick {name}."

    @botcmd
    def quick_remove(self, msg: Message, args: str) -> str:
        """Delete a canned answer (the line's supervisors and admins): !quick remove NAME (in the line's rooms,
        or your only line), or !quick remove --line LINE NAME (e.g. !quick remove hello)."""
        usage = "!quick remove [--line LINE] NAME (e.g. !quick remove hello)"
        named, rest = self._line_option(args, usage)
        words = rest.split()
        if named is None and words and self._run(lambda api: api.call(_names_a_line(api, words[0]))):
            named, words = words[0], words[1:]  # the form LINE NAME
        if len(words) != 1:
            raise CommandError(f"Usage: {usage}")
        line = self._keep(msg, named, lambda service, person, line: service.remove(person, line, words[0]))
        return f"The quick answer “{words[0]}” is removed from line {line.name}."

    def _line_option(self, args: str, usage: str) -> tuple[str | None, str]:
        """``--line LINE`` first (a LINE with spaces in quotes), and the rest as typed."""
        if not args.strip().startswith("--line"):
            return None, args
        _, named, rest = arguments(args, 3, usage, rest=True)
        return named, rest

    def _keep(self, msg: Message, named: str | None, change: Any) -> Line:
        person, room = self._person(msg), self._in_conversation_room(msg)

        async def keep(api: OpenLinesApi) -> Line:
            service = api.quick
            line = await service.line_to_keep(person, named, room)
            changed: Line = await change(service, person, line.name)  # the person as known here, off the loop
            return changed

        return self._run(lambda api: api.call(keep(api)))


async def _names_a_line(api: OpenLinesApi, word: str) -> bool:
    return api.quick.names_a_line(word)


async def _lines(api: OpenLinesApi, person: str, name: str | None, room_of: str | None) -> list[Line]:
    """The lines named, or in a conversation's room its line, or all of ``person``'s (on the loop)."""
    if name is None and room_of is not None:
        name = (await api.line_of(room_of)).id
    return api.quick.lines(person, name)
