"""The channel contract, run over every harness in conftest.HARNESSES (see contract.py)."""
from __future__ import annotations

import aiohttp
import pytest

from bridge.model import Delivery, MessageKind
from bridge.retry import RetryPolicy
from tests.channels import contract as c
from tests.channels.channel import Channel
from tests.channels.contract import eventually

OK = range(200, 300)


async def started(channel: Channel, customer: str) -> str:
    """The customer writes first and gets the line's welcome: the conversation exists, sends work."""
    assert await channel.harness.say(customer, "Hello there", "m-first") in OK
    conversation_id = await channel.wait_conversation(customer)
    welcome = channel.runtime.app.services.directory.line("support").settings.welcome_text
    await channel.wait_sent(customer, welcome)
    return conversation_id


async def test_inbound_text_opens_a_conversation_the_team_sees(channel: Channel):
    customer = channel.harness.customer(1)
    assert await channel.harness.say(customer, "Where is my order?", "m-1") in OK
    conversation_id = await channel.wait_conversation(customer)
    inbound = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert [m.text for m in inbound] == ["Where is my order?"]
    assert inbound[0].external_id
    await eventually(lambda: "Where is my order?" in channel.runtime.team.customer_texts(channel.room(conversation_id)),
                     "the message in the team room")


async def test_a_reply_becomes_a_platform_call(channel: Channel):
    customer = channel.harness.customer(1)
    conversation_id = await started(channel, customer)
    reply = await channel.reply(customer, "It ships today.")
    await channel.wait_sent(customer, "It ships today.")
    await channel.settle()
    stored = next(m for m in await channel.messages(conversation_id) if m.seq == reply.seq)
    assert stored.delivery is Delivery.SENT and stored.external_id


async def test_a_redelivery_is_stored_once(channel: Channel):
    customer = channel.harness.customer(1)
    assert await channel.harness.say(customer, "only once", "m-dup") in OK
    conversation_id = await channel.wait_conversation(customer)
    assert await channel.harness.say(customer, "only once", "m-dup") in OK
    assert await channel.harness.say(customer, "a later one", "m-later") in OK
    room = channel.room(conversation_id)
    await eventually(lambda: "a later one" in channel.runtime.team.customer_texts(room), "the later message")
    inbound = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert [m.text for m in inbound] == ["only once", "a later one"]
    assert channel.runtime.team.customer_texts(room).count("only once") == 1


@pytest.mark.needs(c.FORGERY)
async def test_a_forged_request_is_refused_and_nothing_stored(channel: Channel):
    customer = channel.harness.customer(1)
    status = await channel.harness.forge(customer, "I am the platform, honest", "m-forged")
    assert status in (401, 403, 404)
    assert await channel.conversation_id(customer) is None
    # The channel still works for the real platform, and the forged id was not taken.
    assert await channel.harness.say(customer, "the real one", "m-forged") in OK
    conversation_id = await channel.wait_conversation(customer)
    assert [m.text for m in await channel.messages(conversation_id, MessageKind.INBOUND)] == ["the real one"]


@pytest.mark.needs(c.FAULTS)
async def test_rate_limited_send_waits_the_platforms_retry_after(channel: Channel):
    customer = channel.harness.customer(1)
    await started(channel, customer)
    before = channel.harness.attempts()
    channel.harness.fail_next(c.RATE_LIMITED, retry_after=30)
    await channel.reply(customer, "after the pause")
    await eventually(lambda: channel.harness.attempts() == before + 1, "the refused attempt")
    await channel.advance(29)
    assert channel.harness.attempts() == before + 1  # the clock is ours: nothing ran early
    await channel.advance(1)
    await channel.wait_sent(customer, "after the pause")


@pytest.mark.parametrize("failure", [c.SERVER_ERROR, c.TIMEOUT])
@pytest.mark.needs(c.FAULTS)
async def test_outage_is_retried_with_backoff(channel: Channel, failure: str):
    customer = channel.harness.customer(1)
    await started(channel, customer)
    before = channel.harness.attempts()
    channel.harness.fail_next(failure)
    await channel.reply(customer, "despite the outage")
    await eventually(lambda: channel.harness.attempts() == before + 1, "the failed attempt")
    first_wait = RetryPolicy().delay(1)
    await channel.advance(first_wait / 2)
    assert not any(s.text == "despite the outage" for s in channel.harness.sent())
    await channel.advance(first_wait / 2)
    await channel.wait_sent(customer, "despite the outage")


