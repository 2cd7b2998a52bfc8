"""A team backend's adapter: what differs between Errbot backends (identities, room keys,
joining, markup) behind one small class; everything else on the team side is shared."""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from backends.team.markup import escape_markdown
from bridge.relay import TeamPost

log = logging.getLogger(__name__)


class TeamAdapter:
    """The generic Errbot backend: rooms by name, people by ``aclattr``, Markdown."""

    console = False  # one person at a terminal: rooms are entered, posts are tagged
    adding_people = ""  # how someone unknown becomes known, for a refusal
    # Whether the backend may be posted to from several threads at once. Errbot's stock backends
    # render through one shared Markdown converter, which garbles and doubles posts across threads:
    # only a backend with no shared renderer and its own locking says True.
    thread_safe = False
    # Customer posts in a row may go as one message: at most this many, of at most join_chars
    # characters (a chat that limits posts per minute, or renders each message at a cost, joins them).
    join_posts = 1
    join_chars = 3000

    def __init__(self, bot: Any, room_format: str) -> None:
        self.bot = bot
        self.room_format = room_format
        self._rooms: dict[str, Any] = {}  # room key -> joined room object

    # -- identities ---------------------------------------------------------------------
    def connected(self) -> bool:
        """Whether the team chat's server connection is up (XMPP's client says; an in-process chat always is)."""
        client = getattr(getattr(self.bot, "conn", None), "client", None)
        is_connected = getattr(client, "is_connected", None)
        return bool(is_connected()) if callable(is_connected) else True

    def person_id(self, identifier: Any) -> str:
        """The employee behind a message's sender, as this backend spells people."""
        person = getattr(identifier, "person", identifier)
        return str(getattr(person, "aclattr", person))

    def parse_person(self, text: str) -> str:
        """An identity typed in a command (``!invite @bob``), as ``person_id`` would give it."""
        return self.person_id(self.bot.build_identifier(text.strip()))

    def knows(self, person: str) -> bool | None:
        """Whether ``person`` (as ``parse_person`` gives it) is someone on this team chat; None when the
        backend cannot tell (most chats have no directory the bot may read)."""
        return None

    def display_name(self, identifier: Any) -> str:
        for attr in ("fullname", "nick"):
            value = getattr(identifier, attr, None)
            if value:
                return str(value)
        return self.person_id(identifier)

    def is_from_bot(self, msg: Any) -> bool:
        me = self.person_id(self.bot.bot_identifier)
        nick = getattr(msg.frm, "nick", None)
        return self.person_id(msg.frm) == me or (nick is not None and nick == self.bot.bot_config.CHATROOM_FN)

    # -- rooms ----------------------------------------------------------------------------
    def room_identifier(self, name: str) -> str:
        return self.room_format.format(name=name)

    def room_key(self, room: Any) -> str:
        return str(room)

    def open_room(self, name: str, topic: str) -> str:
        room = self.bot.query_room(self.room_identifier(name))
        if not room.exists:
            room.create()
        if not room.joined:
            room.join(username=getattr(self.bot.bot_config, "CHATROOM_FN", None))
        self._set_topic(room, topic)
        key = self.room_key(room)
        self._rooms[key] = room
        return key

    def _set_topic(self, room: Any, topic: str) -> None:
        try:
            room.topic = topic
        except Exception as exc:  # not every backend sets topics
            log.info("room topic not set: %s", type(exc).__name__)

    def room(self, key: str) -> Any:
        room = self._rooms.get(key)
        if room is None:
            room = self._rooms[key] = self.bot.query_room(key)
        return room

    def invite(self, key: str, person: str) -> None:
        room = self.room(key)
        try:
            room.invite(self.bot.build_identifier(person))
        except Exception as exc:  # some backends cannot invite; the operator can join by name
            log.info("could not invite into %s: %s", key, type(exc).__name__)

    def how_to_write_in(self, key: str) -> str:
        return key

    keeps_members = False  # the team chat's server decides who may enter a room, from a member list

    def keep_members(self, key: str, people: frozenset[str]) -> None:
        """Make ``people`` the room's members, and only them (where ``keeps_members``)."""

    def signal(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Typing and such: most team chats cannot show them, so nothing by default."""

    # -- posting --------------------------------------------------------------------------
    def escape(self, text: str) -> str:
        return escape_markdown(text)

    def escape_post(self, text: str) -> str:
        """How customer parts of an Open Lines post are escaped: for the backend's markup, unless the
        adapter shows posts without rendering them (the Text terminal prints them as they are)."""
        return self.escape(text)

    def send(self, key: str, text: str) -> None:
        self.say(self.room(key), text)

    def say(self, to: Any, text: str) -> None:
        """Text to a room or a person (the backend's own object for it)."""
        self.bot.send(to, text)

    def send_direct(self, person: str, post: TeamPost, text: str) -> None:
        """An Open Lines post in an employee's private chat with the bot (``text`` as for ``send_post``)."""
        self.say(self.bot.build_identifier(person), text)

    def send_post(self, key: str, post: TeamPost, text: str) -> None:
        """An Open Lines post: ``text`` is ``post`` rendered with ``escape``; a backend that can show
        structure (who is the customer, what is internal) may use ``post`` itself."""
        self.send(key, text)

    def join(self, key: str, texts: list[str]) -> str:
        """Rendered posts that go as one message (see ``join_posts``), one paragraph each."""
        return "\n\n".join(texts)

    # A backend that stores posts can take a round of them, to several rooms, at once: all or none.
    send_posts: Callable[[list[tuple[str, TeamPost, str]]], None] | None = None
