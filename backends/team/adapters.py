"""What differs between Errbot backends: identities, room keys, joining, markup.

One small adapter per team backend; everything else on the team side is
shared. Identities are the backend's own, compared exactly (``@bob`` on the
console, ``bob@example.com`` on XMPP); a room is known by the backend's own
key for it, never by parsing its name.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Any, Mapping

from backends.team.adapter import TeamAdapter
from backends.team.markup import escape_plain, plain_text
from bridge.relay import TeamPost, clean_text

log = logging.getLogger(__name__)


class TestAdapter(TeamAdapter):
    """Errbot's Test backend (pytest): people are plain names."""

    def person_id(self, identifier: Any) -> str:
        return str(getattr(identifier, "person", identifier))


class TextAdapter(TeamAdapter):
    """Errbot's console: one terminal, rooms entered with !inroom; the room is in every post.

    Open Lines' posts are printed as they are, one ``[#room] …`` line each (and its ``│`` continuation
    lines): they are plain text (customer text is data, never markup), so rendering them through
    Errbot's Markdown-to-ANSI converter, as ``bot.send`` does, showed the same characters at ~150 µs
    a post and ran joined posts together. The bot's answers to commands still go through Errbot."""

    console = True
    join_posts = 20  # a burst to one room is one write to the terminal
    opens_at_once = True  # a room is a name on the terminal: many open in one call

    def escape_post(self, text: str) -> str:
        return text

    def person_id(self, identifier: Any) -> str:
        person = getattr(identifier, "person", identifier)
        return str(person) if hasattr(person, "person") else f"@{person}"

    def open_room(self, name: str, topic: str) -> str:
        # The console speaks in its most recently queried room: querying a
        # new room must not move the operator out of the one they are in.
        current = self.bot.rooms()[0] if self.bot.rooms() else None
        key = super().open_room(name, topic)
        if current is not None:
            self.bot.query_room(str(current))
        return key

    def room(self, key: str) -> Any:
        from errbot.backends.text import TextRoom  # only where the console runs

        room = self._rooms.get(key)
        if room is None:  # not query_room: that would move the operator into it
            room = self._rooms[key] = TextRoom(key.removeprefix("#"), self.bot)
        return room

    def how_to_write_in(self, key: str) -> str:
        return f"{key} (on the console: !inroom {key})"

    def send(self, key: str, text: str) -> None:
        self.say(self.room(key), f"[{key}] {text}")

    def send_post(self, key: str, post: TeamPost, text: str) -> None:
        _print(f"[{key}] {text}")

    def send_direct(self, person: str, post: TeamPost, text: str) -> None:
        _print(f"[private → {person}] {text}")

    def join(self, key: str, texts: list[str]) -> str:
        return f"\n[{key}] ".join(texts)  # every post on the terminal starts with its room


def _print(text: str) -> None:
    """One write (never split by another thread's print) to the terminal, seen at once, and no control
    character in it: whatever a name or a file name holds cannot drive the terminal."""
    sys.stdout.write(clean_text(text) + "\n")
    sys.stdout.flush()


class ConsoleAdapter(TeamAdapter):
    """Open Lines' web team console: people are ``@login``, rooms ``#name``; the page shows text as
    text (no markup to escape) and posts with their structure."""

    adding_people = " (admins add people with !console add LOGIN)"
    thread_safe = True  # renders nothing; its room book and terminal take their own locks
    opens_at_once = True  # a room is an entry in its own book: no server to wait for

    def knows(self, person: str) -> bool:
        """The console has accounts: anyone else is a typo (or someone to add with !console add)."""
        return person.startswith("@") and bool(self.bot.has_account(person[1:]))

    def escape(self, text: str) -> str:
        return text

    escape_post = escape

    def send(self, key: str, text: str) -> None:
        self.bot.send_plain(key, text)

    def send_post(self, key: str, post: TeamPost, text: str) -> None:
        self.bot.send_post(key, post, text)

    def send_direct(self, person: str, post: TeamPost, text: str) -> None:
        self.bot.send_post(person, post, text)  # a person's direct chat is keyed by their "@login"

    def send_posts(self, posts: list[tuple[str, TeamPost, str]]) -> None:
        self.bot.send_posts(posts)

    def signal(self, key: str, kind: str, data: Mapping[str, Any]) -> None:
        self.bot.signal(key, kind, dict(data))

    def how_to_write_in(self, key: str) -> str:
        return f"{key} (in the team console's room list)"


