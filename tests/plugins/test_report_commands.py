"""!conversations, !transcript, !crm and !stats through a real Errbot, with several people.

alice: bot admin and operator of Support; carol: operator; sue: Support's supervisor; mallory: nobody.
"""
from __future__ import annotations

import csv
import struct
import urllib.request
import zlib
import io
import time
from typing import Iterator

import pytest

from tests.support.customer import Customer

ROOM = "#support-1"


@pytest.fixture
def two_customers(openlines) -> Iterator[tuple[Customer, Customer]]:
    assert "supervisor" in openlines.command("!line grant Support sue supervisor")
    first, second = Customer(openlines.port), Customer(openlines.port)
    try:
        first.connect("Ada")
        first.say("my parcel never came")
        openlines.team.in_room(ROOM, "my parcel never came")
        second.connect("Bert")
        second.say("what are your prices")
        openlines.team.in_room("#support-2", "what are your prices")
        yield first, second
    finally:
        first.close()
        second.close()


def _one_line(reply: str) -> str:
    assert "\n" not in reply.strip(), reply
    return reply


def test_conversations_lists_the_open_ones_oldest_first_for_each_person(openlines, two_customers):
    listing = openlines.command("!conversations", as_user="carol")
    assert listing.index("1 · Support · Ada") < listing.index("2 · Support · Bert")
    assert "waiting" in listing and "“my parcel never came”" in listing and "Website chat" in listing

    openlines.command("!answer 1", as_user="alice")
    mine = openlines.command("!conversations --mine", as_user="alice")
    assert "1 · Support · Ada" in mine and "Bert" not in mine and "· alice ·" in mine
    waiting = openlines.command("!conversations Support --waiting", as_user="carol")
    assert "2 · Support · Bert" in waiting and "Ada" not in waiting
    assert "No conversations of yours" in openlines.command("!conversations --mine", as_user="carol")
    assert "Open conversations (2)" in openlines.command("!conversations", as_user="sue")


@pytest.mark.parametrize("command, user, said", [
    ("!conversations", "mallory", "no role on any line"),
    ("!conversations Nowhere", "carol", "no line “Nowhere”"),
    ("!conversations --waiting --mine", "carol", "Choose --waiting or --mine"),
    ("!conversations --late", "carol", "Unknown option --late"),
])
def test_conversations_refusals_are_one_line(openlines, command, user, said):
    assert said in _one_line(openlines.command(command, as_user=user))


def _transcript_with(openlines, fragment: str, timeout: float = 20) -> str:
    """Room messages are stored after say_in_room returns (a commit may wait on a busy disk): read until there."""
    deadline = time.monotonic() + timeout
    while True:
        text = openlines.command("!transcript 1", as_user="alice")
        if fragment in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"never in the transcript: {fragment}: {text}")


def test_transcript_shows_internal_messages_marked_and_pages(openlines, two_customers):
    first, _ = two_customers
    openlines.command("!answer 1", as_user="alice")
    openlines.say_in_room(ROOM, "Let me check", as_user="alice")
    openlines.say_in_room(ROOM, "~ the courier lost it", as_user="alice")
    while first.next_message()["text"] != "Let me check":  # the welcome comes first
        pass
    text = _transcript_with(openlines, "courier lost it")
    assert text.startswith("Conversation 1 · Support · Ada (Website chat) · answered by alice")
    assert "👤 Ada (customer · Website chat): my parcel never came" in text
    assert "🔒 🤫 alice (internal): " in text and "courier lost it" in text
    assert "🔒 ℹ️ alice answers this conversation" in text
    assert "That is the beginning of the conversation (1 page(s))" in text
    assert "Conversation 1 ·" in openlines.command("!transcript 1", as_user="sue")

    openlines.say_in_room(ROOM, "!transcript", as_user="alice")  # in its room, no ID needed
    openlines.team.wait_for(lambda to, body: body.startswith("Conversation 1 ·") and "courier" in body)


@pytest.mark.parametrize("command, user, said", [
    ("!transcript", "alice", "Which conversation?"),
    ("!transcript abc", "alice", "“abc” is not a conversation id"),
    ("!transcript 99", "alice", "no conversation 99"),
    ("!transcript 1 --page", "alice", "--page needs a whole number"),
    ("!transcript 1 --page 9", "alice", "has 1 page(s)"),
    ("!transcript 1 2", "alice", "One conversation at a time"),
    ("!transcript 1", "mallory", "not yours to read"),
    ("!transcript 1", "carol", "not yours to read"),  # alice has it
    ("!crm", "alice", "Which conversation?"),
    ("!crm 99", "alice", "no conversation 99"),
    ("!crm 1", "carol", "not yours to read"),
])
def test_reading_refusals_are_one_line(openlines, two_customers, command, user, said):
    openlines.command("!answer 1", as_user="alice")
    assert said in _one_line(openlines.command(command, as_user=user))


