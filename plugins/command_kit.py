"""What the reading and canned-answer command plugins share: calls into the core, and their arguments
(a conversation ID, optional in the conversation's room; flags; options)."""
from __future__ import annotations

import re
from typing import Any, Coroutine, TypeVar

from errbot import CommandError

from bridge.errors import OpenLinesError
from plugins.args import split_args, usage_error
from plugins.facade import COMMAND_TIMEOUT, OpenLinesApi, running_api

CONVERSATION_ID = re.compile(r"^\d{1,18}$")
T = TypeVar("T")


class CoreCommands:
    """Mixed into a BotPlugin (not one itself: Errbot would load it as a plugin of its own)."""

    def _api(self) -> OpenLinesApi:
        return running_api(self)

    def _run(self, api: OpenLinesApi, coro: Coroutine[Any, Any, T], timeout: float = COMMAND_TIMEOUT) -> T:
        """Run on the core's loop, within the time limit; a refusal becomes the one-line answer."""
        try:
            return api.call(coro, timeout)
        except OpenLinesError as exc:
            raise CommandError(f"{exc}.") from None

    def _person(self, api: OpenLinesApi, msg: Any) -> str:
        return api.adapter.person_id(msg.frm)

    def _args(self, args: str, count: int, usage: str, rest: bool = False) -> list[str]:
        try:
            return split_args(args, count, rest=rest)
        except ValueError:
            raise CommandError(usage_error(usage)) from None


def room_conversation(api: OpenLinesApi, msg: Any) -> str | None:
    """The conversation whose room the message was written in; None anywhere else."""
    room = getattr(msg.frm, "room", None)
    return api.conversation_of_room(room) if room is not None else None


def conversation_id(api: OpenLinesApi, msg: Any, given: str, usage: str) -> str:
    """The ID typed, or the room's conversation; a one-line usage when neither is there."""
    if given:
        if not CONVERSATION_ID.match(given):
            raise CommandError(f"“{given[:30]}” is not a conversation id. Usage: {usage}")
        return given
    found = room_conversation(api, msg)
    if found is None:
        raise CommandError(f"Which conversation? Give its ID, or type it in the conversation's room. Usage: {usage}")
    return found


def flag(words: list[str], name: str) -> tuple[bool, list[str]]:
    """Whether ``--name`` was given, and the words without it."""
    return name in words, [w for w in words if w != name]


def number_option(words: list[str], name: str, default: int, usage: str) -> tuple[int, list[str]]:
    """``--name N`` as a whole number (``default`` when absent), and the words without it."""
    if name not in words:
        return default, words
    i = words.index(name)
    if i + 1 >= len(words) or not words[i + 1].isdigit() or len(words[i + 1]) > 9:
        raise CommandError(f"{name} needs a whole number. Usage: {usage}")
    return int(words[i + 1]), words[:i] + words[i + 2:]


def no_options(words: list[str], usage: str) -> None:
    """Anything left that looks like an option is a mistake: say so rather than read it as a name."""
    unknown = [w for w in words if w.startswith("--")]
    if unknown:
        raise CommandError(f"Unknown option {unknown[0][:30]}. Usage: {usage}")
