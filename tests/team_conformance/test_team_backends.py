"""One operator's day, the same on every team chat Open Lines is proven on (the web console, XMPP on
Prosody, IRC on ngIRCd), and a rush of customers whose every message must reach its room once, intact.

Each case runs the real `errbot -c config.py` with that backend; operators are real clients of the
chat; the customer is on the website chat.
"""
from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Callable

import aiohttp
import pytest

from tests.support.customer import Customer
from tests.support.loopback import LoopThread
from tests.support.process import OpenLinesProcess
from tests.support.webchat import Tab
from tests.team_conformance.conftest import SIDES
from tests.team_conformance.sides import LOAD_LIMITS, ConsoleMember, IrcMember, IrcSide, Member, Side


def test_an_operators_day(side: Side) -> None:
    """announce · offer · answer · reply · whisper · stranger ignored · follow-up · close"""
    alice = side.operator()
    mallory = side.stranger()
    customer = Customer(side.process.port)
    line_room, room = side.room("support"), side.room("support-1")
    try:
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]

        # announce: in the line's room
        alice.enter(line_room)
        assert "answer it with: !answer 1" in alice.heard(line_room, "New conversation 1 on Support from Lee")
        # offer: in private, with an invitation into the conversation's room
        assert "!answer 1 to take it" in alice.heard_privately("Conversation 1 on Support (Lee)")
        alice.invited_to(room)
        # answer
        alice.tell_bot("!answer 1")
        assert "You answer conversation 1" in alice.heard_privately("You answer conversation 1")
        alice.enter(room)
        if side.keeps_history:
            assert "Where is my parcel?" in alice.heard(room, "👤 Lee (customer · Website chat)")
        # reply: a plain message in the room reaches the customer exactly as written
        alice.say(room, "It left the warehouse this morning — 2 boxes, #A-17.")
        reply = customer.next_message()
        assert reply["text"] == "It left the warehouse this morning — 2 boxes, #A-17."
        assert reply["author"] and "@" not in reply["author"]  # a name: never a JID, never an IRC host
        # whisper: stays among operators, kept in the history as internal
        alice.say(room, "~ checking with the depot")
        # stranger ignored: whoever has no rights on the line reaches no customer, however they try
        mallory.tell_bot("!reply 1 Please send me your card number.")
        assert "not an operator of line Support" in mallory.heard_privately("not an operator")
        if side.strangers_enter_rooms:
            mallory.enter(room)
            mallory.say(room, "Please send me your card number.")
            assert "not an operator" in mallory.heard(room, "Not sent to the customer")
        # follow-up: the customer writes again, the room hears it
        customer.say("Thanks! And the invoice?")
        alice.heard(room, "Thanks! And the invoice?")
        alice.say(room, "Attached to your order.")
        assert customer.next_message()["text"] == "Attached to your order."  # no whisper, no stranger before it
        alice.tell_bot("!transcript 1")  # the whisper is in the history, marked internal
        assert "🔒" in alice.heard_privately("checking with the depot")
        # close
        alice.say(room, "!close")
        assert "closed" in customer.next_message()["text"]
        alice.heard(room, "Conversation closed by")
    finally:
        customer.close()
        alice.close()
        mallory.close()


# -- load: many conversations at once ---------------------------------------------------------------
# On the Text console, the web console and IRC. Not on XMPP: the bot creates and configures each
# conversation's room, so a watcher can join only after its first posts, and Prosody replays a room's
# last 20 messages only.
CONVERSATIONS, EACH = 25, 40  # 1,000 customer messages
POST = re.compile(r"👤 Cust (\d+) \(customer · Website chat\): load c(\d+) m(\d+) end")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _customers_write(port: int) -> dict[str, int]:
    """Every customer writes EACH messages, all customers at once; their conversation ids."""
    async def one(session: aiohttp.ClientSession, n: int) -> tuple[str, int]:
        tab = Tab(await session.ws_connect(f"http://127.0.0.1:{port}/webchat/support/ws"))
        await tab.hello(name=f"Cust {n}")
        for i in range(EACH):
            ack = await tab.say(f"load c{n} m{i} end")
        await tab.ws.close()
        return str(ack["conversation_id"]), n

    async def everyone() -> dict[str, int]:
        async with aiohttp.ClientSession() as session:
            return dict(await asyncio.gather(*(one(session, n) for n in range(CONVERSATIONS))))

    loop = LoopThread()
    try:
        return loop.call(everyone(), 300)
    finally:
        loop.stop()


def _check(seen: Callable[[], list[tuple[str, str]]], room_of: Callable[[str], str],
           customers: dict[str, int]) -> None:
    """Each message exactly once, intact (the whole line as posted), in its conversation's room."""
    expected = {(room_of(cid), f"👤 Cust {n} (customer · Website chat): load c{n} m{i} end")
                for cid, n in customers.items() for i in range(EACH)}
    deadline = time.monotonic() + 180
    while not expected <= set(posts := seen()) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)  # a double would come right behind
    posts = [post for post in seen() if "load c" in post[1]]
    assert set(posts) == expected, (len(expected - set(posts)), sorted(set(posts) - expected)[:5])
    assert len(posts) == len(expected), "some messages were posted twice"


def test_a_rush_on_the_text_console(tmp_path: Path) -> None:
    """Errbot's Text backend: the terminal is the team chat, every post printed as ``[#room] text``."""
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Text", **LOAD_LIMITS)
    try:
        customers = _customers_write(process.port)

        def seen() -> list[tuple[str, str]]:
            found = (re.search(r"\[(#support-\d+)\] (.*)$", ANSI.sub("", line))  # after a prompt, maybe
                     for line in process.output.splitlines())
            return [(m.group(1), m.group(2)) for m in found if m and POST.fullmatch(m.group(2))]
        _check(seen, lambda cid: f"#support-{cid}", customers)
    finally:
        process.kill()


@pytest.mark.parametrize("name", sorted(set(SIDES) - {"XMPP"}))
def test_a_rush_on_a_team_chat(name: str, tmp_path: Path) -> None:
    side = SIDES[name](tmp_path, **LOAD_LIMITS)
    alice = side.operator()
    try:
        if isinstance(side, IrcSide):  # IRC keeps no history: in every room before it is busy
            for n in range(1, CONVERSATIONS + 1):
                alice.enter(side.room(f"support-{n}"))
        customers = _customers_write(side.process.port)
        rooms = [side.room(f"support-{cid}") for cid in customers]
        _check(_watcher(alice, rooms), lambda cid: side.room(f"support-{cid}").lower(), customers)
    finally:
        alice.close()
        side.close()


def _watcher(alice: Member, rooms: list[str]) -> Callable[[], list[tuple[str, str]]]:
    """What the operator sees of the conversation rooms: (room, post)."""
    if isinstance(alice, IrcMember):
        person = alice.person
        return lambda: [(to.lower(), text) for _, to, text in list(person.received.items)
                        if to.startswith("#") and POST.fullmatch(text)]
    assert isinstance(alice, ConsoleMember)
    page = alice.page

    def seen() -> list[tuple[str, str]]:
        posts = []
        for room in rooms:  # each room's history, as a page opening it gets it (≤ 100 messages)
            mark = page.mark()
            alice.enter(room)
            got = page.wait(lambda f: f["type"] == "error" or (f["type"] == "history" and f["room"] == room), 15, mark)
            posts += [(room, m["text"]) for m in got.get("messages", []) if POST.fullmatch(m["text"])]
        return posts
    return seen
