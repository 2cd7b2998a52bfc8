"""Working on a conversation together: !transfer, !invite, !pin, !unpin, !spam, !rate."""
from __future__ import annotations

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from plugins.commands import CONVERSATION_ID, OpenLinesCommands, split_flag


class Teamwork(OpenLinesCommands, BotPlugin):
    """Hand conversations over, bring colleagues in, pin, mark spam, rate."""

    @botcmd
    def transfer(self, msg: Message, args: str) -> str:
        """Hand a conversation to a colleague or a line; they see its whole history:
        !transfer @user [ID] · !transfer line NAME [ID] (e.g. !transfer @bob 17, !transfer line Sales 17)."""
        usage = "!transfer @user [ID] or !transfer line NAME [ID] (e.g. !transfer @bob 17)"
        words = args.split()
        given = words.pop() if len(words) > 1 and CONVERSATION_ID.match(words[-1]) else ""
        if words[:1] == ["line"] and len(words) > 1:
            name = " ".join(words[1:])
            done = self._act(msg, given, usage, lambda api, cid, me: api.moves.transfer_to_line(cid, me, name))
            return f"Conversation {done.id} is on line {name} now, waiting for one of its operators."
        if len(words) != 1:
            raise CommandError(f"Usage: {usage}")
        person, caveat = self._colleague(words[0])
        done = self._act(msg, given, usage, lambda api, cid, me: api.moves.transfer_to_person(cid, me, person))
        return f"Conversation {done.id} is {person}'s now{caveat}."

    @botcmd
    def invite(self, msg: Message, args: str) -> str:
        """Bring a colleague into a conversation: !invite @user [ID] [--no-history] (e.g. !invite @carol 17)."""
        usage = "!invite @user [ID] [--no-history] (e.g. !invite @carol 17)"
        rest, no_history = split_flag(args, "--no-history")
        words = rest.split()
        if not 1 <= len(words) <= 2:
            raise CommandError(f"Usage: {usage}")
        person, caveat = self._colleague(words[0])
        given = words[1] if len(words) == 2 else ""
        done = self._act(msg, given, usage,
                         lambda api, cid, me: api.moves.invite(cid, me, person, not no_history))
        how = "what follows, in private" if no_history else "the room and its history"
        return f"{person} joins conversation {done.id} ({how}); they may write to the customer too{caveat}."

    @botcmd
    def pin(self, msg: Message, args: str) -> str:
        """Keep a conversation from being auto-closed (up to the line's pin_max_minutes): !pin [ID]."""
        done = self._act(msg, args.strip(), "!pin [ID] (e.g. !pin 17)",
                         lambda api, cid, me: api.moves.pin(cid, me, True))
        return f"Conversation {done.id} is pinned."

    @botcmd
    def unpin(self, msg: Message, args: str) -> str:
        """Let a pinned conversation be auto-closed again: !unpin [ID]."""
        done = self._act(msg, args.strip(), "!unpin [ID] (e.g. !unpin 17)",
                         lambda api, cid, me: api.moves.pin(cid, me, False))
        return f"Conversation {done.id} is unpinned."

    @botcmd
    def spam(self, msg: Message, args: str) -> str:
        """Close as spam, before or after answering; nothing is sent to the customer: !spam [ID]."""
        done = self._act(msg, args.strip(), "!spam [ID] (e.g. !spam 17)",
                         lambda api, cid, me: api.moves.spam(cid, me))
        return f"Conversation {done.id} is closed as spam; that customer's next messages are kept, unannounced."

    @botcmd
    def rate(self, msg: Message, args: str) -> str:
        """A supervisor's rating of a conversation: !rate ID 1-5 [comment] (e.g. !rate 17 4 quick and kind)."""
        usage = "!rate ID 1-5 [comment] (e.g. !rate 17 4 quick and kind)"
        words = args.split(maxsplit=2)
        if len(words) < 2 or not CONVERSATION_ID.match(words[0]) or not words[1].isdigit():
            raise CommandError(f"Usage: {usage}")
        stars, comment = int(words[1]), words[2] if len(words) == 3 else ""
        done = self._act(msg, words[0], usage,
                         lambda api, cid, me: api.actions.ratings.supervise(cid, me, stars, comment))
        return f"Conversation {done.id} rated {stars}/5."
