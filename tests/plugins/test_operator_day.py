"""The operator's day through a real Errbot: offers, skip, transfer, invite, pin, away/back, spam, rate."""
from __future__ import annotations

import pytest

ROOM = "#support-1"


@pytest.fixture
def waiting(openlines, customer):
    customer.connect("Dora Customer")
    customer.say("My parcel is lost")
    customer.next_message()  # the welcome
    openlines.team.in_room(ROOM, "My parcel is lost")
    return openlines


def test_offer_skip_answer_transfer(waiting):
    bot = waiting
    bot.team.wait_for(lambda to, body: to == "alice" and "is offered to you" in body)
    assert "goes to the next operator" in bot.command("!skip 1", as_user="alice")
    bot.team.wait_for(lambda to, body: to == "carol" and "is offered to you" in body)
    assert "not offered to you" in bot.command("!skip 1", as_user="bob")
    assert "You answer conversation 1" in bot.command("!answer 1", as_user="carol")
    assert "already answered by carol" in bot.command("!answer 1", as_user="alice")
    assert "only the operator who has conversation 1" in bot.command("!transfer alice 1", as_user="bob")
    assert "is alice's now" in bot.command("!transfer alice 1", as_user="carol")
    bot.team.in_room(ROOM, "Transferred to alice by carol")


def test_invite_pin_spam_and_rate(waiting, customer):
    bot = waiting
    bot.command("!answer 1", as_user="alice")
    assert "joins conversation 1 (what follows, in private)" in bot.command("!invite bob 1 --no-history")
    bot.say_in_room(ROOM, "Bob, can you check the depot?")
    bot.team.wait_for(lambda to, body: to == "bob" and "check the depot" in body)
    assert "is pinned" in bot.command("!pin 1")
    assert "is unpinned" in bot.command("!unpin 1")
    assert "rated 4/5" in bot.command("!rate 1 4 calm and precise")
    assert "only a supervisor or admin" in bot.command("!rate 1 5", as_user="carol")
    assert "closed as spam" in bot.command("!spam 1")
    bot.team.in_room(ROOM, "Marked as spam by alice")


def test_away_and_back(waiting):
    bot = waiting
    assert "You are away" in bot.command("!away", as_user="carol")
    assert "(1 waiting on your lines)" in bot.command("!back", as_user="carol")


@pytest.mark.parametrize("command, answer", [
    ("!skip abc", "Usage: !skip [ID]"), ("!skip", "Which conversation?"), ("!pin 99", "no conversation 99"),
    ("!transfer", "Usage: !transfer"), ("!transfer a b c", "Usage: !transfer"), ("!invite", "Usage: !invite"),
    ("!rate 1", "Usage: !rate ID 1-5"), ("!rate 1 x", "Usage: !rate ID 1-5"), ("!rate 1 9", "1 to 5"),
    ("!transfer line Nowhere 1", "no line “Nowhere”"),
])
def test_every_bad_use_gets_one_line(waiting, command, answer):
    reply = waiting.command(command)
    assert answer in reply and len(reply.splitlines()) == 1


def test_help_shows_the_day(openlines):
    listing = openlines.command("!help Teamwork")
    for command in ("transfer", "invite", "pin", "unpin", "spam", "rate"):
        assert f"!{command}" in listing
    listing = openlines.command("!help Operators")
    for command in ("answer", "reply", "whisper", "close", "skip", "away", "back"):
        assert f"!{command}" in listing
