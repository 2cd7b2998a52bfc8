"""The run command's own terminal, beside the web console: one person typing, as Errbot's Text
console had it — useful to try things alone and to drive the product from a script.

What is typed goes to Errbot as the current identity (the first admin to begin with), in the
current room (the direct chat with the bot to begin with). ``!asuser @bob`` / ``!asadmin`` switch
who is typing, ``!inroom #room`` / ``!inperson`` where. Only the bot's answers to what is typed here
are printed, with their room (``[#support-1] …``): the rooms' traffic, customers' words included, is
the web console's, never stdout (which may well end up in a service's log).
"""
from __future__ import annotations

import sys
import threading
from typing import IO, Protocol

from bridge.model import Attachment
from bridge.relay import clean_text
from runtime import redact


class Console(Protocol):
    def receive(self, login: str, name: str, room: str, text: str, attachments: tuple[Attachment, ...],
                from_terminal: bool = False) -> object: ...

    def has_account(self, login: str) -> bool: ...


class Terminal:
    def __init__(self, console: Console, admin: str, out: IO[str] | None = None) -> None:
        self._console = console
        self._admin = admin.removeprefix("@")
        self.login = self._admin
        self.room: str | None = None  # None: the direct chat with the bot
        self._out = out or sys.stdout
        self._lock = threading.Lock()

    def start(self, source: IO[str] | None = None) -> None:
        """Read lines in a thread of its own; at the end of the input (a daemon's /dev/null) just stop."""
        stream = source if source is not None else sys.stdin
        if stream is None or stream.closed:
            return
        threading.Thread(target=self._read, args=(stream,), name="openlines-terminal", daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self.typed(line.rstrip("\n"))
        except (OSError, ValueError):  # the terminal went away: the web console goes on
            return

    def typed(self, line: str) -> None:
        words = line.split()
        command, arg = (words[0] if words else ""), (words[1] if len(words) > 1 else "")
        if command == "!asuser" and arg:
            self._play(arg.removeprefix("@"))
        elif command == "!asadmin":
            self.login = self._admin
            self.show(None, f"You are now an admin: @{self.login}.")
        elif command == "!inroom" and arg.startswith("#"):
            self.room = arg
            self.show(None, f"Joined Room {arg}.")
        elif command == "!inperson":
            self.room = None
            self.show(None, "Now in one-on-one with the bot.")
        elif line.strip():
            self._console.receive(self.login, self.login, self.room or f"@{self.login}", line, (), from_terminal=True)

    def _play(self, login: str) -> None:
        """Type as ``login`` from now on, if the console has them: a typo plays nobody."""
        if not self._console.has_account(login):
            self.show(None, f"⚠️ The console has no @{login[:40]}; an admin adds them with "
                            f"!console add {login[:40]} [Full name]. You are still @{self.login}.")
            return
        self.login = login
        self.show(None, f"You are now: @{self.login}.")

    def show(self, key: str | None, text: str, who: str = "") -> None:
        """One line (or a few) on the terminal: where it was said, who said it, what."""
        where = f"[{key}] " if key else ""
        by = f"{who}: " if who else ""
        with self._lock:
            print(clean_text(redact.mask(f"{where}{by}{text}")), file=self._out, flush=True)
