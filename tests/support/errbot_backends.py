"""Errbot's own backends, built in-process (no serving loop), with what each one renders."""
from __future__ import annotations

import io
import os
import time
import types
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Callable

from errbot.backends.base import Message
from errbot.bootstrap import bot_config_defaults

_KEPT: list[Any] = []
TEAM_BACKENDS = Path(__file__).resolve().parents[2] / "backends" / "team"


def _config(data_dir: Path, admins: tuple[str, ...]) -> Any:
    cfg = types.ModuleType("openlines_test_config")
    cfg.BOT_IDENTITY = {}  # type: ignore[attr-defined]
    cfg.BOT_ADMINS = admins  # type: ignore[attr-defined]
    cfg.BOT_DATA_DIR = str(data_dir)  # type: ignore[attr-defined]
    cfg.BOT_PREFIX = "!"  # type: ignore[attr-defined]
    cfg.CHATROOM_FN = "Open Lines"  # type: ignore[attr-defined]
    cfg.BOT_EXTRA_BACKEND_DIR = None  # type: ignore[attr-defined]
    cfg.BOT_LOG_FILE = None  # type: ignore[attr-defined]
    cfg.BOT_LOG_LEVEL = 30  # type: ignore[attr-defined]
    bot_config_defaults(cfg)
    return cfg


class _NoPlugins:
    def get_all_active_plugins(self) -> list[Any]:
        return []


class BackendUnderTest:
    """One Errbot backend, how its people and rooms are written, and what it outputs."""

    def __init__(self, name: str, bot: Any, person: Callable[[str], Any], occupant: Callable[[str, Any], Any],
                 typed: Callable[[str], str], output: Callable[[Callable[[], None]], str],
                 room_format: str = "#{name}", close: Callable[[], None] = lambda: None) -> None:
        self.name, self.bot = name, bot
        self.person, self.occupant, self.typed = person, occupant, typed
        self._output = output
        self.room_format, self.close = room_format, close

    def room(self, name: str) -> str:
        """How this backend writes the room named ``name`` (``#support-1`` here, a JID on XMPP)."""
        return self.room_format.format(name=name)

    def message_in(self, room: Any, who: str, text: str) -> Message:
        return Message(text, frm=self.occupant(who, room), to=room)

    def output_of(self, action: Callable[[], None]) -> str:
        """What the backend put out (its rendering included) while ``action`` ran."""
        return self._output(action)


def text_backend(data_dir: Path) -> BackendUnderTest:
    from errbot.backends.text import TextBackend, TextOccupant, TextPerson

    bot = TextBackend(_config(data_dir, ("@operator",)))

    def printed(action: Callable[[], None]) -> str:
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            action()
        return buffer.getvalue()

    return BackendUnderTest("Text", bot, lambda n: TextPerson(n), lambda n, r: TextOccupant(TextPerson(n), r),
                            lambda n: f"@{n}", printed)


def test_backend(data_dir: Path) -> BackendUnderTest:
    from errbot.backends.test import TestBackend, TestOccupant, TestPerson

    bot = TestBackend(_config(data_dir, ("operator",)))
    bot.attach_plugin_manager(_NoPlugins())  # room events are dispatched to plugins: there are none

    def queued(action: Callable[[], None]) -> str:
        action()
        out = []
        while not bot.outgoing_message_queue.empty():
            out.append(bot.outgoing_message_queue.get_nowait())
        return "\n".join(out)

    return BackendUnderTest("Test", bot, lambda n: TestPerson(n), lambda n, r: TestOccupant(n, r),
                            lambda n: n, queued)


def console_backend(data_dir: Path) -> BackendUnderTest:
    """Open Lines' web console, built as Errbot builds it; what it "outputs" is what its pages get."""
    console = _load_backend("console", "console")
    cfg = _config(data_dir, ("@operator",))
    cfg.OPENLINES = {"data_dir": str(data_dir), "http_port": 0}  # type: ignore[attr-defined]
    bot = console.ConsoleBackend(cfg)
    bot.attach_plugin_manager(_NoPlugins())
    from backends.team.console.identity import ConsoleOccupant, ConsolePerson

    def published(action: Callable[[], None]) -> str:
        frames: list[dict[str, Any]] = []
        bot.book.publish = lambda event, data: frames.append(data) if event == "message" else None
        action()
        return "\n".join(f"{f.get('post', {}).get('author', '')} {f['text']}" for f in frames)

    return BackendUnderTest("Console", bot, lambda n: ConsolePerson(n), lambda n, r: ConsoleOccupant(n, r),
                            lambda n: f"@{n}", published)


def _load_backend(folder: str, module: str) -> Any:
    """A backend of backends/team, loaded the way Errbot loads it (by file, under errbot.backends)."""
    import importlib.util
    import sys

    name = f"errbot.backends.{module}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TEAM_BACKENDS / folder / f"{module}.py")
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        sys.modules[name] = loaded
    return sys.modules[name]


