"""The runtime plugin: starts Open Lines with the bot and relays operators' room messages."""
from __future__ import annotations

import concurrent.futures
import logging

from errbot import BotPlugin
from errbot.backends.base import Message

from bridge.errors import OpenLinesError
from bridge.relay import TeamText, classify_team_text
from plugins.runtime import Runtime
from plugins.settings import Settings, operator_id
from plugins.team_chat import ErrbotTeamChat, conversation_id_of_room

log = logging.getLogger(__name__)


class OpenLines(BotPlugin):
    """Customer conversations in the team chat."""

    runtime: Runtime | None = None
    team: ErrbotTeamChat | None = None

    def activate(self) -> None:
        settings = Settings.from_config(self.bot_config)
        self.team = ErrbotTeamChat(self._bot, settings.room_format)
        self.runtime = Runtime(settings, self.team)
        self.runtime.start()
        super().activate()

    def deactivate(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        if self.team is not None:
            self.team.close()
        self.runtime = self.team = None
        super().deactivate()

    def callback_message(self, msg: Message) -> None:
        # Runs in the backend's receiving thread for every message: stay fast,
        # hand the reply to the loop and do not wait for it.
        if not msg.is_group or self.runtime is None:
            return
        room = msg.frm.room
        conversation_id = conversation_id_of_room(str(room))
        if conversation_id is None or self._from_the_bot(msg):
            return
        prefixes = (self.bot_config.BOT_PREFIX, *getattr(self.bot_config, "BOT_ALT_PREFIXES", ()))
        if classify_team_text(msg.body, prefixes) is not TeamText.REPLY:
            return
        operator = operator_id(msg.frm.person)
        future = self.runtime.submit(self.runtime.service.reply(conversation_id, operator, msg.body))
        future.add_done_callback(lambda f: self._report(f, room, conversation_id))

    def _from_the_bot(self, msg: Message) -> bool:
        me = operator_id(getattr(self.bot_identifier, "person", self.bot_identifier))
        nick = getattr(msg.frm, "nick", None)
        return operator_id(msg.frm.person) == me or (nick is not None and nick == self.bot_config.CHATROOM_FN)

    def _report(self, future: concurrent.futures.Future, room: object, conversation_id: str) -> None:
        exc = future.exception()
        if exc is None or self.team is None:
            return
        reason = str(exc) if isinstance(exc, OpenLinesError) else "an internal error (see the bot's log)"
        if not isinstance(exc, OpenLinesError):
            log.error("reply in conversation %s failed", conversation_id, exc_info=exc)
        self.team.say_later(room, f"⚠️ Not sent to the customer: {reason}.")
