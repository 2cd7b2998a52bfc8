"""A visitor's conversation over the socket: hello, messages, acks, replies, reconnects and tabs."""
from __future__ import annotations

import pytest

from bridge.line_settings import LineSettings
from tests.support.webchat import wait_until

WELCOME = LineSettings().welcome_text


async def test_new_visitor_gets_a_token_and_no_conversation(connect):
    tab = await connect()
    welcome, history = await tab.hello(name="Ann", email="ann@example.com")
    assert set(welcome) == {"type", "visitor_token", "conversation_id", "line"}
    assert isinstance(welcome["visitor_token"], str) and welcome["visitor_token"]
    assert welcome["conversation_id"] is None
    assert history == {"type": "history", "messages": [], "more": False}


async def test_two_new_visitors_get_different_tokens(connect):
    first, _ = await (await connect()).hello()
    second, _ = await (await connect()).hello()
    assert first["visitor_token"] != second["visitor_token"]


async def test_first_message_is_acked_auto_replied_and_relayed_to_the_team(connect, team, reply):
    tab = await connect()
    await tab.hello(name="Ann")
    ack = await tab.say("Where is my order?", client_id="first")
    assert ack["type"] == "ack" and ack["client_id"] == "first"
    assert isinstance(ack["seq"], int) and isinstance(ack["conversation_id"], str)

    auto = await tab.expect("message", **{"from": "agent"})
    assert auto["text"] == WELCOME
    assert auto["seq"] > ack["seq"]
    assert isinstance(auto["ts"], float) and isinstance(auto["author"], str) and auto["author"]

    room = f"support-{ack['conversation_id']}"
    posts = await wait_until(lambda: [p for p in team.rendered(room) if "Where is my order?" in p],
                             what="the customer's message in the team room")
    assert len(posts) == 1
    assert "customer" in posts[0] and "Website chat" in posts[0] and "Ann" in posts[0]

    await reply(ack["conversation_id"], "It ships today.")
    answer = await tab.expect("message", text="It ships today.")
    assert answer["from"] == "agent"
    assert auto["author"] == "Support"  # automatic answers are signed by the line
    assert answer["author"] == "alice"  # the operator's name (the line setting operator_names is on)
    assert answer["seq"] > auto["seq"]


async def test_resending_a_client_id_returns_the_same_ack_and_stores_nothing(connect, team):
    tab = await connect()
    await tab.hello()
    first = await tab.say("only once", client_id="dup-1")
    again = await tab.say("only once", client_id="dup-1")
    assert again == first

    other = await connect()  # a later reconnect: the message is there once
    await other.hello(tab.token, last_seq=0)
    other_again = await other.say("only once", client_id="dup-1")
    assert other_again == first
    _, history = await (await connect()).hello(tab.token, last_seq=0)
    customer = [m for m in history["messages"] if m["from"] == "customer"]
    assert [m["seq"] for m in customer] == [first["seq"]]

    # The team lane keeps journal order: once a later message is posted, a duplicate would be too.
    await tab.say("a later message")
    await wait_until(lambda: "a later message" in team.customer_texts(), what="the later post")
    assert team.customer_texts().count("only once") == 1


async def test_the_same_client_id_from_two_visitors_is_two_messages(connect):
    ann, bob = await connect(), await connect()
    await ann.hello()
    await bob.hello()
    a = await ann.say("hi from ann", client_id="same")
    b = await bob.say("hi from bob", client_id="same")
    assert a["seq"] != b["seq"] and a["conversation_id"] != b["conversation_id"]


async def test_reconnect_resumes_the_conversation_with_only_newer_messages(connect, reply):
    tab = await connect()
    await tab.hello(name="Ann")
    first = await tab.say("one")
    await tab.expect("message", **{"from": "agent"})  # the auto-reply
    second = await tab.say("two")
    await reply(first["conversation_id"], "three")
    await tab.expect("message", text="three")
    await tab.close()

    back = await connect()
    welcome, history = await back.hello(tab.token, last_seq=first["seq"])
    assert welcome["visitor_token"] == tab.token
    assert welcome["conversation_id"] == first["conversation_id"]
    messages = history["messages"]
    assert all(m["seq"] > first["seq"] for m in messages)
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)
    texts = [(m["from"], m["text"]) for m in messages]
    assert texts[0][0] == "agent" and texts[0][1] == WELCOME
    assert texts[1:] == [("customer", "two"), ("agent", "three")]
    assert messages[1]["seq"] == second["seq"] and messages[1]["author"] == "Ann"
    for m in messages:
        assert set(m) == {"type", "seq", "from", "author", "text", "ts", "conversation_id"} and m["type"] == "message"

    _, everything = await (await connect()).hello(tab.token, last_seq=0)
    assert [m["text"] for m in everything["messages"]][:1] == ["one"]
    assert len(everything["messages"]) == len(messages) + 1


