"""Open Lines' web team console as an Errbot backend (``BACKEND = "Console"``).

Employees sign in at ``/team/`` on the Open Lines HTTP server and chat in
rooms with each other and the bot. Messages typed on a page go through one
receiving thread (Errbot's ``callback_message`` may block); the bot's sends
from any thread are stored and handed to the loop. Nothing here renders
Markdown: the page shows text as text, so no shared converter and no markup
a customer could forge.
"""
from __future__ import annotations

import io
import logging
import queue
from typing import Any, BinaryIO

from errbot.backends.base import Message, Person, Room, RoomOccupant, Stream
from errbot.core import ErrBot

from backends.team.console.access import RoomAccess
from backends.team.console.accounts import Accounts, checked_login
from backends.team.console.hub import Hub
from backends.team.console.identity import ConsoleOccupant, ConsolePerson, ConsoleRoom
from backends.team.console.rooms import RoomBook
from backends.team.console.terminal import Terminal
from backends.team.console.web import ConsoleWeb
from bridge.errors import StorageFull
from durable.pg import is_postgres
from bridge.model import Attachment
from bridge.relay import TeamPost
from runtime import redact
from runtime.commands import summary, usable_commands
from runtime.host import Host
from runtime.settings import Settings

log = logging.getLogger(__name__)
BOT_LOGIN = "openlines"


