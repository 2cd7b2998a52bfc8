"""Operators' reading commands: !conversations, !transcript, !crm, !stats."""
from __future__ import annotations

import io
from typing import Any, Callable, Iterator

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.reports import Only, StatsReport
from bridge.stats import to_csv
from plugins.commands import OpenLinesCommands, split_flag
from plugins.facade import OpenLinesApi
from plugins.options import no_options, number_option
from plugins.report_views import conversations_text, crm_text, in_parts, stats_text, transcript_text

STATS_TIMEOUT = 60.0  # a busy line's month is read in chunks: seconds, not the usual fraction of one


class Reports(OpenLinesCommands, BotPlugin):
    """See the work: open conversations, transcripts, CRM records, statistics."""

    @botcmd
    def conversations(self, msg: Message, args: str) -> str:
        """The open conversations of your lines, oldest first: !conversations [LINE] [--waiting|--mine]
        (e.g. !conversations Support --waiting)."""
        usage = "!conversations [LINE] [--waiting|--mine]"
        rest, waiting = split_flag(args, "--waiting")
        rest, mine = split_flag(rest, "--mine")
        no_options(rest.split(), usage)
        if waiting and mine:
            raise CommandError(f"Choose --waiting or --mine, not both. Usage: {usage}")
        only = Only.WAITING if waiting else Only.MINE if mine else Only.ALL
        person = self._person(msg)
        return self._run(lambda api: api.call(conversations_text(api, person, rest or None, only)))

    @botcmd
    def transcript(self, msg: Message, args: str) -> Iterator[str]:
        """A conversation's messages, 30 a page, page 1 the newest; 🔒 marks internal ones:
        !transcript [ID] [--page N] (e.g. !transcript 17 --page 2; ID is optional in the conversation's room)."""
        usage = "!transcript [ID] [--page N] (ID is optional in the conversation's room)"
        number, words = number_option(args.split(), "--page", 1, usage)
        cid, person = self._one_conversation(msg, words, usage), self._person(msg)
        lines = self._run(lambda api: api.call(transcript_text(api, cid, person, number)))
        yield from in_parts(lines, self._bot.message_size_limit)

    @botcmd
    def crm(self, msg: Message, args: str) -> str:
        """The customer's CRM record: contact, leads, past conversations: !crm [ID]
        (e.g. !crm 17; ID is optional in the conversation's room)."""
        usage = "!crm [ID] (ID is optional in the conversation's room)"
        cid, person = self._one_conversation(msg, args.split(), usage), self._person(msg)
        return self._run(lambda api: api.call(crm_text(api, cid, person)))

    def _one_conversation(self, msg: Message, words: list[str], usage: str) -> str:
        no_options(words, usage)
        if len(words) > 1:
            raise CommandError(f"One conversation at a time. Usage: {usage}")
        return self._conversation_id(msg, words[0] if words else "", usage)

    @botcmd
    def stats(self, msg: Message, args: str) -> str:
        """Statistics of your lines (supervisors and admins): !stats [LINE] [--days N] [--csv|--chart]
        (e.g. !stats Support --days 30; --csv sends a spreadsheet, --chart a picture, where the team chat
        takes files)."""
        usage = "!stats [LINE] [--days N] [--csv|--chart]"
        days, words = number_option(args.split(), "--days", 7, usage)
        rest, as_csv = split_flag(" ".join(words), "--csv")
        rest, as_chart = split_flag(rest, "--chart")
        no_options(rest.split(), usage)
        if as_csv and as_chart:
            raise CommandError(f"Choose --csv or --chart, not both. Usage: {usage}")
        person = self._person(msg)
        found = self._run(lambda api: api.call(
            api.reports.statistics(person, rest or None, days), STATS_TIMEOUT))
        name = f"openlines-stats-{'-'.join(line.id for line in found.lines)[:60]}-{days}d"
        if as_chart:
            sent = self._send_file(self._api(), msg, f"{name}.png", _chart_png(found), "image/png")
            # No files here (Errbot's text console): the table says the same.
            return stats_text(found) if sent is None else f"Statistics sent as the picture {name}.png{sent or '.'}"
        if not as_csv:
            return stats_text(found)
        data = to_csv(found.report).encode("utf-8")
        sent = self._send_file(self._api(), msg, f"{name}.csv", data, "text/csv")
        if sent is not None:
            return f"Statistics sent as the file {name}.csv{sent or '.'}"
        return f"{name}.csv:\n```\n{data.decode('utf-8')}```"

    def _send_file(self, api: OpenLinesApi, msg: Message, name: str, data: bytes, content_type: str) -> str | None:
        """As a file where the team backend takes files (the web console); else, where it shows links (XMPP),
        kept with Open Lines' files and linked (": URL" is returned); None where neither (a terminal)."""
        if api.console:
            return None
        if callable(getattr(self._bot, "send_stream_request", None)):
            send: Callable[..., Any] = self.send_stream_request
            send(msg.frm, io.BytesIO(data), name=name, size=len(data), stream_type=content_type)
            return ""
        kept = self._run(lambda api: api.keep_file(data, name, content_type))
        return None if kept is None else f": {kept.url}"  # no full stop after it: it would join the link


def _chart_png(found: StatsReport) -> bytes:
    # matplotlib costs ~55 MB of memory once imported: only a chart asked for pays it.
    from plugins.stats_chart import chart_png
    return chart_png(found)
