"""The accept path's shortcuts give what the full checks give, for every input (issue 19).

A customer's text, a platform id and a customer's name are checked at each message; the common
case is decided in one match (or read from a cache), the rest goes through the full checks. Here
each shortcut is compared with the full check it stands for: every code point alone and in text,
and the tricky inputs (lone surrogates, controls, line breaks, bidi marks, over-long strings)."""
from __future__ import annotations

import sys

import pytest

from bridge import relay
from bridge.channels import CustomerStatus, InboundComment, InboundEdit, InboundMessage
from bridge.errors import Refused
from bridge.inbound_units import checked_ids, checked_text, shown_name

TRICKY = ["", " ", "a", "\n", "\t", "\r", "\r\n", "a\r\nb", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\xa0",
          "\u061c", "\u200e", "\u202e", "\u2066", "\u2028", "\u2029", "\ud800", "\udfff", "a\ud83d", "\ud83d\ude00",
          "😀", "é", "日本", "  two  spaces ", "x" * relay.MAX_TEXT, "x" * (relay.MAX_TEXT + 1),
          "\r" * relay.MAX_TEXT, "x" * (relay.MAX_TEXT - 1) + "\r\n", "x" * relay.MAX_ID, "x" * (relay.MAX_ID + 1)]


def _full_text(text: str) -> str:
    return relay.cut(relay.clean_text(relay.mended(text)))


def _full_platform_id(value: object) -> str:
    """platform_id as it was written before the one-match version: the reference."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= relay.MAX_ID or not relay.well_formed(value):
        return ""
    return "" if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value) else value


def _every_code_point() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1)]


def test_a_text_is_checked_the_same_with_or_without_the_shortcut():
    for text in TRICKY + [f"a{t}b" for t in TRICKY]:
        assert checked_text(text) == _full_text(text), repr(text[:20])


def test_every_code_point_in_a_text_is_checked_as_the_full_check_does():
    differ = [c for c in _every_code_point() if checked_text(f"hi {c}!") != _full_text(f"hi {c}!")]
    assert differ == []


def test_a_platform_id_is_kept_or_refused_as_before_for_every_code_point():
    differ = [c for c in _every_code_point() if relay.platform_id(f"id-{c}") != _full_platform_id(f"id-{c}")]
    assert differ == []


@pytest.mark.parametrize("value", TRICKY + [0, 7, -3, True, False, None, 1.5, b"id", ["id"]])
def test_tricky_platform_ids(value):
    assert relay.platform_id(value) == _full_platform_id(value)


@pytest.mark.parametrize("bad", ["\ud800", "a\x00", "a\x85", "x" * (relay.MAX_ID + 1), 5, None])
def test_an_id_that_no_store_can_key_is_refused_on_every_kind_of_event(bad):
    events = [InboundMessage(bad, "m1", "hi"), InboundMessage("c1", bad, "hi"),
              InboundComment("c1", bad, "hi", thread="t"), InboundEdit("c1", "m1", bad, "hi"),
              CustomerStatus("c1", "typing", bad)]
    for event in events:
        with pytest.raises(Refused):
            checked_ids(event)


@pytest.mark.parametrize("good", ["", "c-1", "é😀日本", "x" * relay.MAX_ID, "a b\u202e"])
def test_ids_that_are_printable_text_pass(good):
    checked_ids(InboundMessage("c1", good, "hi"))
    checked_ids(InboundEdit("c1", "m1", good, "hi"))


@pytest.mark.parametrize("name", TRICKY + ["Ann\u202eLee", "  Ann   Lee  ", "x" * 300])
def test_a_name_is_shown_as_the_full_check_shows_it_first_time_and_from_the_cache(name):
    full = relay.clean_name(relay.mended(name))
    assert shown_name(name) == full
    assert shown_name(name) == full  # the second from the cache
    assert shown_name(name, 200) == relay.clean_name(relay.mended(name), 200)
