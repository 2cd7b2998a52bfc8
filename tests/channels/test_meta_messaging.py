"""Messenger and Instagram beyond the contract: names, files, edits, receipts, reply windows, errors."""
from __future__ import annotations

import time

import pytest

from backends.meta.parse import DELETED
from bridge.errors import PermanentSendError
from bridge.model import Delivery, MessageKind
from tests.channels import contract as c
from tests.channels.channel import internal_service
from tests.channels.contract import eventually
from tests.channels.meta_fixtures import MetaChannel, facebook, instagram  # noqa: F401  (fixtures)

DAY = 86400.0


async def first_message(channel: MetaChannel, text: str = "Hello", *, at: float | None = None) -> tuple[str, str]:
    """Customer 1 writes: (their ref, the conversation's id)."""
    customer = channel.harness.customer(1)
    assert await channel.harness.deliver(channel.harness.message(customer, None, text, at=at)) == 200
    return customer, await channel.wait_conversation(customer)


def texts_sent(channel: MetaChannel) -> list[str]:
    return [s.text for s in channel.harness.sent()]


async def test_the_customers_name_is_asked_once_and_kept(facebook: MetaChannel):
    customer, conversation_id = await first_message(facebook)
    assert (await facebook.conversations())[0].customer_name == "Customer 1"
    assert await facebook.harness.deliver(facebook.harness.message(customer, None, "again")) == 200
    await facebook.wait_room(conversation_id, "again")
    assert facebook.harness.graph.reads.count(customer) == 1
    assert (await facebook.state(customer))["name"] == "Customer 1"


async def test_an_opaque_customer_id_is_one_graph_node_never_a_path_to_another(facebook: MetaChannel):
    """Ids are opaque text: one with "/", "?" or "#" is quoted into one node when its name is asked."""
    odd = "2400/../me?fields=accounts#x"
    facebook.harness.graph.objects[odd] = {"first_name": "Odd", "last_name": "Id"}
    assert await facebook.harness.deliver(facebook.harness.message(odd, "mid.$cAAJ+/ ==", "hi")) == 200
    conversation_id = await facebook.wait_conversation(odd)
    await facebook.wait_room(conversation_id, "hi")
    assert facebook.harness.graph.reads == [odd]
    assert (await facebook.conversations())[0].customer_name == "Odd Id"


async def test_a_customer_meta_gives_no_name_for_is_still_heard(instagram: MetaChannel):
    stranger = "1789999999999"  # no profile at the fake: Meta refuses the lookup
    assert await instagram.harness.deliver(instagram.harness.message(stranger, "m-x", "hi")) == 200
    conversation_id = await instagram.wait_conversation(stranger)
    assert (await instagram.conversations())[0].customer_name == "Instagram user"
    await instagram.wait_room(conversation_id, "hi")


async def test_pictures_are_kept_by_us_and_a_dead_link_keeps_metas_address(facebook: MetaChannel):
    h = facebook.harness
    customer = h.customer(1)
    url = h.graph.host_file(b"\xff\xd8\xff a photo", "photo_123.jpg", "image/jpeg")
    dead = f"{h.graph.root}/cdn/expired.jpg"
    assert await h.deliver(h.message(customer, "m-pics", "look", attachments=[("image", url), ("image", dead)])) == 200
    conversation_id = await facebook.wait_conversation(customer)
    kept, missing = (await facebook.messages(conversation_id, MessageKind.INBOUND))[0].attachments
    assert kept.url.startswith(facebook.runtime.base_url + "/files/") and kept.name == "photo_123.jpg"
    assert kept.kind == "image" and kept.content_type == "image/jpeg"
    assert missing.url == dead


