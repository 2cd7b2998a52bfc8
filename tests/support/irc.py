"""A person on the test IRC server (ngIRCd, started by .ci/ngircd): a plain socket client for synchronous
tests. The IRC tests run with OPENLINES_IRC_TESTS=1, as .ci/run sets it."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from pathlib import Path

from tests.support.inbox import Inbox

SERVER = ("127.0.0.1", 16667)
FORMATTING = re.compile(r"\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x16\x1d\x1f]")  # colours, bold…: not text
SETUP = Path(__file__).resolve().parents[2] / ".ci" / "ngircd"
ENABLED = os.environ.get("OPENLINES_IRC_TESTS") == "1"


def ensure_ngircd() -> None:
    """ngIRCd on 127.0.0.1:16667, started by .ci/ngircd (here too, when we may: root)."""
    if ngircd_running():
        return
    if os.geteuid() == 0:
        subprocess.run(["bash", str(SETUP)], check=True, timeout=600)
    if not ngircd_running():
        raise RuntimeError("OPENLINES_IRC_TESTS=1 but ngIRCd is not running: run .ci/ngircd as root")


def ngircd_running() -> bool:
    try:
        socket.create_connection(SERVER, timeout=1).close()
        return True
    except OSError:
        return False


class IrcPerson:
    """Registers as ``nick`` (user ``user``); keeps every PRIVMSG and INVITE it gets, with its full mask."""

    def __init__(self, nick: str, user: str | None = None) -> None:
        self.nick = nick
        self.received: Inbox[tuple[str, str, str]] = Inbox(nick)  # (from nick, to, text)
        self.invited: Inbox[str] = Inbox(f"{nick}'s invitations")
        self.joined: Inbox[str] = Inbox(f"{nick}'s joins")
        self.mask = ""  # nick!user@host, as the server (and so the bot) sees this person
        self._welcomed = threading.Event()
        self._sock = socket.create_connection(SERVER, timeout=10)
        self._sock.settimeout(None)
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name=f"irc-{nick}", daemon=True)
        self._reader.start()
        self._send(f"NICK {nick}", f"USER {user or nick} 0 * :{nick}")
        assert self._welcomed.wait(15), f"{nick} was not welcomed by the IRC server"
        self._send(f"WHOIS {nick}")
        self.mask = self.received.wait(lambda m: m[0] == "*whois*", 15)[2]

    def _send(self, *lines: str) -> None:
        with self._lock:
            self._sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def _read(self) -> None:
        buffer = b""
        try:
            while chunk := self._sock.recv(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\r\n")
                for line in lines:
                    self._line(line.decode(errors="replace"))
        except OSError:
            return

    def _line(self, line: str) -> None:
        prefix, _, rest = line.partition(" ") if line.startswith(":") else ("", "", line)
        head, _, trailing = rest.partition(" :")
        words = head.split()
        if not words:
            return
        source = prefix[1:].split("!", 1)[0]
        if words[0] == "PING":
            self._send(f"PONG :{trailing}")
        elif words[0] == "001":
            self._welcomed.set()
        elif words[0] == "311":  # WHOIS: nick user host * :realname
            self.received.add(("*whois*", "", f"{words[2]}!{words[3]}@{words[4]}"))
        elif words[0] == "PRIVMSG":
            self.received.add((source, words[1], FORMATTING.sub("", trailing)))  # as a client shows it
        elif words[0] == "INVITE":
            self.invited.add(trailing or words[2])
        elif words[0] == "JOIN" and source == self.nick:
            self.joined.add(trailing or words[1])

    # -- what a person does ----------------------------------------------------------------
    def join(self, channel: str) -> None:
        if any(c.lower() == channel.lower() for c in self.joined.items):
            return
        mark = len(self.joined)
        self._send(f"JOIN {channel}")
        self.joined.wait(lambda c: c.lower() == channel.lower(), 15, mark)

    def say(self, to: str, text: str) -> None:
        """A message to a channel or a nick."""
        self._send(f"PRIVMSG {to} :{text}")

    # -- waiting -----------------------------------------------------------------------------
    def heard(self, where: str, fragment: str, timeout: float = 20, start: int = 0) -> str:
        """The first message in channel ``where`` (or in private from the nick ``where``) holding ``fragment``."""
        def found(m: tuple[str, str, str]) -> bool:
            place = m[1] if m[1].startswith("#") else m[0]
            return place.lower() == where.lower() and fragment in m[2]
        return self.received.wait(found, timeout, start)[2]

    def invitation(self, timeout: float = 20) -> str:
        return self.invited.wait(lambda channel: True, timeout)

    def close(self) -> None:
        try:
            self._send("QUIT :bye")
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._reader.join(5)
