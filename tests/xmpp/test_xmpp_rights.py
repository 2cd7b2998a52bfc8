"""On XMPP the server delivers a room's messages: rooms are members-only and their members follow the rights.

A real `errbot -c config.py` on the OpenLinesXMPP backend against Prosody; carol
is a plain operator (alice and bob are the bot's admins). Who loses a right is
no longer a member: the server puts them out, and they cannot come back in.
"""
from __future__ import annotations

import pytest
import slixmpp.exceptions

from tests.support.customer import Customer
from tests.support.xmpp import BOT, MUC, XmppPerson
from tests.xmpp.test_xmpp_end_to_end import _wait_for_room


def _join_once_member(person: XmppPerson, room: str) -> None:
    _wait_for_room(person, room)
    person.join_once_member(room)


def _kept_out(person: XmppPerson, room: str) -> None:
    """The server put them out as they stopped being a member, and refuses them at the door."""
    person.put_out.wait(lambda left: left == room, 20)
    again = XmppPerson(person.jid.split("@")[0], nick=f"{person.nick}-again")  # a new client of theirs
    try:
        with pytest.raises(slixmpp.exceptions.PresenceError) as refused:
            again.join(room)
        assert refused.value.condition == "registration-required"
    finally:
        again.close()


def _never_heard(person: XmppPerson, secret: str) -> None:
    assert not [m for m in person.received.items if secret in m[2]], secret


@pytest.fixture
def people():
    alice, carol = XmppPerson("alice"), XmppPerson("carol")
    yield alice, carol
    alice.close()
    carol.close()


def test_an_operator_leaves_a_conversation_answered_by_another_and_the_line_once_revoked(bot, tag, people):
    alice, carol = people
    line_room, room = f"support-{tag}@{MUC}", f"support-1-{tag}@{MUC}"
    customer = Customer(bot.port)
    try:
        alice.tell(BOT, "!line grant Support carol@localhost operator")
        alice.heard(BOT, "is now operator")
        alice.tell(BOT, "!line set Support queue_mode all")
        alice.heard(BOT, "queue_mode")
        customer.connect("Ann")
        customer.say("Hello, about my order")
        assert carol.invitation() == room  # offered to her too
        _join_once_member(carol, room)
        carol.heard(room, "Hello, about my order")
        _join_once_member(carol, line_room)
        carol.heard(line_room, "New conversation 1")

        alice.tell(BOT, "!answer 1")
        alice.heard(BOT, "You answer conversation 1")
        _join_once_member(alice, room)
        _kept_out(carol, room)
        customer.say("SECRET-AFTER-ANSWER my card is 4111")
        alice.heard(room, "SECRET-AFTER-ANSWER")

        alice.tell(BOT, "!line revoke Support carol@localhost operator")
        alice.heard(BOT, "no longer operator")
        _kept_out(carol, line_room)
        _join_once_member(alice, line_room)
        other = Customer(bot.port)
        try:
            other.connect("Bea")
            other.say("LINE-ROOM-AFTER-REVOKE phone +33 6 12 34 56 78")
            alice.heard(line_room, "LINE-ROOM-AFTER-REVOKE")
        finally:
            other.close()
        for secret in ("SECRET-AFTER-ANSWER", "LINE-ROOM-AFTER-REVOKE"):
            _never_heard(carol, secret)
    finally:
        customer.close()