def xmpp_backend(data_dir: Path) -> BackendUnderTest:
    """The OpenLinesXMPP backend connected to the test Prosody (.ci/prosody), serving in a thread."""
    import secrets
    import threading

    from tests.support.xmpp import MUC, SERVER, ensure_prosody

    ensure_prosody()
    xmpp = _load_backend("xmpp", "xmpp_openlines")
    room_format = f"{{name}}-{secrets.token_hex(3)}@{MUC}"  # rooms persist on the server: fresh ones each time
    cfg = _config(data_dir, ("alice@localhost",))
    cfg.BOT_IDENTITY = {"username": "openlines@localhost", "password": "openlines-secret",  # type: ignore[attr-defined]
                        "server": SERVER}
    cfg.XMPP_FEATURE_MECHANISMS = {"unencrypted_plain": True}  # type: ignore[attr-defined]
    cfg.OPENLINES = {"room_format": room_format}  # type: ignore[attr-defined]
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        import asyncio
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # slixmpp takes this thread's loop
        bot = holder["bot"] = xmpp.OpenLinesXMPPBackend(cfg)
        bot.attach_plugin_manager(_NoPlugins())
        bot.connect_callback = ready.set  # no plugins to start: connected is all we wait for
        bot.disconnect_callback = lambda: None
        bot.shutdown = lambda: None
        try:
            bot.serve_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(20), "the XMPP backend did not connect"
    bot = holder["bot"]

    def sent(action: Callable[[], None]) -> str:
        out: list[str] = []
        real = bot._send
        bot._send = lambda to, body, group: out.append(body)
        try:
            action()
        finally:
            bot._send = real
        return "\n".join(out)

    def close() -> None:
        bot.on_loop(bot.conn.disconnect)
        thread.join(10)
        assert not thread.is_alive(), "the XMPP backend did not stop"
        _KEPT.append(bot)  # slixmpp's stream schedules on its (closed) loop when collected: never collect it

    def occupant(who: str, room: Any) -> Any:
        return xmpp.OpenLinesOccupant(room.node, room.domain, who, room, f"{who}@localhost")

    return BackendUnderTest("XMPP", bot, lambda n: bot.build_identifier(f"{n}@localhost"), occupant,
                            lambda n: f"{n}@localhost", sent, room_format, close)


def irc_backend(data_dir: Path) -> BackendUnderTest:
    """Errbot's IRC backend connected to the test ngIRCd (.ci/ngircd), serving in a thread."""
    import secrets
    import threading

    from errbot.backends.irc import IRCBackend, IRCPerson, IRCRoomOccupant

    from runtime import irc_poll
    from tests.support.irc import SERVER, ensure_ngircd

    ensure_ngircd()
    irc_poll.install()  # as config.py does: by now this test process may hold over 1,023 descriptors
    nick = f"ol{secrets.token_hex(3)}"  # one nick per bot: tests may overlap on the shared server
    room_format = f"#{{name}}-{secrets.token_hex(3)}"  # channels of a test of its own
    cfg = _config(data_dir, ("alice!~alice@127.0.0.1",))
    cfg.BOT_IDENTITY = {"nickname": nick, "server": SERVER[0], "port": SERVER[1]}  # type: ignore[attr-defined]
    cfg.IRC_CHANNEL_RATE = cfg.IRC_PRIVATE_RATE = 0  # type: ignore[attr-defined]
    ready = threading.Event()
    bot = IRCBackend(cfg)
    bot.attach_plugin_manager(_NoPlugins())
    bot.connect_callback = ready.set  # no plugins to start: connected is all we wait for
    bot.disconnect_callback = lambda: None
    bot.shutdown = lambda: None
    bot.conn.recon.run = lambda _bot: None  # closed for good: no reconnecting
    threading.Thread(target=bot.serve_forever, daemon=True).start()
    assert ready.wait(20), "the IRC backend did not connect"

    def sent(action: Callable[[], None]) -> str:
        out: list[str] = []
        real = bot.conn.send_public_message, bot.conn.send_private_message
        bot.conn.send_public_message = bot.conn.send_private_message = lambda to, line: out.append(line)
        try:
            action()
        finally:
            bot.conn.send_public_message, bot.conn.send_private_message = real
        return "\n".join(out)

    def close() -> None:
        # On the reactor's own thread: closing the socket under its select() raises there
        bot.conn.reactor.scheduler.execute_after(0, lambda: bot.conn.connection.disconnect("done"))
        deadline = time.monotonic() + 10
        while bot.conn.connection.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        _KEPT.append(bot)  # its reactor thread idles on as a daemon

    def mask(n: str) -> str:
        return f"{n}!~{n}@127.0.0.1"

    return BackendUnderTest("IRC", bot, lambda n: IRCPerson(mask(n)), lambda n, r: IRCRoomOccupant(mask(n), r),
                            mask, sent, room_format, close)


test_backend.__test__ = False  # type: ignore[attr-defined]
BACKENDS = {"Text": text_backend, "Test": test_backend, "Console": console_backend}
if os.environ.get("OPENLINES_XMPP_TESTS") == "1":  # against the test Prosody (.ci/prosody), as in CI
    BACKENDS["XMPP"] = xmpp_backend
if os.environ.get("OPENLINES_IRC_TESTS") == "1":  # against the test ngIRCd (.ci/ngircd), as in CI
    BACKENDS["IRC"] = irc_backend