def test_crm_shows_the_contact_lead_and_past_conversations(openlines, two_customers):
    first, _ = two_customers
    openlines.team.in_room(ROOM, "lead was created")
    openlines.command("!close 1", as_user="alice")
    openlines.team.in_room(ROOM, "Transcript attached")
    first.say("it still has not come")
    openlines.team.in_room("#support-3", "CRM contact")

    record = openlines.command("!crm 3", as_user="alice")
    assert "CRM record of conversation 3 (Ada, Website chat)" in record
    assert "Contact " in record and ": Ada ·" in record and "Lead: " in record
    assert "Activities on the record: 1" in record
    assert "Past conversations (1):" in record and "• 1 ·" in record and "!transcript 1" in record


def test_stats_for_supervisors_as_text_and_as_a_file(openlines, two_customers):
    openlines.command("!answer 1", as_user="alice")
    openlines.command("!close 2 --silent", as_user="carol")
    text = openlines.command("!stats", as_user="sue")
    assert "Statistics of Support, the last 7 day(s)" in text
    assert "Conversations 2 · answered 1 · missed 1 · spam 0 · still open 1" in text
    assert "Per operator: alice 1" in text and "Per channel: Website chat 2" in text

    queue = openlines.bot.outgoing_message_queue
    reply = openlines.command("!stats Support --days 30 --csv", as_user="sue")
    assert "Statistics sent as the file openlines-stats-support-30d.csv" in reply
    files = [item for item in list(queue.queue) if isinstance(item, bytes)]
    rows = list(csv.reader(io.StringIO(files[-1].decode())))
    assert rows[1][:4] == ["total", "all", "2", "1"]


def test_stats_as_a_chart_is_a_png_of_the_expected_size(openlines, two_customers):
    openlines.command("!answer 1", as_user="alice")
    queue = openlines.bot.outgoing_message_queue
    reply = openlines.command("!stats Support --days 14 --chart", as_user="sue")
    assert "Statistics sent as the picture openlines-stats-support-14d.png" in reply, reply
    png = [item for item in list(queue.queue) if isinstance(item, bytes)][-1]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 900)
    assert zlib.crc32(png[12:29]) == struct.unpack(">I", png[29:33])[0]  # the header chunk is whole
    assert png.endswith(b"IEND\xaeB`\x82")
    assert "--csv or --chart, not both" in openlines.command("!stats --csv --chart", as_user="sue")


def test_where_the_team_chat_shows_links_not_files_the_chart_is_linked(openlines, two_customers, monkeypatch):
    monkeypatch.setattr(openlines.bot, "send_stream_request", None)  # as the XMPP backend: text and links
    reply = openlines.command("!stats Support --chart", as_user="sue")
    assert reply.startswith("Statistics sent as the picture openlines-stats-support-7d.png: http://127.0.0.1:"), reply
    with urllib.request.urlopen(reply.split(": ", 1)[1], timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("command, user, said", [
    ("!stats", "carol", "you supervise no line"),
    ("!stats Support", "carol", "only a supervisor or admin of line Support"),
    ("!stats", "mallory", "you supervise no line"),
    ("!stats Support --days", "sue", "--days needs a whole number"),
    ("!stats Support --days 0", "sue", "--days is a whole number from 1 to 366"),
    ("!stats Support --weeks 2", "sue", "Unknown option --weeks"),
])
def test_stats_refusals_are_one_line(openlines, command, user, said):
    openlines.command("!line grant Support sue supervisor")
    assert said in _one_line(openlines.command(command, as_user=user))


def test_help_lists_the_reading_commands(openlines):
    listing = openlines.command("!help Reports")
    for command in ("!conversations", "!transcript", "!crm", "!stats"):
        assert command in listing
    assert "!history" not in listing  # Errbot's own command stays Errbot's


@pytest.mark.parametrize("command", ["!transcript", "!crm", "!quick hello"])
def test_without_an_id_outside_a_conversation_room_the_answer_asks_which(openlines, two_customers, command):
    before = len(openlines.team.sent)
    openlines.say_in_room("#support", command, as_user="alice")  # the line room is no conversation's room
    _, reply = openlines.team.wait_for(lambda to, body: "Which conversation?" in body, start=before)
    assert "Usage:" in _one_line(reply)


def test_a_colleague_invited_without_history_reads_only_what_followed(openlines, two_customers):
    first, _ = two_customers
    openlines.command("!answer 1", as_user="alice")
    assert "joins conversation 1" in openlines.command("!invite carol 1 --no-history", as_user="alice")
    first.say("here is my order number 42")
    openlines.team.in_room(ROOM, "order number 42")
    text = openlines.command("!transcript 1", as_user="carol")
    assert "(you were invited without its history: you see what followed)" in text
    assert "order number 42" in text and "invited carol without the history" in text
    assert "my parcel never came" not in text
    assert "my parcel never came" in openlines.command("!transcript 1", as_user="alice")
