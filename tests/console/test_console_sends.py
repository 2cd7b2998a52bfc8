"""What an operator sends from a console page, in a real process: kept once per client id (across a
kill -9 too), refused with its client id, and labelled as it went (to the customer, or internal)."""
from __future__ import annotations


import pytest

from backends.team.console.rooms import RoomBook
from tests.support.console import OWN_PASSWORD, TeamMember, first_admin
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess



@pytest.fixture
def bot(tmp_path):
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console")
    yield process
    process.stop()


def _answering(bot: OpenLinesProcess, customer: Customer) -> TeamMember:
    """The admin signed in, on conversation 1 of ``customer``."""
    admin = first_admin(bot)
    admin.connect()
    customer.connect("Lee")
    customer.say("Where is my parcel?")
    assert "operator will answer" in customer.next_message()["text"]
    admin.message("#support", "New conversation 1")
    admin.say("#support", "!answer 1")
    admin.message("#support", "You answer conversation 1")
    admin.wait(lambda f: f["type"] == "room" and f["room"] == "#support-1")
    return admin


def _say(member: TeamMember, text: str, client_id: str) -> None:
    member.send({"type": "say", "room": "#support-1", "text": text, "files": [], "client_id": client_id})


def test_whisper_mode_messages_are_labelled_internal_and_replies_to_the_customer(bot):
    customer = Customer(bot.port)
    admin = _answering(bot, customer)
    try:
        admin.say("#support-1", "Good morning!")
        assert admin.message("#support-1", "Good morning!")["internal"] is False
        assert customer.next_message()["text"] == "Good morning!"
        admin.say("#support-1", "!whisper on")
        admin.message("#support-1", "Whisper mode is on")
        admin.say("#support-1", "Kim, is DHL late again?")
        assert admin.message("#support-1", "Kim, is DHL late again?")["internal"] is True
        admin.say("#support-1", "!whisper off")
        admin.message("#support-1", "Whisper mode is off")
        admin.say("#support-1", "It left this morning.")
        assert admin.message("#support-1", "It left this morning.")["internal"] is False
        assert customer.next_message()["text"] == "It left this morning."  # never the whisper
        assert "internal" not in admin.message("#support-1", "!whisper on")  # a command: neither
    finally:
        customer.close()
        admin.close()


def test_a_resent_client_id_is_kept_once_even_across_a_kill(bot, tmp_path):
    customer = Customer(bot.port)
    admin = _answering(bot, customer)
    try:
        _say(admin, "Your refund is on its way.", "page-1:1")
        first = admin.wait(lambda f: f["type"] == "ack" and f["client_id"] == "page-1:1")
        _say(admin, "Your refund is on its way.", "page-1:1")  # the page never heard the ack
        again = admin.wait(lambda f: f["type"] == "ack" and f["client_id"] == "page-1:1",
                           start=admin.frames.index(first) + 1)
        assert again["id"] == first["id"] and again["room"] == "#support-1"
        assert customer.next_message()["text"] == "Your refund is on its way."
        too_long = admin.mark()
        _say(admin, "x" * 4097, "page-1:2")
        refused = admin.wait(lambda f: f["type"] == "error", start=too_long)
        assert refused["client_id"] == "page-1:2" and "4096" in refused["message"]
    finally:
        admin.close()
    port = bot.port
    bot.kill()
    restarted = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", OPENLINES_HTTP_PORT=str(port))
    admin = TeamMember(port)
    try:
        assert admin.sign_in("operator", OWN_PASSWORD) == 200
        admin.connect()
        _say(admin, "Your refund is on its way.", "page-1:1")
        assert admin.wait(lambda f: f["type"] == "ack")["id"] == first["id"]
        _say(admin, "Anything else?", "page-1:3")
        admin.wait(lambda f: f["type"] == "ack" and f["client_id"] == "page-1:3")
        _, missed = customer.connect("Lee")  # what came since the last message it saw
        texts = [m["text"] for m in missed["messages"]]
        if "Anything else?" not in texts:
            texts.append(customer.next_message(timeout=30)["text"])
        assert texts == ["Anything else?"]  # never the refund a second time
        admin.send({"type": "open", "room": "#support-1"})
        history = admin.wait(lambda f: f["type"] == "history" and f["room"] == "#support-1")
        assert [m["text"] for m in history["messages"]].count("Your refund is on its way.") == 1
    finally:
        admin.close()
        customer.close()
        restarted.stop()


def test_the_store_keeps_a_client_id_once_per_login_across_a_reopen(console_db):
    path, published = console_db, []
    book = RoomBook(path, lambda event, data: published.append(data) if event == "message" else None)
    frame = {"from": {"login": "ann", "name": "Ann", "bot": False}, "text": "On its way.", "format": "plain"}
    first, new = book.append_once("#support-1", frame, ("ann", "tab-1:1"))
    assert new and book.append_once("#support-1", frame, ("ann", "tab-1:1")) == (first, False)
    assert book.append_once("#support-1", frame, ("kim", "tab-1:1"))[1]  # per login: kim's is her own
    book.close()
    book = RoomBook(path, lambda event, data: published.append(data) if event == "message" else None)
    assert book.append_once("#support-1", frame, ("ann", "tab-1:1")) == (first, False)
    assert [m["text"] for m in book.history("#support-1")] == ["On its way.", "On its way."]
    assert len(published) == 2
    book.close()
