"""What every Open Lines command plugin shares: the facade, who is asking, which conversation."""
from __future__ import annotations

import re
from typing import Any, Callable, Coroutine, TypeVar

from errbot import CommandError
from errbot.backends.base import Message

from bridge.errors import OpenLinesError
from plugins.facade import OpenLinesApi, running_api

CONVERSATION_ID = re.compile(r"^\d{1,18}$")
T = TypeVar("T")


class OpenLinesCommands:
    """A mixin, not a plugin: Errbot loads the one BotPlugin class a module defines."""

    def _api(self) -> OpenLinesApi:
        return running_api(self)

    def _run(self, action: Callable[[OpenLinesApi], T]) -> T:
        try:
            return action(self._api())
        except OpenLinesError as exc:
            raise CommandError(f"{exc}.") from None

    def _call_as(self, msg: Message, action: Callable[[OpenLinesApi, str], Coroutine[Any, Any, Any]]) -> Any:
        """``action(api, person)`` on the core's loop, as the sender of ``msg``."""
        person = self._person(msg)
        return self._run(lambda api: api.call(action(api, person)))

    def _person(self, msg: Message) -> str:
        return self._api().person_id(msg.frm)

    def _named(self, text: str) -> str:
        """Someone named in a command (@bob), as this team chat spells people."""
        try:
            return self._api().parse_person(text)
        except Exception:
            raise CommandError(f"“{text[:40]}” is not someone this team chat knows; e.g. @bob") from None

    def _colleague(self, text: str) -> tuple[str, str]:
        """Someone a command hands work to, and a caveat for the answer: refused when this team chat
        knows they do not exist (a typo would own a conversation or hold a queue's offers)."""
        person = self._named(text)
        known = self._api().knows(person)
        if known is False:
            raise CommandError(f"{person[:40]} is not someone this team chat knows; check the spelling"
                               f"{self._api().adding_people}.")
        caveat = "" if known else f" (this team chat cannot tell whether {person} exists: check the spelling)"
        return person, caveat

    def _in_conversation_room(self, msg: Message) -> str | None:
        room = getattr(msg.frm, "room", None)
        return self._api().conversation_of_room(room) if room is not None else None

    def _conversation_id(self, msg: Message, given: str, usage: str) -> str:
        """The ID given, else the conversation whose room this is."""
        if given:
            if not CONVERSATION_ID.match(given):
                raise CommandError(f"“{given[:30]}” is not a conversation id. Usage: {usage}")
            return given
        found = self._in_conversation_room(msg)
        if found is None:
            raise CommandError(f"Which conversation? Usage: {usage}")
        return found

    def _act(self, msg: Message, given: str, usage: str,
             action: Callable[[OpenLinesApi, str, str], Any]) -> Any:
        """Run ``action(api, conversation_id, person)`` in the conversation's turn."""
        conversation_id = self._conversation_id(msg, given, usage)
        person = self._person(msg)
        return self._run(lambda api: api.act(conversation_id, action(api, conversation_id, person)))


def split_flag(args: str, flag: str) -> tuple[str, bool]:
    """The arguments without ``flag``, and whether it was there."""
    words = args.split()
    return " ".join(w for w in words if w != flag), flag in words
