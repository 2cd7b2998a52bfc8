"""The one Meta webhook: Meta's subscription check, signatures, envelopes, and where each entry goes."""
from __future__ import annotations

import json
import time

import pytest

from bridge.channel_settings import split_settings
from bridge.model import ChannelBinding, MessageKind
from backends.registry import kind_of
from tests.channels.channel import FailingSink
from tests.channels.harness_meta import CommentsHarness
from tests.channels.meta_fixtures import MetaChannel, facebook  # noqa: F401  (fixture)

CUSTOMER = "24000000000001"


async def nothing_stored(channel: MetaChannel) -> bool:
    await channel.settle()
    return await channel.conversations() == []


async def test_the_subscription_check_echoes_the_challenge(facebook: MetaChannel):
    h = facebook.harness
    assert await h.get(**{"hub.mode": "subscribe", "hub.verify_token": h.verify_token,
                          "hub.challenge": "1158201444"}) == (200, "1158201444")


@pytest.mark.parametrize("query, status", [
    ({"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1"}, 403),
    ({"hub.mode": "unsubscribe", "hub.challenge": "1"}, 403),
    ({"hub.challenge": "1"}, 403),
    ({"hub.mode": "subscribe", "hub.verify_token": "ünïcode", "hub.challenge": "1"}, 403),
    ({"hub.mode": "subscribe", "hub.challenge": "<script>"}, 403),
])
async def test_a_wrong_verify_token_is_refused(facebook: MetaChannel, query, status):
    assert (await facebook.harness.get(**query))[0] == status


async def test_a_malformed_challenge_is_refused_even_with_the_right_token(facebook: MetaChannel):
    h = facebook.harness
    for challenge in ("", "<script>alert(1)</script>", "x" * 300):
        status, _ = await h.get(**{"hub.mode": "subscribe", "hub.verify_token": h.verify_token,
                                   "hub.challenge": challenge})
        assert status == 400


async def test_an_unknown_page_is_404(facebook: MetaChannel):
    h = facebook.harness
    h.url = h.url.rsplit("/", 1)[0] + "/999"
    assert await h.say(CUSTOMER, "hi", "m-1") == 404
    assert (await h.get(**{"hub.mode": "subscribe", "hub.verify_token": h.verify_token}))[0] == 404


@pytest.mark.parametrize("signature", ["", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "sha256=zz",
                                       "sha256=ÿÿ"])
async def test_a_forged_or_missing_signature_stores_nothing(facebook: MetaChannel, signature: str):
    h = facebook.harness
    body = h.envelope([h.message(CUSTOMER, "m-forged", "I am Meta")])
    assert await h.post(body, signature or "none") == 403
    assert await nothing_stored(facebook)


async def test_a_body_changed_after_signing_is_refused(facebook: MetaChannel):
    h = facebook.harness
    body = h.envelope([h.message(CUSTOMER, "m-1", "pay 10")])
    assert await h.post(body.replace(b"pay 10", b"pay 99"), h.sign(body)) == 403
    assert await nothing_stored(facebook)


@pytest.mark.parametrize("body, kind", [
    (b"not json", "webhook body"), (b"\xff\xfe\x00", "webhook body"), (b"[]", "webhook body"),
    (b'{"object": "page"}', "webhook body"),
    (b'{"object": "page", "entry": [{"id": "104000000000001", "messaging": [{"sender": 5}]}]}', "messaging event"),
    (b'{"object": "user", "entry": [{"id": "1", "changes": [{"field": "email"}]}]}', "user webhook"),
])
async def test_signed_malformed_envelopes_are_kept_and_shown_with_no_conversation(facebook: MetaChannel, body, kind):
    assert await facebook.harness.post(body) == 200
    assert await nothing_stored(facebook)
    assert await facebook.kept() == {kind: 1}
    assert "could not read was kept: " + kind in await facebook.wait_kept_note(kind)


async def test_every_entry_and_item_is_stored_in_order_and_echoes_are_not(facebook: MetaChannel):
    h = facebook.harness
    echo = h.message(h.account, "m-echo", "our own words", is_echo=True)
    echo["recipient"] = {"id": CUSTOMER}
    first = h.envelope([h.message(CUSTOMER, "m-1", "one"), echo, h.message(CUSTOMER, "m-2", "two")])
    second = h.envelope([h.message(h.customer(2), "m-3", "three")])
    both = json.loads(first)
    both["entry"] += json.loads(second)["entry"] + [{"id": "104000000000777", "messaging": [
        h.message(CUSTOMER, "m-elsewhere", "to a page not connected here")]}]
    assert await h.post(json.dumps(both).encode()) == 200
    one = await facebook.wait_conversation(CUSTOMER)
    assert [m.text for m in await facebook.messages(one, MessageKind.INBOUND)] == ["one", "two"]
    two = await facebook.wait_conversation(h.customer(2))
    assert [m.text for m in await facebook.messages(two, MessageKind.INBOUND)] == ["three"]
    assert len(await facebook.conversations()) == 2