async def test_an_edit_shows_as_an_edit_and_an_instagram_deletion_says_so(instagram: MetaChannel):
    h = instagram.harness
    customer, conversation_id = await first_message(instagram, "Is the blue one in stock?")
    mid = (await instagram.messages(conversation_id, MessageKind.INBOUND))[0].external_id
    assert await h.deliver(h.event(customer, "message_edit", {"mid": mid, "text": "Is the red one in stock?",
                                                               "num_edit": 1})) == 200
    assert await h.deliver(h.message(customer, mid, is_deleted=True)) == 200
    await instagram.wait_room(conversation_id, DELETED)
    rendered = instagram.runtime.team.rendered(instagram.room(conversation_id))
    assert any("edited: Is the red one in stock?" in line for line in rendered)


async def test_a_read_receipt_is_told_to_the_operator_and_delivery_is_not(facebook: MetaChannel):
    h = facebook.harness
    customer, conversation_id = await first_message(facebook)
    watermark = int(time.time() * 1000)
    assert await h.deliver(h.event(customer, "delivery", {"mids": ["m_out1"], "watermark": watermark}),
                           h.event(customer, "read", {"watermark": watermark})) == 200
    await facebook.wait_room(conversation_id, "read the conversation")
    assert not any("deliver" in t.lower() for t in facebook.runtime.team.texts(facebook.room(conversation_id)))


async def test_within_a_day_a_reply_is_a_response(facebook: MetaChannel):
    customer, _ = await first_message(facebook)
    await facebook.reply(customer, "Right away.")
    await facebook.wait_sent(customer, "Right away.")
    call = next(c for c in facebook.harness.graph.sent if c.text == "Right away.")
    assert call.payload["messaging_type"] == "RESPONSE" and "tag" not in call.payload
    assert call.path == f"{facebook.harness.account}/messages"