class XmppAdapter(TeamAdapter):
    """XMPP (the ``OpenLinesXMPP`` backend): people are bare JIDs — a room message's sender is
    ``room/nick``, whose real JID the bot sees as the room's owner; rooms are room JIDs. Bodies are
    plain text: replies and posts go through ``plain_text``, customer text through ``escape_plain``."""

    thread_safe = True  # renders under a lock and hands every send to the XMPP loop

    def person_id(self, identifier: Any) -> str:
        real = getattr(identifier, "real_person", None)
        if real:
            return str(real)
        if getattr(identifier, "room", None) is not None:  # an occupant nobody knows: never a person's id
            return str(identifier)
        return str(getattr(identifier, "person", identifier))

    def display_name(self, identifier: Any) -> str:
        return str(getattr(identifier, "nick", None) or self.person_id(identifier))

    def knows(self, person: str) -> bool | None:
        """Known when on the bot's roster or seen in one of its rooms; the server will not say who is not."""
        try:
            return True if self.bot.has_seen(person) else None
        except Exception as exc:  # not a JID, or the XMPP loop is busy: then nobody can tell
            log.info("could not look %s up: %s", person, type(exc).__name__)
            return None

    def parse_person(self, text: str) -> str:
        try:
            return self.person_id(self.bot.build_identifier(text.strip()))
        except ValueError:  # not a JID at all: nobody's identity
            return text.strip()

    def room_key(self, room: Any) -> str:
        return str(room).split("/", 1)[0]

    def open_room(self, name: str, topic: str) -> str:
        room = self.bot.query_room(self.room_identifier(name))
        room.join(username=self.bot.bot_config.CHATROOM_FN)  # waits for the server; never room.create()
        self._set_topic(room, topic)
        key = self.room_key(room)
        self._rooms[key] = room
        return key

    def invite(self, key: str, person: str) -> None:
        self.room(key).invite(person)

    def how_to_write_in(self, key: str) -> str:
        return f"{key} (the bot has invited you to it)"

    keeps_members = True  # rooms are members-only: the rights' people are its members

    def keep_members(self, key: str, people: frozenset[str]) -> None:
        self.bot.keep_members(key, people)

    def escape(self, text: str) -> str:
        return escape_plain(text)

    def say(self, to: Any, text: str) -> None:
        self.bot.send_plain(to, plain_text(text))


class IrcAdapter(TeamAdapter):
    """Errbot's IRC backend: a person is their full ``nick!user@host`` (Errbot's ``aclattr``, which its
    ACLs match too), never the bare nick, which anyone may take; rooms are channels."""

    adding_people = " (on IRC a person is their full nick!user@host, as /whois shows it)"

    JOIN_WAIT = 10.0  # seconds for the server to confirm a join (a topic needs it)

    def person_id(self, identifier: Any) -> str:
        return str(getattr(identifier, "aclattr", identifier))

    def parse_person(self, text: str) -> str:
        text = text.strip()
        if "!" not in text or "@" not in text:  # a bare nick names nobody for sure: it matches no identity
            return text
        return self.person_id(self.bot.build_identifier(text))

    def knows(self, person: str) -> bool | None:
        """A bare nick is nobody (a typo for a full mask); of a full mask, the server will not say."""
        return None if "!" in person and "@" in person else False

    def open_room(self, name: str, topic: str) -> str:
        room = self.bot.query_room(self.room_identifier(name))
        if not room.joined:  # never room.create() / room.exists: on IRC both only warn, then join
            room.join()
            deadline = time.monotonic() + self.JOIN_WAIT
            while not room.joined and time.monotonic() < deadline:
                time.sleep(0.02)
        self._set_topic(room, topic)
        key = self.room_key(room)
        self._rooms[key] = room
        return key

    def invite(self, key: str, person: str) -> None:
        # IRC invites a nick: the one of the mask this person is known by
        self.room(key).invite(self.bot.build_identifier(person).nick)


ADAPTERS: dict[str, type[TeamAdapter]] = {"test": TestAdapter, "text": TextAdapter, "console": ConsoleAdapter,
                                          "xmpp": XmppAdapter, "irc": IrcAdapter}


def adapter_for(bot: Any, room_format: str) -> TeamAdapter:
    return ADAPTERS.get(getattr(bot, "mode", ""), TeamAdapter)(bot, room_format)
