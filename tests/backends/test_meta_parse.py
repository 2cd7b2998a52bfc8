"""Meta's webhook envelopes, parsed on recorded payloads: every entry and item, echoes skipped."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.meta_parse import COMMENTS, DELETED, INSTAGRAM, MESSENGER, PayloadError, parse
from bridge.channels import DeliveryReceipt, InboundComment, InboundEdit, InboundMessage

PAYLOADS = Path(__file__).with_name("meta_payloads")
PAGE, OTHER_PAGE, IG = "104000000000001", "104000000000002", "17841400000000001"


def recorded(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def test_a_messenger_batch_gives_every_item_of_every_entry_but_echoes_and_unknowns():
    items = parse(recorded("messenger_batch.json"))
    assert [(i.kind, i.account) for i in items] == [(MESSENGER, PAGE)] * 6 + [(MESSENGER, OTHER_PAGE)]
    text, photo, edit, read, delivery, postback, other = (i.event for i in items)
    assert text == InboundMessage("24000000000001", "m_text", "Where is my order?")
    assert items[0].at == 1732650000.0
    assert isinstance(photo, InboundMessage) and photo.text == ""
    assert [(a.kind, a.url) for a in photo.attachments] == [
        ("image", "https://scontent.example/v/t1/photo_123.jpg?oh=abc"), ("link", "https://example.com/shared")]
    assert photo.attachments[1].name == "A shared link"
    assert edit == InboundEdit("24000000000001", "m_text", "m_text#1", "Where is my parcel?")
    assert read == DeliveryReceipt("24000000000001", "read", (), 1732650003.5)
    assert delivery == DeliveryReceipt("24000000000001", "delivered", ("m_out1",), 1732650004.0)
    assert postback == InboundMessage("24000000000001", "m_postback", "Talk to a human")
    assert isinstance(other, InboundMessage) and other.external_id == "m_other_page"


def test_instagram_deletions_are_edits_unsupported_messages_say_so_and_comments_wait():
    items = parse(recorded("instagram.json"))
    assert {i.kind for i in items} == {INSTAGRAM} and {i.account for i in items} == {IG}
    message, deleted, unsupported, read, story = (i.event for i in items)
    assert isinstance(message, InboundMessage) and message.text == "Is this in stock?"
    assert deleted == InboundEdit("1780000000001", "aWdfZAG1faXRlbTox", "aWdfZAG1faXRlbTox#deleted", DELETED)
    assert isinstance(unsupported, InboundMessage) and "Instagram app" in unsupported.text
    assert read == DeliveryReceipt("1780000000001", "read", ("m_out7",), None)
    assert isinstance(story, InboundMessage) and story.attachments[0].kind == "link"


def test_feed_comments_keep_their_thread_and_skip_the_pages_own():
    items = parse(recorded("feed.json"))
    assert {i.kind for i in items} == {COMMENTS}
    first, reply, edited, removed, photo = (i.event for i in items)
    assert isinstance(first, InboundComment)
    assert (first.customer_ref, first.external_id, first.thread, first.customer_name) == (
        "7100000000001", "555_1001", "555_1001", "Carla Commenter")
    assert items[0].post_id == "104000000000001_555"
    assert items[0].permalink == "https://www.facebook.com/the.shop/posts/555"
    assert items[0].at == 1732650000.0
    assert isinstance(reply, InboundComment) and (reply.thread, reply.customer_ref) == ("555_1001", "7100000000002")
    assert isinstance(edited, InboundEdit) and edited.external_id == "555_1001" and edited.text == "Do you ship to Porto?"
    assert removed == InboundEdit("7100000000002", "555_1002", "555_1002#deleted", DELETED)
    assert isinstance(photo, InboundComment) and photo.attachments[0].kind == "image"


def test_an_edit_is_keyed_by_its_number_so_a_redelivery_is_the_same_edit():
    def edit(n: int, text: str) -> bytes:
        return json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": [
            {"sender": {"id": "1"}, "recipient": {"id": PAGE}, "message_edit": {"mid": "m", "text": text,
                                                                               "num_edit": n}}]}]}).encode()
    assert parse(edit(1, "a"))[0].event == parse(edit(1, "a"))[0].event
    assert parse(edit(1, "a"))[0].event != parse(edit(2, "b"))[0].event


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"object": "page"}', b'{"entry": {}}',
                                  b'{"object": "page", "entry": "x"}', b"\xff\xfe{}", b"[" * 100_000])
def test_what_is_not_an_envelope_is_a_payload_error(body: bytes):
    with pytest.raises(PayloadError):
        parse(body)


@pytest.mark.parametrize("envelope", [
    {"object": "whatsapp_business_account", "entry": [{"id": PAGE}]},
    {"object": "page", "entry": [None, 3, "x", {"id": None}, {"id": PAGE, "messaging": "x", "changes": 5}]},
    {"object": "page", "entry": [{"id": PAGE, "messaging": [
        None, {}, {"sender": "x"}, {"sender": {"id": {"a": 1}}, "message": {"mid": "m"}},
        {"sender": {"id": "1"}, "message": {"mid": ["not", "an", "id"], "text": "x"}},
        {"sender": {"id": "1"}, "message": {"mid": "has space", "text": "x"}},
        {"sender": {"id": "1"}, "message_edit": {"mid": "m", "text": ""}},
        {"sender": {"id": "1"}, "read": {"watermark": True}},
        {"sender": {"id": "1"}, "read": {"watermark": 1e300}}]}]},
])
def test_unknown_objects_and_broken_items_give_nothing(envelope: dict):
    assert parse(json.dumps(envelope).encode()) == []


def test_texts_are_valid_unicode_and_within_the_core_limit():
    body = json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": [
        {"sender": {"id": "1"}, "message": {"mid": "a", "text": "lone \ud800 surrogate"}},
        {"sender": {"id": "1"}, "message": {"mid": "b", "text": "x" * 50_000}}]}]}).encode()
    lone, huge = (i.event for i in parse(body))
    assert isinstance(lone, InboundMessage) and lone.text == "lone ? surrogate"
    assert isinstance(huge, InboundMessage) and len(huge.text) <= 4096 and huge.text.endswith("…")