class ConsoleBackend(ErrBot):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.settings = Settings.from_config(config)
        self.bot_identifier = ConsolePerson(BOT_LOGIN, getattr(config, "CHATROOM_FN", "Open Lines"))
        # With OPENLINES_DATABASE_URL accounts, sessions and rooms live in PostgreSQL too.
        path = self.settings.database_url if is_postgres(self.settings.database_url) else \
            self.settings.path("console.sqlite3")
        self.accounts = Accounts(path)
        self.book = RoomBook(path)
        self.admins = frozenset(self.settings.admins)
        self.host: Host | None = None
        self.hub: Hub | None = None
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        admin = next((a for a in self.settings.admins if a.startswith("@")), "@operator")
        self.terminal = Terminal(self, admin)

    # -- serving ---------------------------------------------------------------------------
    def serve_forever(self) -> None:
        first_password = self._first_admin()
        self.host = Host.shared(self.settings, extra_routes=[self._routes])
        url = f"{self.host.base_url}/team/"
        self.host.entrances.append(f"team console: {url}")
        try:
            self.connect_callback()  # activates the plugins: Open Lines prints where everything is
            self._hand_over_again()
            print(self._how_to_sign_in(url, first_password), flush=True)  # the terminal only, never the log
            self.terminal.start()
            while True:
                try:
                    msg = self._inbox.get(timeout=1)
                except queue.Empty:
                    continue
                if msg is None:
                    break
                self.callback_message(msg)
        except KeyboardInterrupt:
            log.info("interrupted: shutting down")
        finally:
            self.disconnect_callback()
            self.shutdown()

    def _first_admin(self) -> str | None:
        """On a first start, an admin account with a one-time password (shown once, on the terminal)."""
        if self.accounts.logins():
            return None
        admin = next((a for a in self.settings.admins if a.startswith("@")), "@operator")
        return self.accounts.create_with_password(checked_login(admin), admin.removeprefix("@"))

    def _how_to_sign_in(self, url: str, first_password: str | None) -> str:
        if first_password is None:
            return f"Team console: sign in at {url} (admins add people with !console add <login>)."
        login = self.accounts.logins()[0][0]
        return (f"Team console: sign in at {url} as “{login}” with the one-time password {first_password} "
                f"— you then choose your own. It is shown only this once.")

    def _routes(self, host: Host) -> list[Any]:
        self.hub = Hub(self.book, RoomAccess(host, self.admins), self, host.loop)
        self.book.publish, self.book.publish_many = self.hub.publish, self.hub.publish_many
        web = ConsoleWeb(self.accounts, lambda ws, s: self.hub.serve(ws, s.login, s.name),  # type: ignore[union-attr]
                         lambda: host.files, public_url=self.settings.public_url, http_host=self.settings.http_host)
        return web.routes()

    def shutdown(self) -> None:
        self._inbox.put(None)
        super().shutdown()
        if self.hub is not None and self.host is not None and self.host.running:
            try:
                self.host.call(self.hub.close(), 5)
            except Exception as exc:
                log.info("console pages not closed cleanly: %s", type(exc).__name__)

    # -- what the pages send ---------------------------------------------------------------------
    def receive(self, login: str, name: str, room: str, text: str, attachments: tuple[Attachment, ...],
                client_id: str | None = None, internal: bool | None = None,
                from_terminal: bool = False) -> dict[str, Any]:
        """An employee wrote in ``room`` (from the loop, or typed on the terminal): show it to the room,
        then hand it to Errbot — once per ``client_id`` (a page resends what it never heard back about).
        ``internal``: whether a conversation room's message stays among the team, for the page's label.
        Returns the message."""
        # Errbot gets the line as typed; the room and its history get it masked.
        frame: dict[str, Any] = {"from": {"login": login, "name": name, "bot": False}, "text": redact.mask(text),
                                 "format": "plain", "files": [_file(a) for a in attachments]}
        if internal is not None:
            frame["internal"] = internal
        # A conversation room's text (never a command: it could act twice) is kept until Open Lines has
        # dealt with it, and handed over again after a restart: the page, acknowledged, never resends it.
        keep = text if client_id and internal is not None else None
        kept, new = self.book.append_once(room, frame, (login, client_id) if client_id else None, unhandled=keep)
        if not new:
            return kept
        self._inbox.put(self._message(login, name, room, text, attachments, kept["id"] if keep else None, client_id,
                                      from_terminal))
        return kept

    def _message(self, login: str, name: str, room: str, text: str, attachments: tuple[Attachment, ...],
                 kept: int | None, client_id: str | None, from_terminal: bool = False) -> Message:
        if room.startswith("@"):
            msg = Message(text, frm=ConsolePerson(login, name), to=self.bot_identifier)
        else:
            msg = Message(text, frm=ConsoleOccupant(login, ConsoleRoom(room, self.book), name),
                          to=ConsoleRoom(room, self.book))
        msg.extras["attachments"] = attachments
        msg.extras["terminal"] = from_terminal  # the bot's replies to it are shown on the terminal too
        if client_id:  # Open Lines stores and sends once per key, however often it is handed over
            msg.extras["key"] = f"console:{client_id}"
        if kept is not None:
            msg.extras["handled"] = lambda: self.book.handled(kept)
        return msg

    def _hand_over_again(self) -> None:
        """What pages said that Open Lines may not have dealt with when the process stopped."""
        for frame, client_id, text in self.book.unhandled():
            who = frame["from"]
            files = tuple(Attachment(f["kind"], f["url"], f["name"], f["size"], f["content_type"])
                          for f in frame.get("files", []))
            self._inbox.put(self._message(who["login"], who["name"], frame["room"], text, files, frame["id"],
                                          client_id))

    def end_sessions(self, login: str) -> int:
        """Revoke every session of ``login`` and close their open pages; returns how many ended."""
        ended = self.accounts.revoke_all(login)
        if self.hub is not None and self.host is not None and self.host.running:
            self.host.loop.call_soon_threadsafe(self.hub.drop, login)
        return ended

    def has_account(self, login: str) -> bool:
        """Whether ``login`` is one of the console's people (the bot is nobody's colleague)."""
        return login != BOT_LOGIN and self.accounts.exists(login)

    def remove_account(self, login: str) -> bool:
        """End their sessions, forget their direct chat and rooms, then the account: someone given the
        same login later starts from nothing. False if there was no such account."""
        self.end_sessions(login)
        if not self.accounts.exists(login):
            return False
        self.book.forget(login)
        return self.accounts.remove(login)

    def command_list(self, login: str) -> list[dict[str, str]]:
        """The commands ``login`` may use (Errbot's ACLs asked dry), for completion on their page."""
        prefix, asking = self.bot_config.BOT_PREFIX, Message("", frm=ConsolePerson(login), to=self.bot_identifier)
        return [{"command": prefix + name.replace("_", " "), "help": summary(self.get_doc(method))}
                for name, method in usable_commands(self, asking)]

    # -- Errbot's backend API --------------------------------------------------------------------
    def send_message(self, msg: Message) -> None:
        super().send_message(msg)
        self.book.append(self._key(msg.to), {"from": self._me(), "text": redact.mask(msg.body), "format": "markdown"},
                         live={"text": redact.mask(msg.body, links=False)})
        if msg.extras.get("terminal"):  # the rooms' traffic is the pages', never stdout: only answers to the terminal
            self.terminal.show(self._key(msg.to), msg.body)

    def send_plain(self, key: str, text: str) -> None:
        """Text that is shown exactly as it is (Open Lines' posts)."""
        self.book.append(key, {"from": self._me(), "text": text, "format": "plain"})

    def send_post(self, key: str, post: TeamPost, text: str) -> None:
        """An Open Lines post with its structure, so the page can mark who is who."""
        self.send_posts([(key, post, text)])

    def send_posts(self, posts: list[tuple[str, TeamPost, str]]) -> None:
        """Posts to several rooms stored in one transaction (all or none); the pages show them."""
        me = self._me()  # one sender for the round (each frame is encoded on its own, none is changed)
        self.book.append_many([(key, {"from": me, "text": text, "format": "post", "post": {
            "kind": post.kind, "author": post.author, "label": post.label, "text": post.text,
            "internal": post.internal, "repeated": post.repeated, "seq": post.seq,
            "files": list(map(_file, post.attachments))}}) for key, post, text in posts])

    def signal(self, key: str, kind: str, data: dict[str, Any]) -> None:
        if self.hub is not None:
            self.hub.publish("signal", {"room": key, "kind": kind, "data": dict(data)})

    def _me(self) -> dict[str, Any]:
        return {"login": BOT_LOGIN, "name": self.bot_config.CHATROOM_FN, "bot": True}

    def _key(self, to: Any) -> str:
        if isinstance(to, Room):
            return str(to)
        return f"@{getattr(to, 'login', str(to).removeprefix('@'))}"

    def send_stream_request(self, user: Any, fsource: BinaryIO, name: str | None = None, size: int | None = None,
                            stream_type: str | None = None) -> Stream:
        """A file (a PNG chart…) from a plugin: stored with Open Lines' files and shown in place."""
        stream = Stream(user, fsource, name, size, stream_type)
        stream.accept()
        files = self.host.files if self.host is not None else None
        if files is None:
            stream.error("Open Lines' file store is not running")
            return stream
        data = fsource.read() if not isinstance(fsource, io.StringIO) else fsource.read().encode()
        try:
            attachment = self.host.call(files.put(data, name or "file", stream_type or ""))  # type: ignore[union-attr]
        except StorageFull as exc:
            stream.error(str(exc))
            return stream
        self.book.append(self._key(user), {"from": self._me(), "text": "", "format": "plain",
                                           "files": [_file(attachment)]})
        stream.success()
        return stream

    def build_identifier(self, text: str) -> Person | Room:
        text = text.strip()
        if text.startswith("#"):
            room, _, who = text.partition("/")
            return ConsoleOccupant(who[1:], ConsoleRoom(room, self.book)) if who.startswith("@") \
                else ConsoleRoom(room, self.book)
        if not text.startswith("@") or len(text) < 2:
            raise ValueError("on the console a person is @login and a room is #name")
        return ConsolePerson(text[1:], self.accounts.name_of(text[1:]))

    def build_reply(self, msg: Message, text: str | None = None, private: bool = False,
                    threaded: bool = False) -> Message:
        response = self.build_message(text or "")
        response.frm = self.bot_identifier
        response.extras["terminal"] = msg.extras.get("terminal", False)
        if private or not isinstance(msg.frm, RoomOccupant):
            response.to = ConsolePerson(msg.frm.login) if isinstance(msg.frm, ConsolePerson) else msg.frm
        else:
            response.to = msg.frm.room
        return response

    def change_presence(self, status: str = "online", message: str = "") -> None:
        log.debug("presence: %s", status)

    def query_room(self, room: str) -> ConsoleRoom:
        return ConsoleRoom(room, self.book)

    def rooms(self) -> list[ConsoleRoom]:
        return [ConsoleRoom(name, self.book) for name in self.book.names() if name.startswith("#")]

    def prefix_groupchat_reply(self, message: Message, identifier: Any) -> None:
        message.body = f"@{getattr(identifier, 'nick', identifier)} {message.body}"

    @property
    def mode(self) -> str:
        return "console"


def _file(attachment: Attachment) -> dict[str, Any]:
    return {"kind": attachment.kind, "url": attachment.url, "name": attachment.describe(), "size": attachment.size,
            "content_type": attachment.content_type}
