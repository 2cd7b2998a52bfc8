"""Over real sockets: the page's language picks the line's texts; visitors without a name get a
label of their own, the same in every conversation and after a restart, until they give a name."""
from __future__ import annotations

import asyncio
import io

import aiohttp

from backends.webchat.tokens import ref_of, visitor_label
from tests.support.runtime import OPERATOR

BONJOUR = "Bonjour ! Un conseiller arrive."


async def _french(runtime) -> None:
    admin = runtime.app.services.admin
    await runtime.run(admin.set(OPERATOR, "Support", "welcome_text.fr", BONJOUR))
    await runtime.run(admin.set(OPERATOR, "Support", "closing_text.fr", "Merci, à bientôt."))


async def _conversation(runtime, cid: str):
    return await runtime.run(runtime.app.journal.conversations.conversation(cid))


async def test_the_pages_language_picks_the_welcome_and_the_closing_text(runtime, connect):
    await _french(runtime)
    french, english = await connect(), await connect()
    await french.hello(language="fr-FR")
    await english.hello(language="en-US")
    ack = await french.say("Ma commande n'est pas arrivée")
    assert (await french.expect("message", **{"from": "agent"}))["text"] == BONJOUR
    await english.say("My order has not arrived")
    assert (await english.expect("message", **{"from": "agent"}))["text"] == runtime.app.services.directory \
        .line("support").settings.welcome_text
    await runtime.run(runtime.app.actions.close(ack["conversation_id"], OPERATOR))
    assert (await french.expect("message", text="Merci, à bientôt."))["from"] == "agent"


async def test_a_file_that_opens_the_conversation_carries_the_language_too(runtime, connect, session):
    await _french(runtime)
    tab = await connect()
    await tab.hello()
    form = aiohttp.FormData()
    for key, value in (("visitor_token", tab.token), ("client_id", "f1"), ("language", "fr-CA")):
        form.add_field(key, value)
    form.add_field("file", io.BytesIO(b"a receipt"), filename="receipt.txt", content_type="text/plain")
    async with session.post(f"{runtime.base_url}/webchat/support/upload", data=form) as resp:
        assert resp.status == 200
    assert (await tab.expect("message", **{"from": "agent"}))["text"] == BONJOUR


async def test_a_bad_language_field_is_refused_and_the_socket_stays(runtime, connect):
    tab = await connect()
    for bad in (5, "x" * 36):
        await tab.send(type="hello", visitor_token=None, last_seq=0, language=bad)
        error = await tab.expect("error")
        assert error["code"] == "bad_field" and "language" in error["message"]
    await tab.hello(language="tlh-Klingon")  # not a language we know: the line's default texts
    await tab.say("nuqneH")
    assert "Hello" in (await tab.expect("message", **{"from": "agent"}))["text"]


async def test_visitors_without_a_name_are_told_apart_across_conversations_and_restarts(make_runtime, connect,
                                                                                         tmp_path):
    data = tmp_path / "labels"
    first = make_runtime(data)
    one, two = await connect(port=first.http_port), await connect(port=first.http_port)
    await one.hello()
    await two.hello()
    ack_one, ack_two = await one.say("first visitor"), await two.say("second visitor")
    label_one, label_two = visitor_label(ref_of(one.token)), visitor_label(ref_of(two.token))
    assert label_one != label_two
    assert (await _conversation(first, ack_one["conversation_id"])).customer_name == label_one
    assert (await _conversation(first, ack_two["conversation_id"])).customer_name == label_two
    first.team.wait_for(lambda team: any(label_one in t for t in team.texts("support")))
    await first.run(first.app.actions.close(ack_one["conversation_id"], OPERATOR))
    await one.close()
    await asyncio.to_thread(first.stop)

    second = make_runtime(data)
    back = await connect(port=second.http_port)
    await back.hello(one.token)
    again = await back.say("me again, after your restart")
    assert again["conversation_id"] != ack_one["conversation_id"]
    assert (await _conversation(second, again["conversation_id"])).customer_name == label_one


async def test_a_name_given_later_replaces_the_label(runtime, connect):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("hello")
    await tab.expect("message", **{"from": "agent"})  # the welcome
    label = visitor_label(ref_of(tab.token))
    await tab.hello(tab.token, name="Élodie Martin")  # the pre-chat form sends hello again
    named = await tab.say("I am Élodie")
    assert named["conversation_id"] == ack["conversation_id"]
    assert (await _conversation(runtime, ack["conversation_id"])).customer_name == "Élodie Martin"
    runtime.team.wait_for(lambda team: any("Élodie Martin" in r for r in team.rendered("support-1")))
    _, history = await (await connect()).hello(tab.token)
    assert {m["author"] for m in history["messages"] if m["from"] == "customer"} == {"Élodie Martin"}
    assert label not in str(history)
