"""Meta's webhook envelopes, parsed on recorded payloads: every entry and item, echoes skipped."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends.meta.parse import COMMENTS, DELETED, INSTAGRAM, MESSENGER, PayloadError, parse
from bridge.channels import DeliveryReceipt, InboundComment, InboundEdit, InboundMessage, Unreadable

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


def test_instagram_deletions_are_edits_unsupported_messages_say_so_and_comments_are_kept_unread():
    items = parse(recorded("instagram.json"))
    assert {i.kind for i in items} == {INSTAGRAM} and {i.account for i in items} == {IG}
    message, deleted, unsupported, read, story, comment = (i.event for i in items)
    assert isinstance(comment, Unreadable) and comment.kind == "comments change"
    assert items[-1].raw["value"]["text"] == "nice"
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
    {"object": "page", "entry": [{"id": PAGE, "messaging": "x", "changes": 5}]},
    {"object": "page", "entry": [{"id": PAGE, "messaging": [
        {"sender": {"id": "1"}, "message_edit": {"mid": "m", "text": ""}},
        {"sender": {"id": "1"}, "read": {"watermark": True}},
        {"sender": {"id": "1"}, "read": {"watermark": 1e300}},
        {"sender": {"id": "1"}, "reaction": {"mid": "m", "reaction": "love"}},
        {"sender": {"id": PAGE}, "message": {"mid": "m", "text": "our own"}}]}]},
])
def test_what_is_nothing_for_the_team_gives_nothing(envelope: dict):
    assert parse(json.dumps(envelope).encode()) == []


@pytest.mark.parametrize("envelope, what", [
    ({"object": "whatsapp_business_account", "entry": [{"id": PAGE}]}, ["whatsapp_business_account webhook"]),
    ({"object": "page", "entry": [[], 3, {"id": None}]}, ["entry"] * 3),
    ({"object": "page", "entry": [{"id": PAGE, "messaging": [
        [], {}, {"sender": "x"}, {"sender": {"id": {"a": 1}}, "message": {"mid": "m"}},
        {"sender": {"id": "1"}, "message": {"mid": ["not", "an", "id"], "text": "x"}},
        {"sender": {"id": "1"}, "message": {"mid": "x" * 1001, "text": "x"}},
        {"sender": {"id": "1"}, "game_play": {"game_id": "1"}}]}]},
     ["messaging event"] * 3 + ["message"] * 3 + ["game_play"]),
])
def test_unknown_objects_and_broken_items_are_unreadable_with_their_raw_json(envelope: dict, what: list[str]):
    items = parse(json.dumps(envelope).encode())
    assert [i.event.kind for i in items if isinstance(i.event, Unreadable)] == what and len(items) == len(what)
    assert all(i.raw is not None for i in items)


@pytest.mark.parametrize("mid", ["mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c", "m_ab+cd/ef==", "m_with space", "m" * 1000,
                                 "m_é_😀"])
def test_message_ids_are_opaque_text(mid: str):
    body = json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": [
        {"sender": {"id": "1"}, "message": {"mid": mid, "text": "x"}}]}]}).encode()
    assert parse(body)[0].event == InboundMessage("1", mid, "x")


def test_a_postback_without_a_mid_is_named_by_what_meta_sent():
    def tap(timestamp: object) -> bytes:
        return json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": [
            {"sender": {"id": "1"}, "timestamp": timestamp, "postback": {"title": "Yes", "payload": "Y"}}]}]}).encode()
    first, again, other = (parse(tap(t))[0].event for t in (10 ** 20, 10 ** 20, 1732650006000))
    assert isinstance(first, InboundMessage) and first.text == "Yes" and first.external_id.startswith("postback:")
    assert first == again and other != first


def test_texts_are_valid_unicode_and_within_the_core_limit():
    body = json.dumps({"object": "page", "entry": [{"id": PAGE, "messaging": [
        {"sender": {"id": "1"}, "message": {"mid": "a", "text": "lone \ud800 surrogate"}},
        {"sender": {"id": "1"}, "message": {"mid": "b", "text": "x" * 50_000}}]}]}).encode()
    lone, huge = (i.event for i in parse(body))
    assert isinstance(lone, InboundMessage) and lone.text == "lone \ufffd surrogate"
    assert isinstance(huge, InboundMessage) and len(huge.text) <= 4096 and huge.text.startswith("x" * 4000)
    assert huge.text.endswith(f"[cut: {50_000 - huge.text.index(chr(10))} of its 50000 characters were over the limit]")
