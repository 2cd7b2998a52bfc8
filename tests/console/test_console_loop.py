"""The console's store is never called on the event loop (issue 17): a slow store call, or an Errbot
thread holding the store across a slow write, delays only whoever waits for it, never another page;
and the orders the pages rely on hold: an ack after its message, no message lost around a room's history."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.console.conftest import signed_in
from tests.support.console import TeamMember

SLOW = 1.0  # seconds a slow statement takes
PROMPT = 0.5  # what another page may wait at the most meanwhile (the loop answers in milliseconds)


class SlowStore:
    """The room book's real SQLite connection, whose statements holding ``slow`` take ``SLOW`` s longer:
    a disk or a database server that stalls."""

    def __init__(self, db: Any, slow: str) -> None:
        self._db, self._slow = db, slow
        self.stalled = threading.Event()

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self._slow in sql and not self.stalled.is_set():
            self.stalled.set()
            time.sleep(SLOW)
        return self._db.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@pytest.fixture
def pages(console_host):
    """Two pages: the admin's ("ann", whose login is operator: she may see any plain room) and bob's."""
    ann, bob = signed_in(console_host, "operator"), signed_in(console_host, "bob")
    ann.connect()
    bob.connect()
    yield console_host, ann, bob
    ann.close()
    bob.close()


def _answer_time(page: TeamMember) -> float:
    """How long the console takes to answer a frame that needs no store: an unknown type, in their own room."""
    start, mark = time.monotonic(), page.mark()
    page.send({"type": "ping", "room": "@bob"})
    error = page.wait(lambda f: f["type"] == "error", start=mark)
    assert error["code"] == "unknown_type"
    return time.monotonic() - start


def test_a_slow_store_read_leaves_other_pages_answered(pages):
    bot, ann, bob = pages
    bot.book._db = slow = SlowStore(bot.book._db, "select id, body from messages")
    mark = ann.mark()
    ann.send({"type": "history", "room": "@operator"})
    assert slow.stalled.wait(5)
    assert _answer_time(bob) < PROMPT  # on the loop, the read held everyone for a second
    ann.wait(lambda f: f["type"] == "history" and f["room"] == "@operator", start=mark)


def test_an_errbot_thread_writing_slowly_leaves_other_pages_answered(pages):
    bot, ann, bob = pages
    bot.book._db = slow = SlowStore(bot.book._db, "insert into messages")
    writer = threading.Thread(target=bot.send, args=(bot.build_identifier("@operator"), "a slow reply"))
    writer.start()
    assert slow.stalled.wait(5)
    mark = ann.mark()
    ann.send({"type": "history", "room": "@operator"})  # waits for the store, which the writer holds
    time.sleep(0.1)  # that frame is read first
    assert _answer_time(bob) < PROMPT
    writer.join()
    ann.wait(lambda f: f["type"] == "history" and f["room"] == "@operator", start=mark)
    ann.message("@operator", "a slow reply")


def test_each_ack_follows_its_message_even_when_storing_is_slow(pages):
    bot, ann, _ = pages
    bot.book._db = slow = SlowStore(bot.book._db, "insert into messages")
    for n in range(5):
        ann.send({"type": "say", "room": "@operator", "text": f"note {n}", "client_id": f"c{n}"})
    assert slow.stalled.wait(5)
    ann.wait(lambda f: f["type"] == "ack" and f["client_id"] == "c4", timeout=20)
    order = [(f["type"], f.get("client_id") or f["text"]) for f in ann.frames if f["type"] in ("message", "ack")]
    assert order == [kind for n in range(5) for kind in (("message", f"note {n}"), ("ack", f"c{n}"))]


def test_a_room_opened_during_a_burst_shows_every_message(pages):
    """What the page keeps is the room's history frame (it replaces the list), then the live messages:
    together they must hold every message, whatever was being written while the history was read."""
    bot, ann, _ = pages
    bot.book.add("#busy", "operator")
    ann.wait(lambda f: f["type"] == "room" and f["room"] == "#busy")
    room, texts = bot.build_identifier("#busy"), [f"burst {i}" for i in range(300)]
    writer = threading.Thread(target=lambda: [bot.send(room, text) for text in texts])
    writer.start()
    opened = []
    for _ in range(20):  # open it again and again while the writer writes
        mark = ann.mark()
        ann.send({"type": "open", "room": "#busy"})
        opened.append(ann.wait(lambda f: f["type"] == "history" and f["room"] == "#busy", start=mark))
    writer.join()
    ann.wait(lambda f: f["type"] == "message" and f["text"] == texts[-1], timeout=30)
    frames, stored = ann.frames, [m["id"] for m in bot.book.history("#busy", limit=1000)]
    for history in opened:
        live = [f["id"] for f in frames[frames.index(history) + 1:] if f["type"] == "message" and f["room"] == "#busy"]
        kept = {m["id"] for m in history["messages"]} | set(live)
        first = history["messages"][0]["id"] if history["messages"] else 0  # older ones are a page back
        assert [i for i in stored if i >= first and i not in kept] == []