async def test_a_redelivered_envelope_stores_nothing_twice(facebook: MetaChannel):
    h = facebook.harness
    body = h.envelope([h.message(CUSTOMER, "m-1", "once"),
                       h.event(CUSTOMER, "message_edit", {"mid": "m-1", "text": "once, edited", "num_edit": 1})])
    assert await h.post(body) == 200
    assert await h.post(body) == 200
    conversation_id = await facebook.wait_conversation(CUSTOMER)
    await facebook.settle()
    assert [m.text for m in await facebook.messages(conversation_id, MessageKind.INBOUND)] == ["once", "once, edited"]


async def test_messages_and_comments_of_one_page_share_the_callback_url(facebook: MetaChannel):
    """A Meta app has one callback URL per object: the page's messages and its feed come together."""
    h, extra = facebook.harness, CommentsHarness()
    settings, secrets = split_settings(kind_of("fbcomments").settings_schema, {
        "page_id": h.account, "page_token": h.token, "app_secret": h.app_secret, "verify_token": h.verify_token,
        "api_url": h.graph.api})
    binding = ChannelBinding("support", "fbcomments", h.account, label="Facebook comments", settings=settings,
                             secrets=secrets)
    await facebook.runtime.run(facebook.runtime.app.services.directory.put_binding(binding))
    backend = facebook.runtime.app.channels.get(binding.id)
    assert backend is not None and backend.callback_url() == facebook.backend.callback_url()
    h.graph.objects[extra.post_id] = {"message": "New arrivals"}
    changes = [extra.comment("7100000000001", "555_1001", "Nice! Price?")]
    body = h.envelope([h.message(CUSTOMER, "m-1", "A direct message")], changes)
    assert await h.post(body) == 200
    direct = await facebook.wait_conversation(CUSTOMER)
    assert [m.text for m in await facebook.messages(direct, MessageKind.INBOUND)] == ["A direct message"]
    journal = facebook.runtime.app.journal
    assert journal is not None
    found = await facebook.runtime.run(journal.conversations.conversations(open_only=False))
    assert sorted((c.binding_id, c.thread or "") for c in found) == [
        ("facebook:104000000000001", ""), ("fbcomments:104000000000001", "555_1001")]


async def test_an_entry_signed_by_another_apps_secret_is_skipped(facebook: MetaChannel):
    """Two pages on one server, two apps: page B's entry in a body signed with page A's secret."""
    h = facebook.harness
    settings, secrets = split_settings(kind_of("facebook").settings_schema, {
        "page_id": "104000000000002", "page_token": "another-token", "app_secret": "another-app-secret",
        "verify_token": "another", "api_url": h.graph.api})
    other = ChannelBinding("support", "facebook", "104000000000002", settings=settings, secrets=secrets)
    await facebook.runtime.run(facebook.runtime.app.services.directory.put_binding(other))
    body = h.envelope([h.message(CUSTOMER, "m-b", "for page B")], account="104000000000002")
    mixed = json.loads(h.envelope([h.message(CUSTOMER, "m-a", "for page A")]))
    mixed["entry"] += json.loads(body)["entry"]
    assert await h.post(json.dumps(mixed).encode()) == 200  # to page A's URL, signed with A's secret
    conversation_id = await facebook.wait_conversation(CUSTOMER)
    await facebook.settle()
    assert [m.text for m in await facebook.messages(conversation_id, MessageKind.INBOUND)] == ["for page A"]
    journal = facebook.runtime.app.journal
    assert journal is not None
    found = await facebook.runtime.run(journal.conversations.conversations(open_only=False))
    assert [c.binding_id for c in found] == [facebook.binding.id]  # nothing for page B


async def test_an_event_that_cannot_be_stored_makes_meta_deliver_again_and_nothing_doubles(facebook: MetaChannel):
    h = facebook.harness
    body = h.envelope([h.message(CUSTOMER, "m-1", "one"), h.message(CUSTOMER, "m-2", "two")])
    facebook.backend.sink = FailingSink(facebook.backend.sink, after=1)
    assert await h.post(body) == 503  # "one" is stored, "two" is not: Meta must deliver again
    assert await h.post(body) == 200  # Meta's redelivery
    conversation_id = await facebook.wait_conversation(CUSTOMER)
    await facebook.settle()
    assert [m.text for m in await facebook.messages(conversation_id, MessageKind.INBOUND)] == ["one", "two"]


async def test_a_comment_on_a_page_whose_comments_are_not_connected_is_kept_and_shown(facebook: MetaChannel):
    """Messenger only: the page's feed still comes to this URL; a customer's comment is not dropped."""
    h = facebook.harness
    comment = {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "555_9", "post_id": "1_555",
                                          "from": {"id": "7100000000009", "name": "Carla"}, "message": "Hello?"}}
    read = h.event(CUSTOMER, "read", {"watermark": int(time.time() * 1000)})
    assert await h.post(h.envelope([read], changes=[comment])) == 200
    assert await facebook.kept() == {"page comment": 1}
    assert "no fbcomments channel is connected" in await facebook.wait_kept_note("page comment")
