"""Viber's own events and settings, beyond the shared contract (the real runtime, the fake REST API)."""
from __future__ import annotations

import json
from typing import AsyncIterator

import pytest

from backends.viber.backend import ViberBackend, _status_error
from backends.viber.kind import KIND as VIBER
from backends.viber.parse import Parsed, Started, parse_callback
from bridge.channels import CustomerStatus, DeliveryReceipt, InboundMessage, Unreadable
from bridge.errors import CustomerUnreachable, PermanentSendError, RateLimited
from bridge.model import MessageKind
from tests.channels import contract as c
from tests.channels.channel import Channel, internal_service, raw_post
from tests.channels.contract import eventually
from tests.channels.harness_viber import ViberHarness
from tests.support import fake_viber as vb
from tests.support.runtime import OPERATOR

USER = "01234567890A=="


@pytest.fixture
async def harness() -> AsyncIterator[ViberHarness]:
    made = ViberHarness()
    yield made
    await made.close()


def fake(channel: Channel) -> vb.FakeViber:
    assert isinstance(channel.harness, ViberHarness)
    return channel.harness.fake


# -- parsing ------------------------------------------------------------------------------------------
def test_callbacks_become_events():
    picture = vb.text_callback(USER, 11, "")
    picture["message"] = {"type": "picture", "text": "the label", "media": "https://dl.viber.example/p.jpg"}
    parsed = parse_callback(picture)
    assert parsed is not None and isinstance(parsed.event, InboundMessage)
    assert parsed.event.text == "the label" and parsed.media[0].kind == "image"
    assert parse_callback({"event": "unsubscribed", "user_id": USER, "message_token": 12}).event == \
        CustomerStatus(USER, "unsubscribed", "12")
    assert parse_callback({"event": "seen", "user_id": USER, "message_token": 13}).event == \
        DeliveryReceipt(USER, "read", ("13",))
    assert parse_callback({"event": "conversation_started", "user": {"id": USER}}).event == Started(USER)


@pytest.mark.parametrize("raw, kind", [
    (None, "callback"), ({"event": 1}, "callback"), ({"event": "message"}, "message"),
    ({"event": "message", "message_token": 1, "sender": {"id": USER}, "message": "text"}, "message"),
    ({"event": "message", "message_token": True, "sender": {"id": USER}, "message": {"type": "text", "text": "x"}},
     "message"), ({"event": "something_new", "timestamp": 1}, "something_new callback")])
def test_malformed_callbacks_are_unreadable(raw, kind):
    parsed = parse_callback(raw)
    assert isinstance(parsed, Unreadable) and parsed.kind == kind


@pytest.mark.parametrize("raw", [{"event": "unsubscribed", "message_token": 1}, {"event": "webhook", "timestamp": 1},
                                 {"event": "failed", "user_id": USER, "message_token": 1, "desc": "x"}])
def test_statuses_with_nothing_for_the_team_are_none(raw):
    assert parse_callback(raw) is None


def test_viber_ids_are_opaque_text():
    odd = vb.text_callback("a+b/c= d" * 10, "tok-not-digits", "hi")
    parsed = parse_callback(odd)
    assert isinstance(parsed, Parsed) and parsed.event == InboundMessage("a+b/c= d" * 10, "tok-not-digits", "hi",
                                                                       parsed.event.customer_name)


def test_viber_statuses_in_plain_words():
    assert isinstance(_status_error(12, "tooManyRequests", None, "t"), RateLimited)
    assert _status_error(12, "", "7", "t").retry_after == 7
    assert isinstance(_status_error(6, "notSubscribed", None, "t"), CustomerUnreachable)
    refused = _status_error(3, "bad text t0ken", None, "t0ken")
    assert isinstance(refused, PermanentSendError) and "t0ken" not in refused.reason


def test_the_binding_key_reveals_nothing_of_the_token():
    key = VIBER.binding_key({}, {"token": c.SECRET})
    assert len(key) == 12 and key not in c.SECRET


