"""Errbot 6.2.1's XMPP backend, fixed for slixmpp 1.15 and for Open Lines (``BACKEND = "OpenLinesXMPP"``).

What the stock backend gets wrong (each reproduced against Prosody 0.12):
- it calls ``ClientXMPP.process()``, gone from slixmpp, and ignores the ``server`` tuple;
- sends from Errbot's command threads do not wake slixmpp's loop: every send, join
  and invite is handed to the loop thread-safely here;
- ``room.create()`` joins with the room's JID as nick and ``create()`` then ``join()``
  gets the bot kicked: a join here uses ``CHATROOM_FN``, waits for the server, and
  submits the room configuration (a new room stays locked to everyone until then);
- ``build_identifier()`` awaits a coroutine (TypeError): identities are parsed here;
- a room message's sender is ``room/nick``: the occupant carries the real bare JID,
  which the bot sees as the room's owner, so identities are compared exactly;
- incoming messages are handled on a receiving thread, never on the XMPP loop
  (Errbot may block: admin commands join its whole thread pool).
Bodies are plain text. Errbot would render each reply with Python-Markdown while
holding the GIL, cubic on a customer's 4,096 backticks (minutes with every channel
frozen): replies and posts go through Open Lines' own ``plain_text``, linear, which
gives customer text (escaped with ``escape_plain``) back as written.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
from typing import Any, Callable

from errbot.backends import xmpp as stock
from errbot.backends.base import Message
from slixmpp import JID
from slixmpp.jid import InvalidJID

from backends.team.markup import plain_text

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 20.0


class OpenLinesRoom(stock.XMPPRoom):
    def join(self, username: str | None = None, password: str | None = None) -> None:
        bot: OpenLinesXMPPBackend = self._bot
        nick = username or bot.bot_config.CHATROOM_FN
        bot.on_loop_wait(self._join(nick, password))
        log.info("joined room %s", self)

    def create(self) -> None:
        self.join()

    async def _join(self, nick: str, password: str | None) -> None:
        room, bot = JID(str(self)), self._bot
        if room in self.xep0045.get_joined_rooms():
            return
        for event, handler in (("got_online", bot.user_joined_chat), ("got_offline", bot.user_left_chat)):
            bot.conn.add_event_handler(f"muc::{room}::{event}", handler)
        presence, *_ = await self.xep0045.join_muc_wait(room, nick, password=password, maxstanzas=0,
                                                         timeout=int(JOIN_TIMEOUT))
        if presence["muc"]["affiliation"] == "owner":
            await self._configure(room)

    async def _configure(self, room: JID) -> None:
        """Unlock a new room: persistent (it outlives its last occupant), real JIDs for moderators, and
        members-only: Open Lines keeps its member list to the rights (``keep_members``)."""
        form = await self.xep0045.get_room_config(room)
        fields = form.get_fields()
        for name, value in (("muc#roomconfig_persistentroom", True), ("muc#roomconfig_whois", "moderators"),
                            ("muc#roomconfig_membersonly", True)):
            if name in fields:
                form.set_values({name: value})
        await self.xep0045.set_room_config(room, form)

    @property
    def exists(self) -> bool:
        return self.joined

    @property
    def joined(self) -> bool:
        return JID(str(self)) in self.xep0045.get_joined_rooms()

    @property
    def topic(self) -> str | None:
        return self._bot._room_topics.get(str(self))

    @topic.setter
    def topic(self, topic: str) -> None:
        self._bot.on_loop(self.xep0045.set_subject, JID(str(self)), topic)

    @property
    def occupants(self) -> list[Any]:
        room = JID(str(self))
        return [self._bot.occupant(room, nick) for nick in self.xep0045.get_roster(room)]

    def invite(self, *people: Any) -> None:
        """A member first (the room is members-only), then invited."""
        for person in people:
            self._bot.on_loop_wait(self._invite(JID(str(getattr(person, "person", person)))))

    async def _invite(self, person: JID) -> None:
        room = JID(str(self))
        await self.xep0045.set_affiliation(room, "member", jid=person.bare)
        self.xep0045.invite(room, person)

    def leave(self, reason: str | None = None) -> None:
        room = JID(str(self))
        nick = self.xep0045.our_nicks.get(None, {}).get(room, self._bot.bot_config.CHATROOM_FN)
        self._bot.on_loop(self.xep0045.leave_muc, room, nick, reason or "")

    def destroy(self) -> None:
        self._bot.on_loop_wait(self.xep0045.destroy(JID(str(self))))


class OpenLinesOccupant(stock.XMPPRoomOccupant):
    """``room/nick``, with the real bare JID behind the nick when the room tells the bot."""

    def __init__(self, node: str, domain: str, nick: str, room: OpenLinesRoom, real: str | None) -> None:
        super().__init__(node, domain, nick, room)
        self.real_person = real

    @property
    def aclattr(self) -> str:  # Errbot's ACLs: the person, never the room
        return self.real_person or str(self)


class OpenLinesConnection(stock.XMPPConnection):
    connected: bool

    def connect(self) -> "OpenLinesConnection":
        if not self.connected:
            host, port = tuple(self.server) if self.server else (None, None)
            self.client.connect(host, int(port) if port else None)
            self.connected = True
        return self

    def serve_forever(self) -> None:
        self.client.loop.run_until_complete(self.client.disconnected)

    def disconnect(self) -> None:
        self.client.disconnect()


class OpenLinesXMPPBackend(stock.XMPPBackend):
    room_factory = OpenLinesRoom

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._loop_thread: int | None = None
        room_format = str(getattr(config, "OPENLINES", {}).get("room_format", ""))
        self.muc_domains = set(getattr(config, "XMPP_MUC_DOMAINS", ()))
        if "@" in room_format:
            self.muc_domains.add(room_format.rsplit("@", 1)[1])

    def create_connection(self) -> OpenLinesConnection:
        return OpenLinesConnection(jid=self.jid, password=self.password, feature=self.feature,
                                   keepalive=self.keepalive, ca_cert=self.ca_cert, server=self.server,
                                   use_ipv6=self.use_ipv6, bot=self)

    # -- the XMPP loop ------------------------------------------------------------------------
    def on_loop(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn`` on slixmpp's loop, now if this is that loop, else woken thread-safely."""
        call = functools.partial(fn, *args, **kwargs)
        if threading.get_ident() == self._loop_thread:
            call()
        else:
            self.conn.client.loop.call_soon_threadsafe(call)

    def on_loop_wait(self, coro: Any, timeout: float = JOIN_TIMEOUT) -> Any:
        if threading.get_ident() == self._loop_thread:  # cannot wait on our own loop: let it run
            return asyncio.ensure_future(coro)
        return asyncio.run_coroutine_threadsafe(coro, self.conn.client.loop).result(timeout)

    def serve_forever(self) -> None:
        self._loop_thread = threading.get_ident()
        receiver = threading.Thread(target=self._receive, name="xmpp-receive", daemon=True)
        receiver.start()
        try:
            self.conn.connect()
            self.conn.serve_forever()
        except KeyboardInterrupt:
            log.info("interrupted: shutting down")
        finally:
            self._inbox.put(None)
            self.disconnect_callback()
            self.shutdown()

    def connected(self, data: Any) -> None:
        # Plugins activate in connect_callback and may join rooms: not on the loop they wait for.
        threading.Thread(target=self.connect_callback, name="xmpp-connect", daemon=True).start()

    def callback_message(self, msg: Message) -> None:
        if threading.get_ident() == self._loop_thread:
            self._inbox.put(msg)  # handled on the receiving thread
        else:
            super().callback_message(msg)

    def _receive(self) -> None:
        while (msg := self._inbox.get()) is not None:
            try:
                super().callback_message(msg)
            except Exception:
                log.exception("a message could not be handled")

    # -- rooms' members ------------------------------------------------------------------------
    def keep_members(self, room: str, people: frozenset[str]) -> None:
        self.on_loop_wait(self._keep_members(JID(room), people))

    async def _keep_members(self, room: JID, people: frozenset[str]) -> None:
        """The room's members become ``people``: who is no longer one is kicked by the server."""
        xep0045 = self.conn.client.plugin["xep_0045"]
        members = {JID(jid).bare for jid in await xep0045.get_affiliation_list(room, "member")}
        wanted = {jid for jid in map(_bare, people) if jid} - {self.conn.client.boundjid.bare}
        changes = [(jid, "member") for jid in sorted(wanted - members)] + \
            [(jid, "none") for jid in sorted(members - wanted)]
        for jid, affiliation in changes:  # one at a time: Prosody applies only the first item of a list
            await xep0045.set_affiliation(room, affiliation, jid=jid)

    # -- identities ----------------------------------------------------------------------------
    def occupant(self, room: JID, nick: str) -> OpenLinesOccupant:
        xep0045 = self.conn.client.plugin["xep_0045"]
        real = xep0045.get_jid_property(room, nick, "jid")
        return OpenLinesOccupant(room.user, room.domain, nick, self.query_room(room.bare),
                                 JID(real).bare if real else None)

    def _build_room_occupant(self, txtrep: str) -> OpenLinesOccupant:
        jid = JID(txtrep)
        return self.occupant(JID(jid.bare), jid.resource)

    def has_seen(self, person: str) -> bool:
        """Whether the bare JID ``person`` is on the bot's roster or in one of its rooms (read on the loop)."""
        bare = JID(person).bare
        if threading.get_ident() == self._loop_thread:
            return self._seen(bare)

        async def seen() -> bool:
            return self._seen(bare)

        return bool(self.on_loop_wait(seen(), timeout=5))

    def _seen(self, bare: str) -> bool:
        client = self.conn.client
        if client.client_roster.has_jid(bare):
            return True
        muc = client.plugin["xep_0045"]
        return any(str(muc.get_jid_property(room, nick, "jid") or "").split("/", 1)[0] == bare
                   for room in muc.get_joined_rooms() for nick in muc.get_roster(room))

    def build_identifier(self, txtrep: str) -> Any:
        jid = JID(txtrep.strip())
        is_room = jid.domain in self.muc_domains or JID(jid.bare) in \
            self.conn.client.plugin["xep_0045"].get_joined_rooms()
        if is_room:
            return self._build_room_occupant(jid.full) if jid.resource else self.query_room(jid.bare)
        return stock.XMPPPerson(jid.user, jid.domain, jid.resource or None)

    def query_room(self, room: str) -> OpenLinesRoom:
        return OpenLinesRoom(str(room), self)

    def rooms(self) -> list[OpenLinesRoom]:
        return [OpenLinesRoom(str(r), self) for r in self.conn.client.plugin["xep_0045"].get_joined_rooms()]

    # -- sending ---------------------------------------------------------------------------------
    def send_message(self, msg: Message) -> None:
        self._send_rendered(msg, plain_text(msg.body))

    def split_and_send_message(self, msg: Message) -> None:
        """A long reply is made plain whole, then cut: a cut never falls inside an escape."""
        body, size = plain_text(msg.body), self.message_size_limit
        for start in range(0, max(len(body), 1), size):
            self._send_rendered(msg, body[start:start + size])

    def _send_rendered(self, msg: Message, body: str) -> None:
        super(stock.XMPPBackend, self).send_message(msg)  # Errbot's callbacks; the stock send is not thread-safe
        self._send(msg.to, body, not msg.is_direct)

    def send_plain(self, to: Any, text: str) -> None:
        """Text sent as it is (Open Lines' posts, already made plain by the adapter), to a room or a person."""
        self._send(to, text, isinstance(to, stock.XMPPRoom))  # a groupchat message to a person is dropped

    def _send(self, to: Any, body: str, group: bool) -> None:
        self.on_loop(self.conn.client.send_message, mto=JID(str(to)), mbody=body,
                     mtype="groupchat" if group else "chat")

    def change_presence(self, status: str = "online", message: str = "") -> None:
        self.on_loop(self.conn.client.send_presence, pshow=status, pstatus=message)


def _bare(person: str) -> str | None:
    """A person's bare JID; None for an id that is no JID (say, a console login left in a line)."""
    try:
        return JID(person).bare or None
    except InvalidJID:
        return None
