"""Operators' commands: !answer, !reply, !whisper, !close, !skip, !away, !back."""
from __future__ import annotations

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from bridge.errors import OpenLinesError
from plugins.commands import CONVERSATION_ID, OpenLinesCommands, split_flag


class Operators(OpenLinesCommands, BotPlugin):
    """Answer customers' conversations."""

    @botcmd
    def answer(self, msg: Message, args: str) -> str:
        """Take a conversation and answer it: !answer [ID] (e.g. !answer 17; ID is optional in its room)."""
        usage = "!answer [ID] (e.g. !answer 17; ID is optional in the conversation's room)"
        conversation = self._act(msg, args.strip(), usage,
                                 lambda api, cid, person: api.actions.answer(cid, person))
        person = self._person(msg)
        try:
            room = self._api().invite_to_room(conversation.id, person)
            here = self._in_conversation_room(msg) == conversation.id
            where = "Write here to reply (~ for an internal note), or use" if here else \
                f"Write in {room} to reply, or use"
        except OpenLinesError:
            where = "Its room is being opened; meanwhile use"
        customer = self._api().escape(conversation.customer_name)  # a customer wrote it: data, not markup
        return (f"You answer conversation {conversation.id} ({customer}). "
                f"{where} !reply {conversation.id} <text>.")

    @botcmd
    def reply(self, msg: Message, args: str) -> str:
        """Send a message to the customer: !reply [public|private] [ID] <text> (e.g. !reply 17 Hello!; in its
        room, just write). On a Facebook comment: public (a reply in the thread, the default) or private
        (one Messenger message to the commenter)."""
        usage = "!reply [public|private] [ID] <text> (e.g. !reply 17 Hello!)"
        first_word, _, after = args.strip().partition(" ")
        choice = first_word if first_word in self._run(lambda api: api.reply_choices()) else ""
        args = after if choice else args
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
        person, name = self._person(msg), self._api().display_name(msg.frm)
        # Typed in its room, the room shows the text already; from anywhere else it is posted there.
        message = self._run(lambda api: api.reply(conversation_id, person, text, name, choice=choice,
                                                  show_in_room=in_room is None))
        return f"Sent to the customer of conversation {message.conversation_id}."

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
        """Close a conversation; its transcript goes to the CRM: !close [ID] [--silent] (e.g. !close 17)."""
        usage = "!close [ID] [--silent] (e.g. !close 17; ID is optional in the conversation's room)"
        rest, silent = split_flag(args, "--silent")
        conversation = self._act(msg, rest, usage,
                                 lambda api, cid, person: api.actions.close(cid, person, silent=silent))
        return f"Conversation {conversation.id} is closed; its transcript is being attached to the CRM record."

    @botcmd
    def skip(self, msg: Message, args: str) -> str:
        """Pass a conversation on to the next operator in the queue: !skip [ID] (e.g. !skip 17)."""
        usage = "!skip [ID] (e.g. !skip 17; ID is optional in the conversation's room)"
        conversation = self._act(msg, args.strip(), usage,
                                 lambda api, cid, person: api.queue.skip(cid, person))
        return f"Conversation {conversation.id} goes to the next operator."

    @botcmd
    def away(self, msg: Message, args: str) -> str:
        """Stop getting new conversations (those you have stay yours): !away."""
        person = self._person(msg)
        self._run(lambda api: api.call(api.queue.set_away(person, True)))
        return "You are away: no new conversation will be offered to you. !back when you are back."

    @botcmd
    def back(self, msg: Message, args: str) -> str:
        """Get new conversations again: !back."""
        person = self._person(msg)
        waiting = self._run(lambda api: api.call(api.queue.set_away(person, False)))
        return f"Welcome back: conversations are offered to you again ({waiting} waiting on your lines)."
