"""The product against a real XMPP server: `errbot -c config.py` with the OpenLinesXMPP backend,
operators as XMPP clients in MUC rooms, a customer on the website chat."""
from __future__ import annotations

import time

import pytest
import slixmpp.exceptions

from tests.support.customer import Customer
from tests.support.xmpp import BOT, MUC, XmppPerson


def _wait_for_room(person: XmppPerson, room: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not person.room_ready(room):
        assert time.monotonic() < deadline, f"{room} never appeared"
        time.sleep(0.2)


def test_an_operator_answers_whispers_brings_a_colleague_and_closes(bot, tag):
    alice, bob = XmppPerson("alice"), XmppPerson("bob")
    customer = Customer(bot.port)
    line_room, room = f"support-{tag}@{MUC}", f"support-1-{tag}@{MUC}"
    try:
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]

        _wait_for_room(alice, line_room)  # the bot opened (and owns) the line's room
        alice.join_once_member(line_room)  # members-only: the line's people are its members
        assert "answer it with: !answer 1" in alice.heard(line_room, "New conversation 1")

        alice.tell(BOT, "!answer 1")
        assert f"Write in {room} (the bot has invited you to it)" in alice.heard(BOT, "You answer conversation 1")
        assert alice.invitation() == room  # the bot invites whoever answers into the room
        alice.join(room)
        assert "Where is my parcel?" in alice.heard(room, "customer")

        alice.say(room, "It left the warehouse this morning.")
        assert customer.next_message()["text"] == "It left the warehouse this morning."

        # A colleague brought in: the bot invites him into the room.
        alice.say(room, "!invite bob@localhost")
        assert bob.invitation() == room
        bob.join(room)
        alice.say(room, "~ bob, is the courier late today?")
        bob.heard(room, "is the courier late today?")

        alice.say(room, "!close")
        closing = customer.next_message()  # the closing message: the whisper never reached the customer
        assert "closed" in closing["text"] and "courier" not in closing["text"]
        assert "Conversation closed by alice@localhost" in bob.heard(room, "Conversation closed")
    finally:
        customer.close()
        alice.close()
        bob.close()


def test_someone_without_rights_reaches_no_customer_even_with_an_operators_nick(bot, tag):
    carol, alice = XmppPerson("carol", nick="alice"), XmppPerson("alice", nick="Alice A.")
    customer = Customer(bot.port)
    room = f"support-1-{tag}@{MUC}"
    try:
        customer.connect("Kim")
        customer.say("Hi")
        assert "operator will answer" in customer.next_message()["text"]
        _wait_for_room(carol, room)
        with pytest.raises(slixmpp.exceptions.PresenceError):  # members-only: a nick is no membership
            carol.join(room)  # as "alice"

        carol.tell(BOT, "!room list")
        assert "not allowed" in carol.heard(BOT, "allowed")

        alice.tell(BOT, "!reply 1 Hello Kim, I am here.")
        assert customer.next_message()["text"] == "Hello Kim, I am here."  # carol's text never went out
    finally:
        customer.close()
        carol.close()
        alice.close()
