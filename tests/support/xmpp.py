"""A person on the XMPP server (a slixmpp client on a loop of its own), for synchronous tests."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Coroutine, TypeVar

import slixmpp
import slixmpp.exceptions

from tests.support.inbox import Inbox

T = TypeVar("T")
SERVER = ("127.0.0.1", 15222)
SETUP = Path(__file__).resolve().parents[2] / ".ci" / "prosody"
DOMAIN, MUC = "localhost", "conference.localhost"
BOT = "openlines@localhost"  # the run command's XMPP identity in the tests
_STOPPED: list["XmppPerson"] = []


ENABLED = os.environ.get("OPENLINES_XMPP_TESTS") == "1"  # .ci/run sets it, after .ci/prosody


def ensure_prosody() -> None:
    """Prosody on 127.0.0.1:15222, started by .ci/prosody (here too, when we may: root)."""
    if prosody_running():
        return
    if os.geteuid() == 0:
        subprocess.run(["bash", str(SETUP)], check=True, timeout=600)
    if not prosody_running():
        raise RuntimeError("OPENLINES_XMPP_TESTS=1 but Prosody is not running: run .ci/prosody as root")


def prosody_running() -> bool:
    try:
        socket.create_connection(SERVER, timeout=1).close()
        return True
    except OSError:
        return False


class XmppPerson:
    """Logs in as ``user@localhost``; keeps every chat and room message it receives; accepts invitations."""

    def __init__(self, user: str, nick: str | None = None) -> None:
        self.jid = f"{user}@{DOMAIN}"
        self.nick = nick or user
        self.received: Inbox[tuple[str, str, str]] = Inbox(self.jid)  # (type, from, body)
        self.invited: Inbox[str] = Inbox(f"{self.jid}'s invitations")
        self.put_out: Inbox[str] = Inbox(f"rooms {self.jid} was put out of")  # by the room, not by leaving
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client: slixmpp.ClientXMPP = self._call(self._connect(user))

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self, user: str) -> slixmpp.ClientXMPP:
        client = slixmpp.ClientXMPP(self.jid, f"{user}-secret", plugin_config={
            "feature_mechanisms": {"unencrypted_plain": True}})
        for plugin in ("xep_0030", "xep_0045", "xep_0199"):
            client.register_plugin(plugin)
        started: asyncio.Future[bool] = self._loop.create_future()
        client.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
        client.add_event_handler("message", self._message)
        client.add_event_handler("groupchat_invite", self._invite)
        client.add_event_handler("groupchat_presence", self._room_presence)
        client.connect(*SERVER)
        await asyncio.wait_for(started, 15)
        client.send_presence()
        return client

    def _message(self, msg: Any) -> None:
        stale = msg["type"] != "groupchat" and msg.get_plugin("delay", check=True) is not None
        if msg["type"] in ("chat", "groupchat", "normal") and msg["body"] and not stale:  # not offline leftovers
            self.received.add((msg["type"], str(msg["from"]), msg["body"]))

    def _room_presence(self, presence: Any) -> None:
        codes = {int(code) for code in presence["muc"]["status_codes"]}
        if presence["type"] == "unavailable" and {110, 321} <= codes:  # ours: no longer a member
            self.put_out.add(str(presence["from"].bare))

    def _invite(self, msg: Any) -> None:
        self.invited.add(str(msg["from"].bare))

    # -- what a person does ----------------------------------------------------------------
    def join(self, room: str) -> None:
        """Enter ``room``; PresenceError when the server refuses (Prosody's refusal of a members-only
        room carries no MUC element, so slixmpp's join would only time out)."""
        async def go() -> None:
            refused: asyncio.Future[Any] = self._loop.create_future()

            def on_error(presence: Any) -> None:
                if presence["from"].bare == room and not refused.done():
                    refused.set_result(presence)

            self.client.add_event_handler("presence_error", on_error)
            joining = asyncio.ensure_future(self.client.plugin["xep_0045"].join_muc_wait(
                slixmpp.JID(room), self.nick, maxstanzas=50, timeout=15))
            try:
                done, _ = await asyncio.wait([joining, refused], timeout=15, return_when=asyncio.FIRST_COMPLETED)
                if refused in done:
                    joining.cancel()
                    raise slixmpp.exceptions.PresenceError(refused.result())
                if not done:
                    raise asyncio.TimeoutError(f"{self.jid} could not join {room}")
                joining.result()
            finally:
                self.client.del_event_handler("presence_error", on_error)
        self._call(go())

    def join_once_member(self, room: str, timeout: float = 20) -> None:
        """Join as soon as the bot has made them a member (rooms are members-only; the bot follows the
        rights within a second or so)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.join(room)
            except slixmpp.exceptions.PresenceError as refused:
                assert time.monotonic() < deadline, f"{self.jid} never became a member of {room}: {refused}"
                time.sleep(0.3)

    def say(self, room: str, text: str) -> None:
        self._loop.call_soon_threadsafe(lambda: self.client.send_message(mto=slixmpp.JID(room), mbody=text,
                                                                         mtype="groupchat"))

    def tell(self, jid: str, text: str) -> None:
        self._loop.call_soon_threadsafe(lambda: self.client.send_message(mto=slixmpp.JID(jid), mbody=text,
                                                                         mtype="chat"))

    def room_ready(self, room: str) -> bool:
        """Whether the bot has opened and configured ``room`` (persistent: no longer locked to newcomers).
        Conversation rooms are not listed publicly (they hold customers' data): ask the room itself."""
        async def go() -> bool:
            try:
                info = await self.client.plugin["xep_0030"].get_info(jid=room, timeout=10)
            except slixmpp.exceptions.IqError:
                return False
            return "muc_persistent" in info["disco_info"]["features"]
        return self._call(go())

    # -- waiting -----------------------------------------------------------------------------
    def heard(self, where: str, fragment: str, timeout: float = 20) -> str:
        """The first message from ``where`` (a room or a person, bare) holding ``fragment``."""
        return self.received.wait(lambda m: m[1].split("/")[0] == where and fragment in m[2], timeout)[2]

    def mark(self) -> int:
        return len(self.received)

    def heard_all(self, where: str, last: str, start: int, timeout: float = 20) -> str:
        """Everything from ``where`` since ``start``, up to the message holding ``last`` (a reply the
        bot sent in parts, as Errbot cuts long ones)."""
        end = self.received.wait(lambda m: m[1].split("/")[0] == where and last in m[2], timeout, start)
        said = self.received.items[start:self.received.items.index(end) + 1]
        return "".join(body for _, frm, body in said if frm.split("/")[0] == where)

    def invitation(self, timeout: float = 20) -> str:
        """The room of the first invitation."""
        return self.invited.wait(lambda room: True, timeout)

    def close(self) -> None:
        async def go() -> None:
            self.client.disconnect()
            await asyncio.wait_for(self.client.disconnected, 5)
        try:
            self._call(go())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            _STOPPED.append(self)  # slixmpp's stream schedules on its loop when collected: keep both alive
