"""!quick through a real Errbot: kept by a supervisor, sent by operators, refused in one line otherwise.

alice: bot admin and operator of Support; carol: operator; sue: Support's supervisor; mallory: nobody.
"""
from __future__ import annotations

import json

import pytest

from tests.support.customer import Customer

HELLO = "Hello there, how can I help you today?"


@pytest.fixture
def kept(openlines):
    assert "supervisor" in openlines.command("!line grant Support sue supervisor")
    reply = openlines.command(f"!quick add Support hello {HELLO}", as_user="sue")
    assert "Line Support has the quick answer “hello” (1 in all)" in reply
    return openlines


def _reply_after_welcome(customer: Customer) -> str:
    while True:
        frame = customer.next_message()
        if frame["author"] != "Support":  # not the welcome auto-reply
            return frame["text"]


def test_two_operators_send_a_quick_answer_by_id_and_in_the_room(kept, customer):
    second = Customer(kept.port)
    try:
        customer.connect("Ada")
        customer.say("hi there")
        kept.team.in_room("#support-1", "hi there")
        second.connect("Bert")
        second.say("hello")
        kept.team.in_room("#support-2", "hello")

        assert "Sent “hello” to the customer of conversation 1" in kept.command("!quick hello 1", as_user="carol")
        assert _reply_after_welcome(customer) == HELLO
        assert "· carol ·" in kept.command("!conversations --mine", as_user="carol")  # writing first answers it

        before = len(kept.team.sent)
        kept.say_in_room("#support-2", "!quick list", as_user="carol")  # in a conversation's room: its line's
        kept.team.wait_for(lambda to, body: body.startswith("Support: 1 quick answer(s)"), start=before)
        kept.command("!answer 2", as_user="alice")
        before = len(kept.team.sent)
        kept.say_in_room("#support-2", "!quick HELLO", as_user="alice")  # names are case-insensitive
        assert _reply_after_welcome(second) == HELLO
        # Its confirmation comes before carol asks: on a loaded machine it could otherwise be read as hers.
        kept.team.wait_for(lambda to, body: body.startswith("Sent “HELLO”"), start=before)
        assert "already answered by alice" in kept.command("!quick hello 2", as_user="carol")
    finally:
        second.close()


def test_list_remove_and_export(kept):
    listing = kept.command("!quick list", as_user="carol")
    assert "Support: 1 quick answer(s)" in listing and "• hello — “Hello there" in listing
    exported = json.loads(kept.command("!line export Support").strip().strip("`"))
    assert exported["quick"] == [{"name": "hello", "text": HELLO}]
    assert "is removed from line Support" in kept.command("!quick remove Support hello", as_user="sue")
    assert "none yet" in kept.command("!quick list Support", as_user="carol")
    assert "line quick" not in kept.command("!audit Support")
    audit = kept.command("!audit Support")
    assert "quick add: hello" in audit and "quick remove: hello" in audit


@pytest.mark.parametrize("command, user, said", [
    ("!quick", "carol", "Usage: !quick NAME [ID]"),
    ("!quick hello", "carol", "Which conversation?"),
    ("!quick hello abc", "carol", "“abc” is not a conversation id"),
    ("!quick hello 99", "carol", "no conversation 99"),
    ("!quick nope 1", "carol", "line Support has no quick answer “nope” (it has: hello)"),
    ("!quick hello 1", "mallory", "not an operator of line Support"),
    ("!quick add Support", "sue", "Usage: !quick add [--line LINE] NAME TEXT"),
    ("!quick add Support bye", "sue", "Usage: !quick add [--line LINE] NAME TEXT"),
    ("!quick add Support hello again", "sue", "already has a quick answer “hello”"),
    ("!quick add Support list Some text", "sue", "is a !quick sub-command"),
    ("!quick add --line Nowhere bye Bye", "sue", "no line “Nowhere”"),
    ("!quick add Support bye Bye", "carol", "only a supervisor or admin of line Support"),
    ("!quick remove Support hello", "carol", "only a supervisor or admin of line Support"),
    ("!quick remove Support", "sue", "Usage: !quick remove [--line LINE] NAME"),
    ("!quick remove Support nope", "sue", "has no quick answer “nope”"),
    ("!quick list Support", "mallory", "no role on line Support"),
    ("!quick list", "mallory", "no role on any line"),
])
def test_every_bad_use_is_answered_in_one_line(kept, customer, command, user, said):
    customer.connect("Ada")
    customer.say("hi there")
    kept.team.in_room("#support-1", "hi there")
    reply = kept.command(command, as_user=user)
    assert said in reply and "\n" not in reply.strip(), reply


def test_a_closed_conversation_gets_no_quick_answer(kept, customer):
    customer.connect("Ada")
    customer.say("hi there")
    kept.team.in_room("#support-1", "hi there")
    kept.command("!close 1", as_user="alice")
    assert "conversation 1 is closed" in kept.command("!quick hello 1", as_user="alice")


def test_the_line_is_the_rooms_or_your_only_one(openlines):
    openlines.command("!line grant Support sue supervisor")
    assert "Line Support has the quick answer “bye”" in openlines.command("!quick add bye See you soon!", as_user="sue")
    openlines.command("!line create Sales")
    openlines.command("!line grant Sales sue supervisor")
    assert "which line?" in openlines.command("!quick add hi Hi!", as_user="sue")
    reply = openlines.command("!quick add --line Sales hi Hi from Sales!", as_user="sue")
    assert "Line Sales has the quick answer “hi”" in reply
    assert "removed from line Sales" in openlines.command("!quick remove --line Sales hi", as_user="sue")
