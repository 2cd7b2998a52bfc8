"""The team chats Open Lines is proven on, each driven over its real interface: the run command
(`errbot -c config.py`) with that backend, and employees as real clients of that chat.

A side starts the process and hands out two members: the operator (an admin, so an operator of the
line Support) and a stranger (no rights at all). A member writes to the bot in private, enters and
speaks in rooms, and waits for what it hears, as a person in that chat would.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any, Protocol

from tests.support.console import TeamMember
from tests.support.irc import IrcPerson, ensure_ngircd
from tests.support.process import OpenLinesProcess
from tests.support.xmpp import MUC, SERVER, XmppPerson, ensure_prosody

# The load case posts over a thousand customer messages at once: the chat's limits must let them in.
LOAD_LIMITS = {"OPENLINES_WEBCHAT_BURST": "1000", "OPENLINES_WEBCHAT_MESSAGES_PER_MINUTE": "100000",
               "OPENLINES_WEBCHAT_NEW_VISITORS_PER_MINUTE": "1000", "OPENLINES_WEBCHAT_HELLOS_PER_MINUTE": "1000"}


class Member(Protocol):
    def tell_bot(self, text: str) -> None: ...
    def heard_privately(self, fragment: str) -> str: ...
    def invited_to(self, room: str) -> None: ...
    def enter(self, room: str) -> None: ...
    def say(self, room: str, text: str) -> None: ...
    def heard(self, room: str, fragment: str) -> str: ...
    def close(self) -> None: ...


class Side(Protocol):
    name: str
    keeps_history: bool  # whoever enters a room later reads what was said before
    strangers_enter_rooms: bool  # anyone may walk into a conversation's room (the bot must ignore them)
    process: OpenLinesProcess

    def room(self, name: str) -> str: ...
    def operator(self) -> Member: ...
    def stranger(self) -> Member: ...
    def close(self) -> None: ...


# -- the web team console --------------------------------------------------------------------------
class ConsoleMember:
    def __init__(self, port: int, login: str) -> None:
        self.login, self.page = login, TeamMember(port)

    def connect(self) -> "ConsoleMember":
        self.page.connect()
        return self

    def tell_bot(self, text: str) -> None:
        self.page.say(f"@{self.login}", text)

    def heard_privately(self, fragment: str) -> str:
        return str(self.page.message(f"@{self.login}", fragment)["text"])

    def invited_to(self, room: str) -> None:
        self.page.wait(lambda f: f["type"] == "room" and f["room"] == room)

    def enter(self, room: str) -> None:
        self.page.send({"type": "open", "room": room})

    def say(self, room: str, text: str) -> None:
        self.page.say(room, text)

    def heard(self, room: str, fragment: str) -> str:
        return str(self.page.message(room, fragment)["text"])

    def close(self) -> None:
        self.page.close()


class ConsoleSide:
    name, keeps_history, strangers_enter_rooms = "Console", True, False

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.process = OpenLinesProcess(data_dir, OPENLINES_TEAM_BACKEND="Console", **env)
        self._password = self.process.wait_for(re.compile(r"one-time password (\S+) ")).group(1)
        self._admin: ConsoleMember | None = None

    def room(self, name: str) -> str:
        return f"#{name}"

    def operator(self) -> ConsoleMember:
        admin = ConsoleMember(self.process.port, "operator")
        assert admin.page.sign_in("operator", self._password) == 200
        assert admin.page.choose_password("the operator's own password") == 200
        self._admin = admin.connect()
        return admin

    def stranger(self) -> ConsoleMember:
        assert self._admin is not None, "the operator adds the stranger's account"
        self._admin.tell_bot("!console add mallory Mallory")
        link = self._admin.heard_privately("#welcome=").rsplit(" ", 1)[-1]
        mallory = ConsoleMember(self.process.port, "mallory")
        assert mallory.page.redeem(link) == 200 and mallory.page.choose_password("mallory's password!") == 200
        return mallory.connect()

    def close(self) -> None:
        self.process.kill()


# -- XMPP on Prosody -------------------------------------------------------------------------------
BOT_JID = "openlines@localhost"


class ServerMember:
    """An operator on a real chat server (XMPP, IRC): rooms are spoken in and read the same way."""

    person: Any

    def say(self, room: str, text: str) -> None:
        self.person.say(room, text)

    def heard(self, room: str, fragment: str) -> str:
        return self.person.heard(room, fragment)

    def close(self) -> None:
        self.person.close()


class XmppMember(ServerMember):
    def __init__(self, user: str) -> None:
        self.person = XmppPerson(user)

    def tell_bot(self, text: str) -> None:
        self.person.tell(BOT_JID, text)

    def heard_privately(self, fragment: str) -> str:
        return self.person.heard(BOT_JID, fragment)

    def invited_to(self, room: str) -> None:
        self.person.invited.wait(lambda r: r == room, 20)

    def enter(self, room: str) -> None:
        deadline = time.monotonic() + 20
        while not self.person.room_ready(room):  # the bot opens and configures it
            assert time.monotonic() < deadline, f"{room} never appeared"
            time.sleep(0.2)
        self.person.join_once_member(room)  # members-only: the bot makes the line's people members


class XmppSide:
    """Rooms are members-only: the server itself keeps strangers out (tests/xmpp checks it)."""

    name, keeps_history, strangers_enter_rooms = "XMPP", True, False

    def __init__(self, data_dir: Path, **env: str) -> None:
        ensure_prosody()
        self.tag = secrets.token_hex(3)  # rooms persist on the server: each run has its own
        identity = {"username": BOT_JID, "password": "openlines-secret", "server": list(SERVER)}
        self.process = OpenLinesProcess(data_dir, OPENLINES_TEAM_BACKEND="OpenLinesXMPP",
                                        OPENLINES_TEAM_IDENTITY=json.dumps(identity),
                                        OPENLINES_XMPP_MECHANISMS='{"unencrypted_plain": true}',
                                        OPENLINES_ADMINS="alice@localhost",
                                        OPENLINES_ROOM_FORMAT=f"{{name}}-{self.tag}@{MUC}", **env)

    def room(self, name: str) -> str:
        return f"{name}-{self.tag}@{MUC}"

    def operator(self) -> XmppMember:
        return XmppMember("alice")

    def stranger(self) -> XmppMember:
        return XmppMember("carol")

    def close(self) -> None:
        self.process.stop()


# -- IRC on ngIRCd ---------------------------------------------------------------------------------
class IrcMember(ServerMember):
    def __init__(self, person: IrcPerson, bot_nick: str) -> None:
        self.person, self.bot_nick = person, bot_nick

    def tell_bot(self, text: str) -> None:
        self.person.say(self.bot_nick, text)

    def heard_privately(self, fragment: str) -> str:
        return self.person.heard(self.bot_nick, fragment)

    def invited_to(self, room: str) -> None:
        self.person.invited.wait(lambda channel: channel.lower() == room.lower(), 20)

    def enter(self, room: str) -> None:
        self.person.join(room)


class IrcSide:
    """IRC keeps no history: the operator is in the line's channel before anything is announced there."""

    name, keeps_history, strangers_enter_rooms = "IRC", False, True

    def __init__(self, data_dir: Path, **env: str) -> None:
        ensure_ngircd()
        self.tag = secrets.token_hex(3)  # nicks and channels of this run only: the server is shared
        self.bot_nick = f"ol{self.tag}"
        # Identities are full masks, which the server gives: people connect before the bot starts.
        self._alice, self._mallory = IrcPerson(f"alice{self.tag}"), IrcPerson(f"mallory{self.tag}")
        self._alice.join(self.room("support"))
        identity = {"nickname": self.bot_nick, "server": "127.0.0.1", "port": 16667}
        self.process = OpenLinesProcess(data_dir, OPENLINES_TEAM_BACKEND="IRC",
                                        OPENLINES_TEAM_IDENTITY=json.dumps(identity), OPENLINES_IRC_RATE="0",
                                        OPENLINES_ADMINS=self._alice.mask,
                                        OPENLINES_ROOM_FORMAT=f"#{{name}}-{self.tag}", **env)

    def room(self, name: str) -> str:
        return f"#{name}-{self.tag}"

    def operator(self) -> IrcMember:
        return IrcMember(self._alice, self.bot_nick)

    def stranger(self) -> IrcMember:
        return IrcMember(self._mallory, self.bot_nick)

    def close(self) -> None:
        self.process.stop()
        self._alice.close()
        self._mallory.close()
