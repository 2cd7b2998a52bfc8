"""Who a command names, and what colleagues see, through a real Errbot (the Test backend).

Errbot's Test backend has no directory of people: commands naming someone are
accepted and say that the team chat cannot tell (the console, which can,
refuses: tests/console/test_console_people.py). What the customer gets from a
command typed outside the conversation's room is shown in the room, once.

alice: bot admin and operator of Support; carol: operator; bob: nobody's operator.
"""
from __future__ import annotations

import time

import pytest

ROOM = "#support-1"
PRICES = "Our price list is at https://shop.example/prices"


@pytest.fixture
def answered(openlines, customer):
    customer.connect("Dora Customer")
    customer.say("What does it cost?")
    customer.next_message()  # the welcome
    openlines.team.in_room(ROOM, "What does it cost?")
    assert "You answer conversation 1" in openlines.command("!answer 1", as_user="alice")
    return openlines


def _settled(bot, room: str, fragment: str, expected: int) -> None:
    """``fragment`` shows in ``room`` exactly ``expected`` times, and still does a moment later."""
    deadline = time.monotonic() + 10
    while bot.team.count(room, fragment) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a second copy would come in the same lane right after
    assert bot.team.count(room, fragment) == expected


def _next_text(customer) -> str:
    return customer.next_message()["text"]


def test_people_named_in_commands_are_accepted_with_a_caveat_where_the_chat_cannot_tell(answered):
    bot = answered
    invited = bot.command("!invite bob 1")
    assert "bob joins conversation 1" in invited
    assert "this team chat cannot tell whether bob exists" in invited and len(invited.splitlines()) == 1
    granted = bot.command("!line grant Support bob operator")
    assert "bob is now operator of line Support" in granted and "cannot tell whether bob exists" in granted
    assert "cannot tell" not in bot.command("!line revoke Support bob operator")  # taking back needs no check
    transferred = bot.command("!transfer carol 1")
    assert "Conversation 1 is carol's now" in transferred and "cannot tell whether carol exists" in transferred


def test_a_reply_typed_in_the_bots_direct_chat_shows_in_the_room_once(answered, customer):
    bot = answered
    assert "joins conversation 1" in bot.command("!invite bob 1 --no-history")
    bot.command_in_room(ROOM, "!reply Let me look that up.")  # typed in the room: the room shows it already
    assert _next_text(customer) == "Let me look that up."
    assert "Sent to the customer of conversation 1" in bot.command("!reply 1 It costs 12 euros.")
    assert _next_text(customer) == "It costs 12 euros."
    # Posts of a room come in order: the in-room reply would have come first.
    _settled(bot, ROOM, "💬 alice: It costs 12 euros", 1)  # (escaped for Markdown: no "." here)
    assert bot.team.count(ROOM, "Let me look that up") == 0
    # bob, invited without the history, gets it in private once; his own reply shows in the room, not to him.
    _settled(bot, "bob", "It costs 12 euros", 1)
    assert "Sent to the customer" in bot.command("!reply 1 Shipping is free", as_user="bob")
    assert _next_text(customer) == "Shipping is free"
    _settled(bot, ROOM, "💬 bob: Shipping is free", 1)
    assert bot.team.count("bob", "Shipping is free") == 0


def test_a_quick_answer_shows_in_the_room_once_wherever_it_was_sent_from(answered, customer):
    bot = answered
    assert "has the quick answer “prices”" in bot.command(f"!quick add Support prices {PRICES}")
    assert "Sent “prices”" in bot.command("!quick prices 1")
    assert _next_text(customer) == PRICES
    _settled(bot, ROOM, "💬 alice: Our price list is at", 1)
    bot.command_in_room(ROOM, "!quick prices")  # in the room the command shows only the name
    assert _next_text(customer) == PRICES
    _settled(bot, ROOM, "💬 alice: Our price list is at", 2)


def test_a_transferee_is_told_in_private_and_answer_in_the_room_says_write_here(openlines, customer):
    customer.connect("Dora Customer")
    customer.say("My parcel is lost")
    customer.next_message()
    openlines.team.in_room(ROOM, "My parcel is lost")
    before = len(openlines.team.sent)
    openlines.say_in_room(ROOM, "!answer", as_user="carol")
    _, answer = openlines.team.wait_for(lambda to, body: "You answer conversation 1" in body, start=before)
    assert "Write here to reply" in answer and "Write in" not in answer
    assert "is alice's now" in openlines.command("!transfer alice 1", as_user="carol")
    _, notice = openlines.team.wait_for(lambda to, body: to == "alice" and "handed you conversation 1" in body)
    assert "carol handed you conversation 1 on Support" in notice and "reply 1" in notice  # (Markdown-escaped)
    assert "Write in #support-1 to reply" in openlines.command("!answer 1", as_user="alice")  # from the DM
