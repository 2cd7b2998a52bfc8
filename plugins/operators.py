"""Operators' commands: !answer, !reply, !close."""
from __future__ import annotations

import re
from typing import Any, Coroutine

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.errors import OpenLinesError
from plugins.settings import operator_id
from plugins.team_chat import conversation_id_of_room

CONVERSATION_ID = re.compile(r"^\d{1,18}$")


class Operators(BotPlugin):
    """Answer customers' conversations."""

    def _openlines(self) -> Any:
        plugin = self.get_plugin("OpenLines")
        if plugin.runtime is None:
            raise CommandError("Open Lines is not running.")
        return plugin

    def _run(self, coro: Coroutine) -> Any:
        try:
            return self._openlines().runtime.call(coro, timeout=15)
        except OpenLinesError as exc:
            raise CommandError(f"{exc}.") from None

    def _conversation_id(self, msg: Message, given: str, usage: str) -> str:
        if given:
            if not CONVERSATION_ID.match(given):
                raise CommandError(f"“{given[:30]}” is not a conversation id. Usage: {usage}")
            return given
        room = getattr(msg.frm, "room", None)
        found = conversation_id_of_room(str(room)) if room is not None else None
        if found is None:
            raise CommandError(f"Which conversation? Usage: {usage}")
        return found

    @botcmd
    def answer(self, msg: Message, args: str) -> str:
        """Take a conversation and answer it: !answer [ID] (ID is optional in the conversation's room)."""
        usage = "!answer [ID] (e.g. !answer 17; ID is optional in the conversation's room)"
        conversation_id = self._conversation_id(msg, args.strip(), usage)
        runtime = self._openlines().runtime
        conversation = self._run(runtime.service.answer(conversation_id, operator_id(msg.frm.person)))
        team = self._openlines().team
        team.invite(conversation.room_name, msg.frm)
        return (f"You answer conversation {conversation.id} ({conversation.customer_name}). "
                f"Write in {team.how_to_write_in(conversation.room_name)} to reply, "
                f"or use !reply {conversation.id} <text>.")

    @botcmd
    def reply(self, msg: Message, args: str) -> str:
        """Send a message to the customer: !reply [ID] <text> (ID is optional in the conversation's room)."""
        usage = "!reply [ID] <text> (e.g. !reply 17 Hello!)"
        first, _, rest = args.strip().partition(" ")
        if CONVERSATION_ID.match(first) and rest.strip():
            conversation_id, text = first, rest.strip()
        else:
            conversation_id, text = self._conversation_id(msg, "", usage), args.strip()
        if not text:
            raise CommandError(f"Nothing to send. Usage: {usage}")
        runtime = self._openlines().runtime
        message = self._run(runtime.service.reply(conversation_id, operator_id(msg.frm.person), text))
        return f"Sent to the customer of conversation {message.conversation_id}."

    @botcmd
    def close(self, msg: Message, args: str) -> str:
        """Close a conversation; its transcript goes to the CRM: !close [ID] (ID is optional in its room)."""
        usage = "!close [ID] (e.g. !close 17; ID is optional in the conversation's room)"
        conversation_id = self._conversation_id(msg, args.strip(), usage)
        runtime = self._openlines().runtime
        conversation = self._run(runtime.service.close(conversation_id, operator_id(msg.frm.person)))
        return f"Conversation {conversation.id} is closed; its transcript is being attached to the CRM record."
