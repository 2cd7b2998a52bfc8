"""What the console acknowledged reaches the customer exactly once, even when the process dies between
the page's ack and Open Lines having dealt with the message (issue 15), with the real run command."""
from __future__ import annotations

import sqlite3
import time

import pytest

from backends.team.console.rooms import RoomBook
from backends.team.console.store import open_store
from tests.support.console import first_admin
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

SENT = "It left the warehouse this morning."  # handled, then killed before it was marked so
WHISPERED = "~ they asked twice already"  # the same, for a whisper
NOT_SENT = "Your refund is on its way."  # stored and acknowledged, never handed to Open Lines


@pytest.fixture(params=("data dir", "postgresql"))
def console_store(request, tmp_path):
    """Where the console keeps its rooms: its SQLite file, or PostgreSQL (the journal stays in the data dir)."""
    if request.param == "data dir":
        return str(tmp_path / "console.sqlite3"), {}
    url = request.getfixturevalue("pg_database")
    return url, {"OPENLINES_DATABASE_URL": url, "OPENLINES_JOURNAL_URL": f"sqlite://{tmp_path / 'journal.sqlite3'}"}


def _unhandled(store: str) -> list[int]:
    db = open_store(store)
    try:
        return [row[0] for row in db.execute("select message from unhandled")]
    finally:
        db.close()


def _until(done, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.2)


def _journal_count(data, text: str) -> int:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        return int(db.execute("select count(*) from messages where text=?", (text,)).fetchone()[0])


def _seen_by_customer(port: int, token: str) -> list[str]:
    customer = Customer(port)
    customer.token = token
    try:
        _, history = customer.connect("Lee")
        return [m.get("text") for m in history["messages"]]
    finally:
        customer.close()


def test_an_acknowledged_message_reaches_the_customer_once_after_a_kill(tmp_path, console_store):
    store, env = console_store
    bot = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", **env)
    customer = Customer(bot.port)
    admin = first_admin(bot)
    try:
        admin.connect()
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        admin.message("#support", "New conversation 1")
        admin.say("#support", "!answer 1")
        admin.wait(lambda f: f["type"] == "room" and f["room"] == "#support-1")
        for client_id, text in (("c-1", SENT), ("c-2", WHISPERED)):
            admin.send({"type": "say", "room": "#support-1", "text": text, "client_id": client_id})
            admin.wait(lambda f, c=client_id: f["type"] == "ack" and f["client_id"] == c)
        while customer.next_message()["text"] != SENT:
            pass
        _until(lambda: _journal_count(tmp_path, "they asked twice already") == 1 and not _unhandled(store))
        token = customer.token
    finally:
        customer.close()
        admin.close()
    bot.kill()

    # The kill came after Open Lines stored both, before the console marked them: handed over again.
    db = open_store(store)
    said = dict(db.execute("select client_id, message from said where login='operator'").fetchall())
    for client_id, text in (("c-1", SENT), ("c-2", WHISPERED)):
        db.execute("insert into unhandled values(?, 'operator', ?, ?)", (said[client_id], client_id, text))
    db.close()
    # The kill came right after the ack: kept in the console, never handed to Open Lines.
    book = RoomBook(store)
    frame = {"from": {"login": "operator", "name": "operator", "bot": False}, "text": NOT_SENT,
             "format": "plain", "files": [], "internal": False}
    book.append_once("#support-1", frame, ("operator", "c-3"), unhandled=NOT_SENT)
    book.close()

    again = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", **env)
    try:
        _until(lambda: not _unhandled(store))
        seen = _seen_by_customer(again.port, token)
        assert seen.count(SENT) == 1 and seen.count(NOT_SENT) == 1, seen
        assert _journal_count(tmp_path, SENT) == 1 and _journal_count(tmp_path, NOT_SENT) == 1
        assert _journal_count(tmp_path, "they asked twice already") == 1  # the whisper, once too
        assert "they asked twice" not in " ".join(t or "" for t in seen)
    finally:
        again.stop()
