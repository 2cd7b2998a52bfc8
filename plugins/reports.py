"""Operators' reading commands: !conversations, !transcript, !crm, !stats."""
from __future__ import annotations

import io
from typing import Any, Callable

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.reports import Only, Reports as ReportService
from bridge.stats import to_csv
from plugins.command_kit import CoreCommands, conversation_id, flag, no_options, number_option
from plugins.facade import OpenLinesApi
from plugins.report_views import conversations_text, crm_text, stats_text, transcript_text

STATS_TIMEOUT = 60.0  # a busy line's month is read in chunks: seconds, not the usual fraction of one


class Reports(CoreCommands, BotPlugin):
    """See the work: open conversations, transcripts, CRM records, statistics."""

    @botcmd
    def conversations(self, msg: Message, args: str) -> str:
        """The open conversations of your lines, oldest first: !conversations [LINE] [--waiting|--mine]
        (e.g. !conversations Support --waiting)."""
        usage = "!conversations [LINE] [--waiting|--mine]"
        waiting, words = flag(args.split(), "--waiting")
        mine, words = flag(words, "--mine")
        no_options(words, usage)
        if waiting and mine:
            raise CommandError(f"Choose --waiting or --mine, not both. Usage: {usage}")
        only = Only.WAITING if waiting else Only.MINE if mine else Only.ALL
        api = self._api()
        return self._run(api, conversations_text(api, self._person(api, msg), " ".join(words) or None, only))

    @botcmd
    def transcript(self, msg: Message, args: str) -> str:
        """A conversation's messages, 30 a page, page 1 the newest; 🔒 marks internal ones:
        !transcript [ID] [--page N] (e.g. !transcript 17 --page 2; ID is optional in the conversation's room)."""
        usage = "!transcript [ID] [--page N] (ID is optional in the conversation's room)"
        number, words = number_option(args.split(), "--page", 1, usage)
        no_options(words, usage)
        if len(words) > 1:
            raise CommandError(f"One conversation at a time. Usage: {usage}")
        api = self._api()
        cid = conversation_id(api, msg, words[0] if words else "", usage)
        return self._run(api, transcript_text(api, cid, self._person(api, msg), number))

    @botcmd
    def crm(self, msg: Message, args: str) -> str:
        """The customer's CRM record: contact, leads, past conversations: !crm [ID]
        (e.g. !crm 17; ID is optional in the conversation's room)."""
        usage = "!crm [ID] (ID is optional in the conversation's room)"
        words = args.split()
        no_options(words, usage)
        if len(words) > 1:
            raise CommandError(f"One conversation at a time. Usage: {usage}")
        api = self._api()
        cid = conversation_id(api, msg, words[0] if words else "", usage)
        return self._run(api, crm_text(api, cid, self._person(api, msg)))

    @botcmd
    def stats(self, msg: Message, args: str) -> str:
        """Statistics of your lines (supervisors and admins): !stats [LINE] [--days N] [--csv]
        (e.g. !stats Support --days 30; --csv sends a spreadsheet where the team chat takes files)."""
        usage = "!stats [LINE] [--days N] [--csv]"
        days, words = number_option(args.split(), "--days", 7, usage)
        as_csv, words = flag(words, "--csv")
        no_options(words, usage)
        api = self._api()
        service = ReportService(api.services.admin)
        found = self._run(api, service.statistics(self._person(api, msg), " ".join(words) or None, days),
                          STATS_TIMEOUT)
        if not as_csv:
            return stats_text(found)
        name = f"openlines-stats-{'-'.join(line.id for line in found.lines)[:60]}-{days}d.csv"
        data = to_csv(found.report).encode("utf-8")
        if self._send_file(api, msg, name, data):
            return f"Statistics sent as the file {name}."
        return f"{name}:\n```\n{data.decode('utf-8')}```"

    def _send_file(self, api: OpenLinesApi, msg: Message, name: str, data: bytes) -> bool:
        """As a file where the team chat takes files; False where it does not (the console shows no file)."""
        if api.adapter.console or not callable(getattr(self._bot, "send_stream_request", None)):
            return False
        send: Callable[..., Any] = self.send_stream_request
        send(msg.frm, io.BytesIO(data), name=name, size=len(data), stream_type="text/csv")
        return True
