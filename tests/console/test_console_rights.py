"""Rights decide who is in a console room: every way a right ends × every way a text could still reach them.

A real `errbot -c config.py` console over real HTTP and WebSockets; the
customers write on the website chat. Ways a right ends: a colleague answers
what was offered to her, she transfers or lets pass what was hers, she is
revoked from the line, her account is removed (and a new one made with the
same login). Ways a text could reach her: the live push, the room's history
(asked on an open page, or listed on a fresh one), the line room's
announcements, and the direct chat's history.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from tests.support.console import Frame, TeamMember, first_admin
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

LINK = re.compile(r"(http://\S+/team/#welcome=\S+)")
KIM = "kim's own password"


@pytest.fixture
def bot(tmp_path) -> Iterator[OpenLinesProcess]:
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console")
    yield process
    process.stop()


class Team:
    """The first admin (@operator) and the operator @kim, both on Support, where offers go to everyone."""

    def __init__(self, bot: OpenLinesProcess) -> None:
        self.bot = bot
        self.admin = first_admin(bot)
        self.people: list[Any] = [self.admin]
        self.admin.connect()
        self.command("!line set Support queue_mode all", "queue_mode")
        self.kim = self.new_kim()
        self.command("!line grant Support @kim operator", "@kim is now operator")

    def command(self, text: str, answer: str) -> Frame:
        start = self.admin.mark()
        self.admin.say("@operator", text)
        return self.admin.wait(lambda f: f["type"] == "message" and f["room"] == "@operator"
                               and f["from"]["bot"] and answer in f["text"], start=start)

    def new_kim(self) -> TeamMember:
        link = LINK.search(self.command("!console add kim Kim Lane", "can sign in once")["text"]).group(1)
        kim = TeamMember(self.bot.port)
        self.people.append(kim)
        assert kim.redeem(link) == 200 and kim.choose_password(KIM) == 200
        kim.connect()
        return kim

    def fresh_kim(self) -> tuple[TeamMember, Frame]:
        """Kim on a page opened now: what it lists."""
        page = TeamMember(self.bot.port)
        self.people.append(page)
        assert page.sign_in("kim", KIM) == 200
        return page, page.connect()

    def customer(self, name: str, text: str) -> Customer:
        customer = Customer(self.bot.port)
        self.people.append(customer)
        customer.connect(name)
        customer.say(text)
        return customer

    def close(self) -> None:
        for person in self.people:
            person.close()


@pytest.fixture
def team(bot) -> Iterator[Team]:
    team = Team(bot)
    yield team
    team.close()


def _texts(frame: Frame) -> list[str]:
    listed = [frame] if frame["type"] == "message" else frame.get("messages", []) if frame["type"] == "history" else []
    return [m["text"] + m.get("post", {}).get("text", "") for m in listed]


def _leaked(member: TeamMember, secret: str) -> list[Frame]:
    return [f for f in member.frames if any(secret in text for text in _texts(f))]


def _in(member: TeamMember, room: str) -> None:
    """The control: she is in the room (its history reached her page)."""
    member.wait(lambda f: f["type"] == "history" and f["room"] == room)


def _is_out(team: Team, kim: TeamMember, room: str, customer: Customer, secret: str) -> None:
    """Out of ``room`` on every channel: dropped from her page, no live push, no history, not listed."""
    kim.wait(lambda f: f["type"] == "room_gone" and f["room"] == room)
    customer.say(f"{secret} my card is 4111 1111 1111 1111")
    team.admin.message(room, secret)  # it was posted to the room: the pushes are done
    for kind in ("open", "history", "say", "read"):
        start = kim.mark()
        kim.send({"type": kind, "room": room, "text": "still here?", "id": 10 ** 6})
        assert kim.wait(lambda f: f["type"] == "error", start=start)["code"] == "not_allowed"
    page, hello = team.fresh_kim()
    assert room not in [r["room"] for r in hello["rooms"]]
    start = page.mark()
    page.send({"type": "open", "room": room})
    assert page.wait(lambda f: f["type"] == "error", start=start)["code"] == "not_allowed"
    assert all(row["room"] != room for row in hello["glance"])
    assert _leaked(kim, secret) == [] and _leaked(page, secret) == []
    assert "still here?" not in [t for f in team.admin.frames for t in _texts(f)]


def test_a_colleague_answering_what_was_offered_to_both_takes_her_out(team):
    customer = team.customer("Ann", "Hello, about my order")
    _in(team.kim, "#support-1")
    team.command("!answer 1", "You answer conversation 1")
    _is_out(team, team.kim, "#support-1", customer, "SECRET-AFTER-ANSWER")


def test_transferring_or_letting_pass_what_was_hers_takes_her_out(team):
    kim = team.kim
    for number, command, secret in ((1, "!transfer @operator 1", "SECRET-AFTER-TRANSFER"),
                                    (2, "!skip 2", "SECRET-AFTER-SKIP")):
        customer = team.customer(f"Customer {number}", f"Question {number}")
        room = f"#support-{number}"
        _in(kim, room)
        start = kim.mark()
        kim.say("@kim", f"!answer {number}")
        kim.wait(lambda f: f["type"] == "message" and f"You answer conversation {number}" in f["text"], start=start)
        kim.say("@kim", command)
        _is_out(team, kim, room, customer, secret)


def test_a_revoked_operator_leaves_the_line_room_and_its_conversations(team):
    kim = team.kim
    customer = team.customer("Ann", "Hello, about my order")
    _in(kim, "#support-1")
    _in(kim, "#support")
    team.command("!line revoke Support @kim operator", "no longer operator")
    kim.wait(lambda f: f["type"] == "room_gone" and f["room"] == "#support")
    _is_out(team, kim, "#support-1", customer, "SECRET-AFTER-REVOKE")
    team.customer("Bea", "LINE-ROOM-AFTER-REVOKE phone +33 6 12 34 56 78")
    team.admin.message("#support", "LINE-ROOM-AFTER-REVOKE")
    page, hello = team.fresh_kim()
    assert [r["room"] for r in hello["rooms"]] == ["@kim"] and hello["glance"] == []
    assert _leaked(kim, "LINE-ROOM-AFTER-REVOKE") == [] and _leaked(page, "LINE-ROOM-AFTER-REVOKE") == []


def test_a_removed_account_leaves_every_room_and_nothing_of_it_passes_to_a_new_account(team):
    kim = team.kim
    customer = team.customer("Ann", "Hello, about my order")
    _in(kim, "#support-1")
    kim.say("@kim", "DM-SECRET the safe code is 7731")
    kim.message("@kim", "DM-SECRET")
    team.command("!console remove kim", "No longer operator of Support")
    kim.wait(lambda f: f["type"] == "closed")
    customer.say("SECRET-AFTER-REMOVE")
    team.admin.message("#support-1", "SECRET-AFTER-REMOVE")

    refused = team.command("!console add kim Kim Other", "belonged to an account that was removed")
    assert "welcome=" not in refused["text"]
    team.command("!console add kim --again", "can sign in once")  # a first link, never used: no harm
    again = team.new_kim()  # the same login once more
    hello = again.frames[0]
    assert [r["room"] for r in hello["rooms"]] == ["@kim"] and hello["glance"] == []
    for room in ("@kim", "#support", "#support-1"):
        start = again.mark()
        again.send({"type": "open", "room": room})
        again.wait(lambda f: f["type"] in ("history", "error"), start=start)
    team.customer("Bea", "LINE-ROOM-AFTER-REMOVE")
    team.admin.message("#support", "LINE-ROOM-AFTER-REMOVE")
    customer.say("SECRET-LATER")
    team.admin.message("#support-1", "SECRET-LATER")
    for secret in ("DM-SECRET", "Hello, about my order", "SECRET-AFTER-REMOVE", "LINE-ROOM-AFTER-REMOVE",
                   "SECRET-LATER"):
        assert _leaked(again, secret) == [], secret


def test_a_closed_conversations_room_leaves_the_list_but_stays_readable(team):
    admin = team.admin
    customer = team.customer("Ann", "Hello, about my order")
    _in(admin, "#support-1")
    team.command("!answer 1", "You answer conversation 1")
    admin.say("#support-1", "!close")
    gone = admin.wait(lambda f: f["type"] == "room_gone" and f["room"] == "#support-1")
    assert gone["closed"] is True  # the open page keeps showing it until they move on
    admin.message("#support-1", "Conversation closed by @operator")

    page = TeamMember(team.bot.port)
    team.people.append(page)
    assert page.sign_in("operator", "correct horse battery") == 200
    hello = page.connect()
    assert "#support-1" not in [r["room"] for r in hello["rooms"]]
    page.send({"type": "open", "room": "#support-1"})  # by its name, e.g. /team/#room=%23support-1
    opened = page.wait(lambda f: f["type"] == "room" and f["room"] == "#support-1")
    assert opened["closed"] is True
    page.message("#support-1", "Hello, about my order")
    page.say("@operator", "!transcript 1")
    page.message("@operator", "Hello, about my order")

    customer.say("Me again, one more question")  # a new conversation, in a room of its own
    page.wait(lambda f: f["type"] == "room" and f["room"] == "#support-2")
    page.message("#support-2", "Me again, one more question")


def test_invited_without_the_history_she_gets_what_follows_in_private_never_the_room(team):
    team.command("!line set Support queue_mode strict", "queue_mode")  # offered to @operator alone
    customer = team.customer("Ann", "Hello")  # the line's announcement shows this one to all its people
    team.admin.message("#support-1", "Hello")
    customer.say("EARLIER-SECRET said before she came")
    team.admin.message("#support-1", "EARLIER-SECRET")
    team.command("!answer 1", "You answer conversation 1")
    team.command("!invite @kim 1 --no-history", "joins conversation 1")
    customer.say("AFTER-INVITE where is it?")
    team.kim.message("@kim", "AFTER-INVITE")  # in private, as the README says
    start = team.kim.mark()
    team.kim.send({"type": "open", "room": "#support-1"})
    assert team.kim.wait(lambda f: f["type"] == "error", start=start)["code"] == "not_allowed"
    assert _leaked(team.kim, "EARLIER-SECRET") == []
