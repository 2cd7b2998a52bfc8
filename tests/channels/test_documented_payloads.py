"""The platforms' documented example payloads (tests/channels/documented.py, sources cited there) go
through the REAL webhook or polling path, and the customer's words reach the team's room."""
from __future__ import annotations

import json
from typing import Any, AsyncIterator

import pytest

from bridge.model import MessageKind
from tests.channels import documented as doc
from tests.channels.channel import Channel
from tests.channels.contract import eventually
from tests.channels.harness_botframework import BotFrameworkHarness
from tests.channels.harness_meta import CommentsHarness, FacebookHarness, InstagramHarness, MetaHarness
from tests.channels.harness_telegram import TelegramPollingHarness, TelegramWebhookHarness
from tests.channels.harness_viber import ViberHarness

HARNESSES = {"telegram-polling": TelegramPollingHarness, "telegram-webhook": TelegramWebhookHarness,
             "viber": ViberHarness, "botframework": BotFrameworkHarness, "facebook": FacebookHarness,
             "instagram": InstagramHarness, "fbcomments": CommentsHarness}


@pytest.fixture
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    made = HARNESSES[request.param]()
    yield made
    await made.close()


async def reaches_the_team(channel: Channel, customer: str, words: str, thread: str | None = None) -> str:
    """The customer's conversation (or comment thread) exists and its room shows ``words`` in a customer post."""
    if thread is None:
        conversation_id = await channel.wait_conversation(customer)
    else:
        journal = channel.runtime.app.journal
        assert journal is not None

        async def of_thread() -> str | None:
            found = await channel.runtime.run(journal.conversations.conversations())
            return next((c.id for c in found if c.thread == thread), None)
        conversation_id = await eventually(of_thread, f"a conversation for the thread {thread}")
    room = channel.room(conversation_id)
    await eventually(lambda: [t for t in channel.runtime.team.rendered(room) if words in t and "customer ·" in t],
                     f"“{words}” in {room}: {channel.runtime.team.rendered(room)[-3:]}")
    return conversation_id


# -- Telegram ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", ["telegram-polling", "telegram-webhook"], indirect=True)
@pytest.mark.parametrize("update, words", [
    (doc.TELEGRAM_TEXT, "/start"), (doc.TELEGRAM_FORWARDED, "/start"), (doc.TELEGRAM_REPLY, "/start"),
    (doc.TELEGRAM_EDITED, "Edited text"), (doc.TELEGRAM_ENTITIES, "Bold and italics"),
    (doc.TELEGRAM_AUDIO, "audio.mp3"), (doc.TELEGRAM_VOICE, "voice.ogg"), (doc.TELEGRAM_DOCUMENT, "Testfile.pdf"),
], ids=["text", "forwarded", "reply", "edited", "entities", "audio", "voice", "document"])
async def test_telegram_documented_updates_reach_the_team(channel: Channel, update: dict, words: str):
    channel.harness.fake.add_file(doc.TELEGRAM_FILE_ID, b"%PDF-1.4 documented", "documents/Testfile.pdf")
    assert await channel.harness.deliver(update) == 200
    await reaches_the_team(channel, doc.TELEGRAM_CUSTOMER, words)
    assert await channel.kept() == {}


@pytest.mark.parametrize("harness", ["telegram-webhook"], indirect=True)
async def test_telegram_documented_callback_query_is_kept_and_shown(channel: Channel):
    assert await channel.harness.deliver(doc.TELEGRAM_CALLBACK) == 200
    assert await channel.kept() == {"callback_query update": 1}
    assert "Open Lines does not take this kind of update" in await channel.wait_kept_note("callback_query update")


# -- Viber ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", ["viber"], indirect=True)
async def test_viber_documented_callbacks(channel: Channel):
    fake = channel.harness.fake
    assert await fake.callback(doc.VIBER_STARTED) == 200
    assert await fake.callback(doc.VIBER_SUBSCRIBED) == 200
    assert await fake.callback(doc.VIBER_MESSAGE) == 200
    conversation_id = await reaches_the_team(channel, doc.VIBER_CUSTOMER, "a message to the service")
    (message,) = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert message.external_id == "4912661846655238145"
    assert await fake.callback(doc.VIBER_UNSUBSCRIBED) == 200
    assert await channel.kept() == {}


# -- Bot Framework ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", ["botframework"], indirect=True)
async def test_botframework_documented_message_reaches_the_team(channel: Channel):
    fake = channel.harness.fake
    activity = {**doc.BOTFRAMEWORK_MESSAGE, "serviceUrl": fake.service_url, "channelId": "webchat"}
    assert await fake.post(channel.harness._url, activity) == 200
    conversation_id = await reaches_the_team(channel, doc.BOTFRAMEWORK_CUSTOMER, "Haircut on Saturday")
    (message,) = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert message.external_id == "bf3cc9a2f5de..."


# -- Meta ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", ["facebook"], indirect=True)
@pytest.mark.parametrize("payload, words", [
    (doc.MESSENGER_TEXT, "hello, world!"), (doc.MESSENGER_DOLLAR_MID, "hello, world!"),
    (doc.MESSENGER_IMAGE, "📎"), (doc.MESSENGER_POSTBACK, "<TITLE_FOR_THE_CTA>"),
], ids=["text", "dollar-mid", "image", "postback"])
async def test_messenger_documented_events_reach_the_team(channel: Channel, payload: dict, words: str):
    h: MetaHarness = channel.harness  # type: ignore[assignment]
    customer = h.customer(1)
    image = h.graph.host_file(b"\x89PNG documented", "photo.png", "image/png")
    assert await h.post(json.dumps(doc.meta(payload, h.account, customer, image)).encode()) == 200
    await reaches_the_team(channel, customer, words)
    assert await channel.kept() == {}


@pytest.mark.parametrize("harness", ["instagram"], indirect=True)
async def test_instagram_documented_message_reaches_the_team(channel: Channel):
    h: MetaHarness = channel.harness  # type: ignore[assignment]
    customer = h.customer(1)
    assert await h.post(json.dumps(doc.meta(doc.INSTAGRAM_TEXT, h.account, customer)).encode()) == 200
    conversation_id = await reaches_the_team(channel, customer, "<MESSAGE_CONTENT>")
    (message,) = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert message.external_id == "<MESSAGE_ID>"


@pytest.mark.parametrize("harness", ["fbcomments"], indirect=True)
async def test_page_comment_documented_change_reaches_the_team(channel: Channel):
    h: MetaHarness = channel.harness  # type: ignore[assignment]
    customer = h.customer(1)
    assert await h.post(json.dumps(doc.meta(doc.PAGE_COMMENT, h.account, customer)).encode()) == 200
    await reaches_the_team(channel, customer, "Great post!", thread="444444444_444444444")
    assert await channel.kept() == {}