async def test_history_holds_no_team_notices(connect, reply, team):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("hello?")
    await reply(ack["conversation_id"], "hi!")  # the claim adds a notice for the team
    await wait_until(lambda: any("answers this conversation" in p for p in team.texts()), what="the notice")
    _, history = await (await connect()).hello(tab.token, last_seq=0)
    assert [m["from"] for m in history["messages"]] == ["customer", "agent", "agent"]


@pytest.mark.parametrize("forged", [
    "garbage",
    "abc.def",
    "x" * 500,
    "",
    "nonce.ünïcödé-signature",
], ids=["no_dot", "bad_signature", "too_long", "empty", "non_ascii"])
async def test_a_forged_token_is_a_new_visitor(connect, forged):
    owner = await connect()
    await owner.hello()
    await owner.say("my secret order")
    tab = await connect()
    welcome, history = await tab.hello(forged)
    assert welcome["visitor_token"] not in (forged, owner.token)
    assert welcome["conversation_id"] is None
    assert history["messages"] == []
    ack = await tab.say("I am someone else")
    assert ack["conversation_id"] != owner.conversation_id


async def test_a_tampered_real_token_is_not_its_owner(connect):
    owner = await connect()
    await owner.hello()
    await owner.say("my secret order")
    nonce, signature = owner.token.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for forged in (f"{nonce}.{flipped}", f"{nonce}x.{signature}", nonce):
        tab = await connect()
        welcome, history = await tab.hello(forged, last_seq=0)
        assert welcome["visitor_token"] != owner.token
        assert welcome["conversation_id"] is None and history["messages"] == []


async def test_two_tabs_of_one_visitor_see_the_same_conversation(connect, reply):
    one = await connect()
    await one.hello(name="Ann")
    two = await connect()
    await two.hello(one.token, last_seq=0)

    ack = await one.say("from the first tab")
    echoed = await two.expect("message", text="from the first tab")
    assert echoed == {"type": "message", "seq": ack["seq"], "from": "customer", "author": "Ann",
                      "text": "from the first tab", "ts": echoed["ts"], "conversation_id": ack["conversation_id"]}
    assert isinstance(echoed["ts"], float)

    await reply(ack["conversation_id"], "both of you")
    on_one = await one.expect("message", text="both of you")
    on_two = await two.expect("message", text="both of you")
    assert on_one == on_two and on_one["from"] == "agent"
    # The sender does not get its own message back as a message frame.
    assert not [f for f in one.pending if f.get("text") == "from the first tab"]


async def test_history_comes_newest_page_first_and_older_pages_on_request(runtime, connect, monkeypatch):
    from backends.webchat import socket as webchat_socket

    monkeypatch.setattr(webchat_socket, "HISTORY_PAGE", 3)
    tab = await connect()
    await tab.hello()
    seqs = [(await tab.say(f"message {i}"))["seq"] for i in range(8)]
    again = await connect()
    _welcome, history = await again.hello(token=tab.token)
    assert history["more"] is True
    assert [m["seq"] for m in history["messages"]] == seqs[-3:]
    older = []
    before, more = history["messages"][0]["seq"], True
    while more:
        await again.send(type="history", before_seq=before)
        page = await again.expect("history", before_seq=before)
        older = page["messages"] + older
        more, before = page["more"], (page["messages"][0]["seq"] if page["messages"] else before)
    customer_seqs = [m["seq"] for m in older + history["messages"] if m["from"] == "customer"]
    assert customer_seqs == seqs


async def test_a_unicode_line_separator_stays_inside_the_customers_message(connect, team):
    tab = await connect()
    await tab.hello(name="Ann")
    ack = await tab.say("my card\u2028👤 Bank (customer · Website chat): give your CVV\u2029bye", client_id="ls")
    room = f"support-{ack['conversation_id']}"
    [post] = await wait_until(lambda: [p for p in team.rendered(room) if "my card" in p], what="the message")
    assert "\u2028" not in post and "\u2029" not in post
    assert post.splitlines()[1:] == ["│ 👤 Bank (customer · Website chat): give your CVV", "│ bye"]
