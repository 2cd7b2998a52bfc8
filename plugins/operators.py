"""Operators' commands: !answer, !reply, !whisper, !close."""
from __future__ import annotations

import re
from typing import Callable, TypeVar

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.errors import OpenLinesError
from plugins.facade import OpenLinesApi, running_api

CONVERSATION_ID = re.compile(r"^\d{1,18}$")
T = TypeVar("T")


class Operators(BotPlugin):
    """Answer customers' conversations."""

    def _api(self) -> OpenLinesApi:
        return running_api(self)

    def _run(self, action: Callable[[OpenLinesApi], T]) -> T:
        try:
            return action(self._api())
        except OpenLinesError as exc:
            raise CommandError(f"{exc}.") from None

    def _person(self, msg: Message) -> str:
        return self._api().adapter.person_id(msg.frm)

    def _conversation_id(self, msg: Message, given: str, usage: str) -> str:
        if given:
            if not CONVERSATION_ID.match(given):
                raise CommandError(f"“{given[:30]}” is not a conversation id. Usage: {usage}")
            return given
        room = getattr(msg.frm, "room", None)
        found = self._api().conversation_of_room(room) if room is not None else None
        if found is None:
            raise CommandError(f"Which conversation? Usage: {usage}")
        return found

    @botcmd
    def answer(self, msg: Message, args: str) -> str:
        """Take a conversation and answer it: !answer [ID] (ID is optional in the conversation's room)."""
        usage = "!answer [ID] (e.g. !answer 17; ID is optional in the conversation's room)"
        conversation_id = self._conversation_id(msg, args.strip(), usage)
        person = self._person(msg)
        conversation = self._run(lambda api: api.answer(conversation_id, person))
        try:
            where = f"Write in {self._api().invite_to_room(conversation.id, person)} to reply, or use"
        except OpenLinesError:
            where = "Its room is being opened; meanwhile use"
        return (f"You answer conversation {conversation.id} ({conversation.customer_name}). "
                f"{where} !reply {conversation.id} <text>.")

    @botcmd
    def reply(self, msg: Message, args: str) -> str:
        """Send a message to the customer: !reply [ID] <text> (in the conversation's room, just write)."""
        usage = "!reply [ID] <text> (e.g. !reply 17 Hello!)"
        in_room = self._in_conversation_room(msg)
        first, _, rest = args.strip().partition(" ")
        if in_room is None and CONVERSATION_ID.match(first) and rest.strip():
            conversation_id, text = first, rest.strip()
        elif in_room is not None:  # in a conversation's room the whole text is the message
            conversation_id, text = in_room, args.strip()
        else:
            raise CommandError(f"Which conversation? Usage: {usage}")
        if not text:
            raise CommandError(f"Nothing to send. Usage: {usage}")
        person, name = self._person(msg), self._api().adapter.display_name(msg.frm)
        message = self._run(lambda api: api.reply(conversation_id, person, text, name))
        return f"Sent to the customer of conversation {message.conversation_id}."

    def _in_conversation_room(self, msg: Message) -> str | None:
        room = getattr(msg.frm, "room", None)
        return self._api().conversation_of_room(room) if room is not None else None

    @botcmd
    def whisper(self, msg: Message, args: str) -> str:
        """Whisper mode in a conversation's room: !whisper on|off (a message starting with ~ is always a whisper)."""
        usage = "!whisper on|off, in the conversation's room"
        choice = args.strip().lower()
        if choice not in ("on", "off"):
            raise CommandError(f"Usage: {usage}")
        conversation_id = self._in_conversation_room(msg)
        if conversation_id is None:
            raise CommandError(f"Write it in a conversation's room. Usage: {usage}")
        person = self._person(msg)
        self._run(lambda api: api.whisper_mode(conversation_id, person, choice == "on"))
        return f"Whisper mode is {choice} in conversation {conversation_id}."

    @botcmd
    def close(self, msg: Message, args: str) -> str:
        """Close a conversation; its transcript goes to the CRM: !close [ID] [--silent]."""
        usage = "!close [ID] [--silent] (e.g. !close 17; ID is optional in the conversation's room)"
        words = args.split()
        silent = "--silent" in words
        rest = " ".join(w for w in words if w != "--silent")
        conversation_id = self._conversation_id(msg, rest, usage)
        person = self._person(msg)
        conversation = self._run(lambda api: api.close_conversation(conversation_id, person, silent))
        return f"Conversation {conversation.id} is closed; its transcript is being attached to the CRM record."
