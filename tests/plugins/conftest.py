"""A real Errbot (the Test backend) with the Open Lines plugins, one per test."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from errbot.backends.base import Message
from errbot.backends.test import TestBot, TestOccupant

from tests.support.customer import Customer

PLUGINS = str(Path(__file__).resolve().parents[2] / "plugins")


class TeamView:
    """Every message the bot sends, with where it went."""

    def __init__(self, bot) -> None:
        self.sent: list[tuple[str, str]] = []
        self._changed = threading.Condition()
        original = bot.send_message

        def recording(msg: Message) -> None:
            original(msg)
            with self._changed:
                self.sent.append((str(msg.to), msg.body))
                self._changed.notify_all()

        bot.send_message = recording

    def wait_for(self, predicate: Callable[[str, str], bool], timeout: float = 10,
                 start: int = 0) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for to, body in self.sent[start:]:
                    if predicate(to, body):
                        return to, body
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not sent within {timeout}s; sent so far: {self.sent[-10:]}")
                self._changed.wait(left)

    def in_room(self, room: str, fragment: str, timeout: float = 10) -> str:
        return self.wait_for(lambda to, body: to == room and fragment in body, timeout)[1]

    def count(self, room: str, fragment: str) -> int:
        with self._changed:
            return sum(1 for to, body in self.sent if to == room and fragment in body)


class OpenLinesBot:
    def __init__(self, data_dir: Path) -> None:
        self.testbot = TestBot(
            extra_plugin_dir=PLUGINS,
            loglevel=logging.WARNING,
            extra_config={
                "BOT_ADMINS": ("alice",),
                "CORE_PLUGINS": ("ACLs", "Plugins", "Utils", "ChatRoom", "CommandNotFoundFilter"),  # as config.py: Guide is !help
                "AUTOINSTALL_DEPS": False,
                "OPENLINES": {"data_dir": str(data_dir), "http_port": 0, "operators": ("alice", "carol")},
            },
        )
        self.testbot.start(timeout=5)
        self.bot = self.testbot.bot
        self.team = TeamView(self.bot)
        self.plugin = self.bot.plugin_manager.get_plugin_obj_by_name("OpenLines")

    @property
    def api(self):
        assert self.plugin.api is not None, "Open Lines is not running"
        return self.plugin.api

    @property
    def port(self) -> int:
        return self.api._host.http_port

    @property
    def crm(self):
        return self.api._runtime.crm.store

    def command(self, text: str, as_user: str = "alice") -> str:
        """A command in a direct message; returns the bot's answer to that user."""
        self.bot.sender = self.bot.build_identifier(as_user)
        before = len(self.team.sent)
        self.bot.push_message(text)
        # The Test backend addresses every command reply to the bot itself (private notes go to people).
        return self.team.wait_for(lambda to, body: to == str(self.bot.bot_identifier), start=before)[1]

    def command_in_room(self, room: str, text: str, as_user: str = "alice") -> str:
        """A command typed in a room; returns the bot's answer."""
        before = len(self.team.sent)
        self.say_in_room(room, text, as_user)
        return self.team.wait_for(lambda to, body: True, start=before)[1]

    def say_in_room(self, room: str, text: str, as_user: str = "alice") -> None:
        """A message written in a room, as the team-chat backend would deliver it."""
        room_obj = self.bot.query_room(room)
        self.bot.callback_message(Message(text, frm=TestOccupant(as_user, room_obj), to=room_obj))

    def stop(self) -> None:
        # Our TeamView has read everything; Errbot's own queue would log each leftover.
        while not self.bot.outgoing_message_queue.empty():
            self.bot.outgoing_message_queue.get_nowait()
        self.testbot.stop()


@pytest.fixture
def openlines(tmp_path: Path) -> Iterator[OpenLinesBot]:
    bot = OpenLinesBot(tmp_path)
    yield bot
    bot.stop()


@pytest.fixture
def customer(openlines: OpenLinesBot) -> Iterator[Customer]:
    c = Customer(openlines.port)
    yield c
    c.close()