@pytest.mark.parametrize("failure, says", [(c.PERMANENT, c.PERMANENT_REASON), (c.UNREACHABLE, "")])
@pytest.mark.needs(c.FAULTS)
async def test_a_final_failure_is_reported_to_the_operator_with_its_reason(channel: Channel, failure: str,
                                                                           says: str):
    customer = channel.harness.customer(1)
    conversation_id = await started(channel, customer)
    channel.harness.fail_next(failure)
    reply = await channel.reply(customer, "this one fails")
    room = channel.room(conversation_id)
    notices = await eventually(lambda: [t for t in channel.runtime.team.texts(room) if "Not delivered" in t],
                               "the failure in the team room")
    assert "this one fails" in notices[0] and says.lower() in notices[0].lower()
    assert c.SECRET not in " ".join(channel.runtime.team.texts())
    await channel.settle()
    stored = next(m for m in await channel.messages(conversation_id) if m.seq == reply.seq)
    assert stored.delivery is Delivery.FAILED and stored.error and c.SECRET not in stored.error


@pytest.mark.needs(c.FILES_IN)
async def test_a_file_from_the_customer_is_kept_and_served_by_us(channel: Channel):
    customer = channel.harness.customer(1)
    data = b"%PDF-1.4 the invoice " + bytes(range(256))
    assert await channel.harness.say_file(customer, data, "invoice.pdf", "application/pdf", "m-file") in OK
    conversation_id = await channel.wait_conversation(customer)
    inbound = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert len(inbound) == 1 and len(inbound[0].attachments) == 1
    attachment = inbound[0].attachments[0]
    assert attachment.url.startswith(channel.runtime.base_url + "/files/")
    async with aiohttp.ClientSession() as session, session.get(attachment.url) as response:
        assert response.status == 200 and await response.read() == data


@pytest.mark.needs(c.FILES_OUT)
async def test_a_file_from_the_operator_reaches_the_platform(channel: Channel):
    customer = channel.harness.customer(1)
    await started(channel, customer)
    data = b"\x89PNG\r\n\x1a\n a picture " + bytes(range(64))
    picture = await channel.put_file(data, "map.png", "image/png")
    await channel.reply(customer, "Here is the map", attachments=(picture,))
    sent = await eventually(lambda: [s for s in channel.harness.sent() if s.files], "the file at the platform")
    assert sent[0].customer == customer and sent[0].files == (data,)


@pytest.mark.needs(c.UNKNOWN)
async def test_an_unknown_event_is_kept_and_shown_once_per_kind_never_dropped(channel: Channel):
    customer, other = channel.harness.customer(1), channel.harness.customer(2)
    assert await channel.harness.unknown(customer) == 200
    (kind, count), = (await channel.kept()).items()
    assert count == 1
    note = await channel.wait_kept_note(kind)
    assert "Open Lines does not know" in note or "does not take" in note
    assert await channel.harness.unknown(other) == 200
    assert await channel.kept() == {kind: 2}
    await channel.settle()
    assert len(channel.kept_notes()) == 1  # once per kind: the second is counted, not announced again
    assert await channel.harness.say(customer, "and now a message", "m-after") in OK
    conversation_id = await channel.wait_conversation(customer)
    assert [m.text for m in await channel.messages(conversation_id, MessageKind.INBOUND)] == ["and now a message"]


async def test_a_text_over_the_limit_is_cut_and_marked_never_dropped(channel: Channel):
    """A platform that got our 2xx never sends it again: its text is cut and marked. The website
    chat's own page is told "too long" before anything is acknowledged, and keeps the text."""
    customer = channel.harness.customer(1)
    long = "Start of a long story. " + "x" * 6000
    if channel.harness.kind == "webchat":
        assert await channel.harness.say(customer, long, "m-long") == 400
        return
    assert await channel.harness.say(customer, long, "m-long") in OK
    conversation_id = await channel.wait_conversation(customer)
    (stored,) = await channel.messages(conversation_id, MessageKind.INBOUND)
    assert len(stored.text) <= 4096 and stored.text.startswith("Start of a long story. xxx")
    cut = len(long) - stored.text.index("\n✂")
    assert stored.text.endswith(f"✂ [cut: {cut} of its {len(long)} characters were over the limit]")
