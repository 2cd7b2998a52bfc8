"""Telegram's own events and settings, beyond the shared contract (the real runtime, the fake Bot API)."""
from __future__ import annotations

from typing import AsyncIterator

import pytest

from backends.pacing import _Bucket
from backends.telegram.backend import TelegramBackend
from backends.telegram.kind import KIND as TELEGRAM
from backends.telegram.parse import Parsed, parse_update
from bridge.channels import CustomerStatus, InboundEdit, InboundMessage, Unreadable
from bridge.errors import PermanentSendError, Refused
from bridge.model import MessageKind
from tests.channels import contract as c
from tests.channels.channel import Channel, FailingSink, raw_post
from tests.channels.contract import eventually
from tests.channels.harness_telegram import TelegramPollingHarness, TelegramWebhookHarness
from tests.support import fake_telegram as tg
from tests.support.runtime import OPERATOR

PHOTO = tg.message(10, 1001, 10, caption="the broken part", photo=[
    {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 10},
    {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900, "file_size": 12}])


@pytest.fixture(params=["polling", "webhook"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[c.Harness]:
    made = TelegramPollingHarness() if request.param == "polling" else TelegramWebhookHarness()
    yield made
    await made.close()


# -- parsing, on payloads as Telegram sends them ----------------------------------------------------
def test_a_photo_is_its_biggest_size_with_the_caption_as_text():
    parsed = parse_update(PHOTO)
    assert parsed is not None and isinstance(parsed.event, InboundMessage)
    assert parsed.event.text == "the broken part" and parsed.event.customer_name == "Ann"
    assert [(f.file_id, f.kind, f.content_type) for f in parsed.files] == [("big", "image", "image/jpeg")]


def test_a_sticker_says_its_emoji_and_an_edit_and_a_block_are_their_own_events():
    sticker = parse_update(tg.message(1, 5, 2, sticker={"file_id": "st", "file_unique_id": "x", "emoji": "👍",
                                                         "width": 1, "height": 1, "is_animated": False,
                                                         "is_video": False, "type": "regular"}))
    assert sticker is not None and sticker.event.text == "👍" and sticker.files[0].kind == "sticker"
    edit = parse_update({"update_id": 3, "edited_message": {**tg.message(3, 5, 2, text="fixed")["message"],
                                                              "edit_date": 1_700_000_100}})
    assert edit is not None and edit.event == InboundEdit("5", "2", "2@1700000100", "fixed", "Ann")
    kicked = parse_update({"update_id": 4, "my_chat_member": {"chat": {"id": 5, "type": "private"},
                                                              "new_chat_member": {"status": "kicked"}}})
    assert kicked is not None and kicked.event == CustomerStatus("5", "blocked", "4")


@pytest.mark.parametrize("raw, kind", [
    (None, "update"), ([], "update"), ({"update_id": "1"}, "update"), ({"update_id": 1, "message": "hi"}, "message"),
    ({"update_id": 1, "message": {"chat": {"id": "x"}, "message_id": 1, "text": "a"}}, "message"),
    ({"update_id": 1, "channel_post": {"text": "not for us"}}, "channel_post update"),
    ({"update_id": 1, "callback_query": {"id": "4382bfdwdsb323b2d9", "data": "Data"}}, "callback_query update")])
def test_what_cannot_be_read_is_unreadable(raw, kind):
    parsed = parse_update(raw)
    assert isinstance(parsed, Unreadable) and parsed.kind == kind


def test_service_messages_are_nothing_and_unknown_content_still_reaches_the_team():
    assert parse_update({"update_id": 1, "message": {"chat": {"id": 1}, "message_id": 1, "pinned_message": {}}}) is None
    story = parse_update({"update_id": 2, "message": {"chat": {"id": 1}, "message_id": 2, "story": {"id": 3}}})
    assert isinstance(story, Parsed) and "see it in the Telegram app" in story.event.text


def test_the_binding_key_is_the_bot_id_and_a_bad_token_is_refused():
    assert TELEGRAM.binding_key({}, {"token": "42:abc"}) == "42"
    with pytest.raises(Refused):
        TELEGRAM.binding_key({}, {"token": "not-a-token"})


def test_a_chat_bucket_lets_a_burst_through_then_paces():
    bucket = _Bucket(rate=1.0, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert 0.9 < bucket.take() <= 1.0


# -- in the running product ----------------------------------------------------------------------------
async def test_an_edit_is_stored_as_an_edit_of_the_message(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    await harness.say("1001", "my order is 1234", "m-1")
    conversation_id = await channel.wait_conversation("1001")
    edited = tg.text_update(50, 1001, harness._id("m-1"), "my order is 1243")
    edited["edited_message"] = {**edited.pop("message"), "edit_date": 1_700_000_500}
    assert await harness.deliver(edited) == 200
    assert await harness.deliver({**edited, "update_id": 51}) == 200  # the same edit again
    inbound = await channel.messages(conversation_id, MessageKind.INBOUND)  # stored before acknowledged
    assert [(m.text, m.edit_of) for m in inbound] == [("my order is 1234", None), ("my order is 1243", inbound[0].seq)]


async def test_a_photo_is_downloaded_into_our_store(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    harness.fake.add_file("big", b"\xff\xd8\xff a jpeg", "photos/big.jpg")
    assert await harness.deliver(PHOTO) == 200
    conversation_id = await channel.wait_conversation("1001")
    [message] = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert message.text == "the broken part"
    assert message.attachments[0].kind == "image" and message.attachments[0].url.startswith(channel.runtime.base_url)


async def test_blocking_the_bot_is_told_to_the_operator(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    await harness.say("1001", "hello", "m-1")
    conversation_id = await channel.wait_conversation("1001")
    kicked = {"update_id": 90, "my_chat_member": {"chat": {"id": 1001, "type": "private"}, "from": tg.user(1001),
                                                  "date": 1, "old_chat_member": {"status": "member"},
                                                  "new_chat_member": {"status": "kicked"}}}
    assert await harness.deliver(kicked) == 200
    await eventually(lambda: any("blocked the bot" in t for t in channel.runtime.team.texts(channel.room(conversation_id))),
                     "the notice")


async def test_check_says_whether_telegram_takes_the_token(channel: Channel):
    backend = channel.runtime.app.channels.get(channel.binding.id)
    assert isinstance(backend, TelegramBackend)
    await channel.runtime.run(backend.check())
    assert isinstance(channel.harness, (TelegramPollingHarness, TelegramWebhookHarness))
    channel.harness.fake.token = "1:other"
    with pytest.raises(PermanentSendError) as refused:
        await channel.runtime.run(backend.check())
    assert c.SECRET not in refused.value.reason


async def test_only_a_webhook_bot_has_a_callback_url(channel: Channel):
    backend = channel.runtime.app.channels.get(channel.binding.id)
    assert backend is not None
    if channel.binding.settings["mode"] == "webhook":
        assert backend.callback_url() == f"{channel.runtime.base_url}/telegram/123456"
    else:
        assert backend.callback_url() is None


async def test_an_operator_typing_shows_in_the_customers_chat(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    await harness.say("1001", "hello", "m-1")
    conversation_id = await channel.wait_conversation("1001")
    core = channel.runtime.app.services.core
    conversation = await channel.runtime.run(core.journal.conversations.conversation(conversation_id))
    await channel.runtime.run(core.signal(conversation, "typing", on=True))
    await eventually(lambda: harness.fake.chat_actions == [("1001", "typing")], "the chat action")


async def test_an_update_that_was_not_stored_comes_again_and_is_stored_once(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    backend = channel.runtime.app.channels.get(channel.binding.id)
    assert isinstance(backend, TelegramBackend)
    backend.sink = FailingSink(backend.sink, error=ConnectionError("the journal is away"))
    update = tg.text_update(7, 1001, 7, "not lost")
    if isinstance(harness, TelegramWebhookHarness):
        assert await harness.deliver(update) == 503  # Telegram calls again after a non-2xx
        assert await harness.deliver(update) == 200
    else:
        assert await harness.deliver(update) == 200  # returns once the offset moved past it
        assert len([o for o in harness.fake.offsets if o <= 7]) >= 2  # asked again from before it
    inbound = await channel.messages(await channel.wait_conversation("1001"), MessageKind.INBOUND)
    assert [m.text for m in inbound] == ["not lost"]


async def test_the_customers_language_code_picks_the_lines_text_in_it(channel: Channel):
    harness = channel.harness
    assert isinstance(harness, (TelegramPollingHarness, TelegramWebhookHarness))
    admin, line = channel.runtime.app.services.admin, channel.binding.line_id
    await channel.runtime.run(admin.set(OPERATOR, line, "welcome_text.fr", "Bonjour ! Nous arrivons."))
    update = tg.text_update(70, 1001, 70, "bonjour")
    update["message"]["from"]["language_code"] = "fr"
    assert await harness.deliver(update) == 200
    await channel.wait_sent("1001", "Bonjour ! Nous arrivons.")


async def test_a_secret_token_that_is_not_utf8_is_refused_not_a_500(channel: Channel, caplog):
    # A polling bot mounts no webhook: the same request is a plain 404 there, never a 500.
    expected = 403 if channel.binding.settings["mode"] == "webhook" else 404
    path = f"/telegram/{channel.binding.key}"
    assert await raw_post(channel.runtime.http_port, path, b"X-Telegram-Bot-Api-Secret-Token: \xff\xfe") == expected
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text
