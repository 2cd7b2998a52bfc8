"""The runtime plugin: starts Open Lines with the bot and relays operators' room messages."""
from __future__ import annotations

import concurrent.futures
import logging
import sys
from typing import Any, Callable

from errbot import BotPlugin
from errbot.backends.base import Message

from backends import registry
from bridge.channel_settings import secret_names
from bridge.errors import OpenLinesError
from runtime import redact
from plugins.facade import OpenLinesApi
from plugins.room_members import RoomMembers
from backends.team.adapters import adapter_for
from backends.team.chat import ErrbotTeamChat
from runtime.app import Runtime
from runtime.host import Host, cannot_start
from runtime.settings import Settings

log = logging.getLogger(__name__)


class OpenLines(BotPlugin):
    """Customer conversations in the team chat."""

    api: OpenLinesApi | None = None
    started = False  # once in this process: failing later (!plugin activate) is only reported

    def activate(self) -> None:
        redact.install(name for kind in registry.KINDS.values() for name in secret_names(kind.settings_schema))
        settings = Settings.from_config(self.bot_config)
        adapter = adapter_for(self._bot, settings.room_format)
        team = ErrbotTeamChat(adapter)
        host = Host.shared(settings)
        runtime = Runtime(settings, host, team)
        try:
            runtime.start()
        except BaseException as exc:
            team.close()
            host.stop()
            if not OpenLines.started:  # at start: a process that serves nothing must not look alive
                print(cannot_start(exc, settings.data_dir), file=sys.stderr, flush=True)
                raise SystemExit(1) from None
            raise
        OpenLines.started = True
        self.api = OpenLinesApi(host, runtime, team, adapter)
        queries = host.queries
        assert queries is not None  # set once Open Lines runs
        self._members = host.submit(RoomMembers(queries, team).run()) if adapter.keeps_members else None
        super().activate()
        # The console is stdout: tell whoever started it where things are, once ready.
        print("Open Lines is ready — " + " · ".join(runtime.urls()), flush=True)

    def deactivate(self) -> None:
        api, self.api = self.api, None
        members, self._members = getattr(self, "_members", None), None
        if members is not None:
            members.cancel()
        if api is not None:
            api.shutdown()
        super().deactivate()

    def callback_message(self, msg: Message) -> None:
        # Runs in the backend's receiving thread for every message: stay fast,
        # hand the message to the loop and do not wait for it.
        api = self.api
        if not msg.is_group or api is None:
            return
        prefixes = (self.bot_config.BOT_PREFIX, *getattr(self.bot_config, "BOT_ALT_PREFIXES", ()))
        # A team chat that keeps what it hands over (the console) is told once it is dealt with.
        handled = msg.extras.get("handled")
        handled = handled if callable(handled) else (lambda: None)
        future = api.room_message(msg, prefixes)
        if future is not None:
            room = msg.frm.room
            future.add_done_callback(lambda f: self._report(api, f, room, handled))
        elif not api.closed:
            handled()  # nothing for Open Lines in it

    def _report(self, api: OpenLinesApi, future: concurrent.futures.Future[Any], room: Any,
                handled: Callable[[], None]) -> None:
        if future.cancelled():  # shutting down: the team chat hands it over again at start
            return
        exc = future.exception()
        if exc is not None:
            reason = str(exc) if isinstance(exc, OpenLinesError) else "an internal error (see the bot's log)"
            if not isinstance(exc, OpenLinesError):
                log.error("a room message could not be handled: %s", type(exc).__name__)
            api.say_later(room, f"⚠️ Not sent to the customer: {reason}.")
        handled()
