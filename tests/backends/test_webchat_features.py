"""The chat customers like, over real sockets: typing, reads, who answers, events, the end, ratings."""
from __future__ import annotations

from dataclasses import replace

from backends.webchat.tokens import ref_of
from tests.support.runtime import OPERATOR


async def _conversation(runtime, cid: str):
    return await runtime.run(runtime.app.journal.conversations.conversation(cid))


async def _set_line(runtime, **settings) -> None:
    directory = runtime.app.services.directory
    line = directory.line("support")
    directory.put_line(replace(line, settings=replace(line.settings, **settings)))


async def _grant(runtime, *operators: str) -> None:
    directory = runtime.app.services.directory
    line = directory.line("support")
    directory.put_line(replace(line, operators=(*line.operators, *operators)))


async def test_an_operator_typing_reaches_the_customer_and_the_customer_typing_reaches_the_room(runtime, connect):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("hello?")
    conversation = await _conversation(runtime, ack["conversation_id"])
    await runtime.run(runtime.app.services.core.signal(conversation, "typing", on=True, author="Alice"))
    assert await tab.expect("typing") == {"type": "typing", "from": "agent", "on": True, "author": "Alice"}
    await runtime.run(runtime.app.services.core.signal(conversation, "typing", on=False))
    assert (await tab.expect("typing"))["on"] is False
    await tab.send(type="typing", on=True)
    runtime.team.wait_for(lambda team: ("support-1", "typing", {"on": True}) in team.signals)


async def test_a_reply_counts_as_read_and_the_customers_reads_are_kept(runtime, connect, reply):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("did you see this?")
    answer = await reply(ack["conversation_id"], "Yes, I did.")
    read = await tab.expect("read")
    assert ack["seq"] <= read["seq"] < answer.seq
    await tab.send(type="read", seq=answer.seq)
    await tab.close()  # a tab's last read is written when it leaves at the latest
    state = runtime.app.journal.state
    await _until(lambda: runtime.run(state.get("webchat:support", ref_of(tab.token))),
                 lambda s: s.get("read_seq") == answer.seq)


async def test_operator_names_joined_and_closed_events_then_a_rating(runtime, connect, reply):
    await _set_line(runtime, ratings="on")
    tab = await connect()
    await tab.hello()
    ack = await tab.say("I need help")
    cid = ack["conversation_id"]
    await runtime.run(runtime.app.actions.answer(cid, OPERATOR))
    # Events name the operator as the team chat names them (the recording team chat: "Alice").
    assert await tab.expect("event") == {"type": "event", "event": "joined", "author": "Alice"}
    await runtime.run(runtime.app.actions.reply(cid, OPERATOR, "Here to help", name="Alice Martin"))
    assert (await tab.expect("message", text="Here to help"))["author"] == "Alice Martin"
    await tab.send(type="rate", conversation_id=cid, value="good")
    assert (await tab.expect("error"))["code"] == "refused"  # still open: not asked yet
    await runtime.run(runtime.app.actions.close(cid, OPERATOR))
    assert await tab.expect("event") == {"type": "event", "event": "closed", "author": "Alice"}
    assert await tab.expect("rating_request") == {"type": "rating_request", "conversation_id": cid}
    await tab.send(type="rate", conversation_id=cid, value="good")
    assert (await tab.expect("rated"))["value"] == "good"
    assert (await _conversation(runtime, cid)).customer_rating == "good"
    await tab.send(type="rate", conversation_id=cid, value="bad")
    assert (await tab.expect("error"))["code"] == "refused"  # once only
    stranger = await connect()
    await stranger.hello()
    await stranger.send(type="rate", conversation_id=cid, value="bad")
    assert (await stranger.expect("error"))["code"] in ("refused", "not_found")  # not theirs to rate
    runtime.team.wait_for(lambda team: any("rated this conversation" in t for t in team.texts()))


async def test_names_off_signs_replies_with_the_lines_name(runtime, connect):
    await _set_line(runtime, operator_names="off")
    tab = await connect()
    await tab.hello()
    ack = await tab.say("who is there?")
    await runtime.run(runtime.app.actions.reply(ack["conversation_id"], OPERATOR, "Us", name="Alice Martin"))
    assert (await tab.expect("message", text="Us"))["author"] == "Support"
    await runtime.run(runtime.app.actions.close(ack["conversation_id"], OPERATOR))
    assert (await tab.expect("event", event="closed"))["author"] == ""  # nobody named: the page says it unnamed


async def test_events_name_who_joined_or_has_it_now_never_who_acted(runtime, connect):
    await _grant(runtime, "bob", "carol")
    tab = await connect()
    await tab.hello()
    cid = (await tab.say("hello"))["conversation_id"]
    await runtime.run(runtime.app.actions.answer(cid, OPERATOR))
    assert (await tab.expect("event", event="joined"))["author"] == "Alice"
    await runtime.run(runtime.app.services.moves.invite(cid, OPERATOR, "bob", True))
    assert (await tab.expect("event", event="joined"))["author"] == "Bob"  # the invited colleague
    await runtime.run(runtime.app.services.moves.transfer_to_person(cid, OPERATOR, "carol"))
    assert (await tab.expect("event", event="transferred"))["author"] == "Carol"  # who has it now
    await runtime.run(runtime.app.services.admin.create(OPERATOR, "Sales"))
    await runtime.run(runtime.app.services.moves.transfer_to_line(cid, "carol", "Sales"))
    assert (await tab.expect("event", event="transferred"))["author"] == ""  # nobody has it yet


async def test_a_message_after_the_close_starts_the_next_conversation(runtime, connect):
    tab = await connect()
    await tab.hello()
    first = await tab.say("first")
    await runtime.run(runtime.app.actions.close(first["conversation_id"], OPERATOR, silent=True))
    await tab.expect("event", event="closed")
    second = await tab.say("again")
    assert second["conversation_id"] != first["conversation_id"]
    _, history = await (await connect()).hello(tab.token, last_seq=0)
    assert {m["conversation_id"] for m in history["messages"]} == {first["conversation_id"],
                                                                  second["conversation_id"]}


async def test_the_welcome_tells_the_lines_state_and_what_to_ask_first(runtime, connect):
    await _set_line(runtime, prechat="name_email")
    tab = await connect()
    welcome, _ = await tab.hello()
    assert welcome["line"]["prechat"] == "name_email" and welcome["line"]["open"] is True
    directory = runtime.app.services.directory
    directory.put_line(replace(directory.line("support"), enabled=False))
    welcome, _ = await (await connect()).hello(tab.token)
    assert welcome["line"]["open"] is False
    assert welcome["line"]["name"] == "Support"
    assert welcome["line"]["email_replies"] is False  # no SMTP configured


async def test_an_email_given_later_reaches_the_open_conversation(runtime, connect):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("I will leave soon")
    again = await connect()
    await again.hello(tab.token, email="ann@example.com")
    await again.say("here is my email")
    assert (await _conversation(runtime, ack["conversation_id"])).customer_email == "ann@example.com"


async def test_the_front_page_and_the_favicon(session, base_url):
    async with session.get(f"{base_url}/") as resp:
        text = await resp.text()
        assert resp.status == 200 and '/webchat/support/' in text
    async with session.get(f"{base_url}/favicon.ico") as resp:
        assert resp.status == 200 and resp.content_type == "image/x-icon"
        assert (await resp.read())[:4] == b"\x00\x00\x01\x00"


async def _until(read, ok, tries: int = 200):
    import asyncio
    for _ in range(tries):
        value = await read()
        if ok(value):
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"never: {value}")