async def test_after_a_day_an_operators_reply_carries_the_human_agent_tag(instagram: MetaChannel):
    customer, conversation_id = await first_message(instagram, at=time.time() - 2 * DAY)
    await instagram.reply(customer, "Sorry for the wait.")
    await instagram.wait_sent(customer, "Sorry for the wait.")
    call = next(c for c in instagram.harness.graph.sent if c.text == "Sorry for the wait.")
    assert (call.payload["messaging_type"], call.payload["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert call.path == "me/messages"
    # The line's welcome was automatic: Meta allows only people past 24 hours, so it was not sent.
    notice = await instagram.wait_room(conversation_id, "Not delivered")
    assert "only a person" in notice[0]


async def test_past_seven_days_the_operator_is_warned_and_nothing_reaches_meta(facebook: MetaChannel):
    customer, conversation_id = await first_message(facebook, at=time.time() - 8 * DAY)
    warning = await facebook.preflight(customer, "Hello again!")
    assert warning and "older than 7 days" in warning
    attempts = facebook.harness.attempts()
    reply = await facebook.reply(customer, "Hello again!")
    notices = await facebook.wait_room(conversation_id, "Hello again!")
    await eventually(lambda: [n for n in facebook.runtime.team.rendered(facebook.room(conversation_id))
                              if "Not delivered" in n and "Hello again!" in n], "the refusal in the room")
    assert notices
    await facebook.settle()
    assert facebook.harness.attempts() == attempts  # refused before calling Meta
    stored = next(m for m in await facebook.messages(conversation_id) if m.seq == reply.seq)
    assert stored.delivery is Delivery.FAILED and "older than 7 days" in (stored.error or "")
    # The customer writes again: the window opens again, for the operator and for Meta.
    assert await facebook.harness.deliver(facebook.harness.message(customer, None, "Still there?")) == 200
    await facebook.wait_room(conversation_id, "Still there?")
    await facebook.reply(customer, "Yes!")
    await facebook.wait_sent(customer, "Yes!")


async def test_a_long_reply_goes_in_parts_and_a_retry_resumes_after_the_last_part_sent(facebook: MetaChannel):
    customer, conversation_id = await first_message(facebook)
    welcome = facebook.runtime.app.services.directory.line("support").settings.welcome_text
    await facebook.wait_sent(customer, welcome)
    graph = facebook.harness.graph
    text = " ".join(f"w{i:04d}" for i in range(600))  # 3,599 characters: two Messenger messages
    graph.fail_next(500, {"message": "try later", "code": 2, "is_transient": True}, after=1)
    calls = len(graph.calls)
    reply = await facebook.reply(customer, text)
    await eventually(lambda: len(graph.calls) == calls + 2, "the first part, then the failed second")
    await facebook.advance(1)  # the outbox's first backoff
    await eventually(lambda: len(graph.calls) == calls + 3, "the second part, retried")
    parts = texts_sent(facebook)[1:]
    assert len(parts) == 2 and " ".join(parts) == text and all(len(p) <= 2000 for p in parts)
    await facebook.settle()
    stored = next(m for m in await facebook.messages(conversation_id) if m.seq == reply.seq)
    assert stored.delivery is Delivery.SENT and stored.external_id  # the first part's id
    assert "sending" not in await facebook.state(customer)


async def test_a_refused_token_tells_the_operator_to_reconnect_without_showing_it(facebook: MetaChannel):
    customer, conversation_id = await first_message(facebook)
    facebook.harness.graph.fail_next(400, {"message": f"Invalid OAuth access token {facebook.harness.token}",
                                           "code": 190, "type": "OAuthException"})
    await facebook.reply(customer, "Can you see this?")
    notice = await facebook.wait_room(conversation_id, "Not delivered")
    assert "reconnect the channel" in notice[0]
    assert c.SECRET not in " ".join(facebook.runtime.team.texts())


async def test_check_verifies_the_token_belongs_to_the_page(facebook: MetaChannel):
    await facebook.runtime.run(facebook.backend.check())
    facebook.harness.graph.tokens[facebook.harness.token] = "999"
    facebook.harness.graph.objects["999"] = {"name": "Another page"}
    with pytest.raises(PermanentSendError, match="another page"):
        await facebook.runtime.run(facebook.backend.check())
    facebook.harness.graph.tokens.clear()
    with pytest.raises(PermanentSendError, match="reconnect the channel") as refused:
        await facebook.runtime.run(facebook.backend.check())
    assert c.SECRET not in str(refused.value)


async def test_check_on_instagram_asks_for_the_account(instagram: MetaChannel):
    await instagram.runtime.run(instagram.backend.check())
    assert instagram.harness.graph.reads[-1] == instagram.harness.account


async def test_the_callback_url_is_the_one_meta_webhook_of_the_page(facebook: MetaChannel):
    assert facebook.backend.callback_url() == f"{facebook.runtime.base_url}/meta/{facebook.harness.account}"


async def test_instagram_files_go_by_our_url_for_meta_to_fetch(instagram: MetaChannel):
    customer, _ = await first_message(instagram)
    picture = await instagram.put_file(b"\x89PNG\r\n\x1a\n a picture", "map.png", "image/png")
    await instagram.reply(customer, "", attachments=(picture,))
    sent = await eventually(lambda: [s for s in instagram.harness.graph.sent if s.files], "the picture at Meta")
    attachment = sent[0].payload["message"]["attachment"]
    assert attachment == {"type": "image", "payload": {"url": picture.url, "is_reusable": False}}
    assert sent[0].files == (b"\x89PNG\r\n\x1a\n a picture",) and not sent[0].multipart


async def test_an_attachment_inside_our_network_is_not_fetched(facebook: MetaChannel):
    h = facebook.harness
    async with internal_service() as (internal, asked):
        inside = f"{internal}/latest/meta-data/"
        assert await h.deliver(h.message(h.customer(2), "m-ssrf", "look", attachments=[("image", inside)])) == 200
        conversation_id = await facebook.wait_conversation(h.customer(2))
        [kept] = (await facebook.messages(conversation_id, MessageKind.INBOUND))[0].attachments
        assert kept.url == inside and asked == []