# -- in the running product ----------------------------------------------------------------------------
async def test_opening_the_chat_gets_the_lines_welcome_in_the_answer(channel: Channel):
    status = await fake(channel).callback({"event": "conversation_started", "timestamp": 1, "message_token": 77,
                                           "type": "open", "user": {"id": USER, "name": "Ann"}, "subscribed": False})
    assert status == 200
    answer = json.loads(fake(channel).last_answer)
    welcome = channel.runtime.app.services.directory.line("support").settings.welcome_text
    assert answer["type"] == "text" and answer["text"] == welcome and answer["sender"]["name"] == "Support"
    assert await channel.conversation_id(USER) is None  # opening is not writing


async def test_unsubscribing_and_reading_are_told_to_the_operator(channel: Channel):
    await channel.harness.say(USER, "hello", "m-1")
    room = channel.room(await channel.wait_conversation(USER))
    assert await fake(channel).callback({"event": "seen", "timestamp": 1, "message_token": 5, "user_id": USER}) == 200
    assert await fake(channel).callback({"event": "unsubscribed", "timestamp": 2, "message_token": 6,
                                         "user_id": USER}) == 200
    await eventually(lambda: any("unsubscribed" in t for t in channel.runtime.team.texts(room)), "the notice")
    assert any("read" in t for t in channel.runtime.team.texts(room))


async def test_a_picture_is_downloaded_into_our_store(channel: Channel):
    payload = vb.text_callback(USER, 21, "")
    payload["message"] = {"type": "picture", "text": "", "media": fake(channel).add_media("p.jpg", b"\xff\xd8\xffjpeg")}
    assert await fake(channel).callback(payload) == 200
    [message] = await channel.messages(await channel.wait_conversation(USER), MessageKind.INBOUND)
    assert message.attachments[0].kind == "image" and message.attachments[0].url.startswith(channel.runtime.base_url)


async def test_an_unsigned_or_unreadable_callback(channel: Channel):
    assert await fake(channel).callback(None, raw=b"{not json", signature="") == 403
    assert await fake(channel).callback(None, raw=b"{not json") == 200  # signed: Viber's, so acknowledged


async def test_check_and_callback_url(channel: Channel):
    backend = channel.runtime.app.channels.get(channel.binding.id)
    assert isinstance(backend, ViberBackend)
    await channel.runtime.run(backend.check())
    assert backend.callback_url() == f"{channel.runtime.base_url}/viber/{channel.binding.key}"
    fake(channel).token = "other"
    with pytest.raises(PermanentSendError) as refused:
        await channel.runtime.run(backend.check())
    assert c.SECRET not in refused.value.reason


async def test_the_users_language_picks_the_greeting_and_the_welcome_in_it(channel: Channel):
    admin, line = channel.runtime.app.services.admin, channel.binding.line_id
    await channel.runtime.run(admin.set(OPERATOR, line, "welcome_text.fr", "Bonjour ! Nous arrivons."))
    status = await fake(channel).callback({"event": "conversation_started", "timestamp": 1, "message_token": 78,
                                           "type": "open", "subscribed": False,
                                           "user": {"id": USER, "name": "Ann", "language": "fr-FR"}})
    assert status == 200 and json.loads(fake(channel).last_answer)["text"] == "Bonjour ! Nous arrivons."
    message = vb.text_callback(USER, 31, "bonjour")
    message["sender"]["language"] = "fr"
    assert await fake(channel).callback(message) == 200
    await channel.wait_sent(USER, "Bonjour ! Nous arrivons.")


async def test_a_signature_that_is_not_utf8_is_refused_not_a_500(channel: Channel, caplog):
    path = f"/viber/{channel.binding.key}"
    assert await raw_post(channel.runtime.http_port, path, b"X-Viber-Content-Signature: \xff\xfe") == 403
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text


async def test_media_inside_our_network_is_not_fetched(channel: Channel):
    async with internal_service() as (internal, asked):
        payload = vb.text_callback(USER, 31, "")
        payload["message"] = {"type": "picture", "text": "", "media": f"{internal}/computeMetadata/v1/"}
        assert await fake(channel).callback(payload) == 200
        [message] = await channel.messages(await channel.wait_conversation(USER), MessageKind.INBOUND)
        assert message.attachments[0].url == f"{internal}/computeMetadata/v1/"  # kept as Viber's link
        assert asked == []
