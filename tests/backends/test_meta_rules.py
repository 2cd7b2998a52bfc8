"""Meta's reply windows and error codes, as the pure functions the backends and commands share."""
from __future__ import annotations

import pytest

from backends.meta.base import chunks
from backends.meta.graph import DEFAULT_RETRY_AFTER, TOKEN_REFUSED, refusal, retry_after
from backends.meta.window import (
    ALREADY_PRIVATE,
    Window,
    private_reply_refusal,
    reply_options,
    reply_window,
    visibility_of,
    window_refusal,
)
from bridge.errors import CredentialsRefused, CustomerUnreachable, PermanentSendError, RateLimited, Refused, SendError

NOW = 1_750_000_000.0
HOUR, DAY = 3600.0, 86400.0


def scrub(text: str) -> str:
    return text.replace("TOKEN", "…")


@pytest.mark.parametrize("age, window", [
    (None, Window("RESPONSE")), (0, Window("RESPONSE")), (24 * HOUR, Window("RESPONSE")),
    (24 * HOUR + 1, Window("MESSAGE_TAG", "HUMAN_AGENT")), (7 * DAY, Window("MESSAGE_TAG", "HUMAN_AGENT")),
])
def test_a_reply_is_a_response_for_a_day_then_a_human_agent_message_for_a_week(age, window):
    assert reply_window(None if age is None else NOW - age, NOW) == window


def test_past_a_week_the_reply_is_refused_with_the_reason_the_operator_reads():
    with pytest.raises(PermanentSendError) as refused:
        reply_window(NOW - 8 * DAY, NOW)
    assert "older than 7 days" in refused.value.reason and not refused.value.retryable
    assert window_refusal(NOW - 8 * DAY, NOW) == refused.value.reason
    assert window_refusal(NOW - 6 * DAY, NOW) is None and window_refusal(None, NOW) is None


def test_window_fields_carry_the_tag_only_when_there_is_one():
    assert Window("RESPONSE").fields() == {"messaging_type": "RESPONSE"}
    assert Window("MESSAGE_TAG", "HUMAN_AGENT").fields() == {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


def test_a_private_reply_is_once_per_comment_within_a_week():
    assert private_reply_refusal("c1", NOW - DAY, [], NOW) is None
    assert private_reply_refusal("c1", NOW - DAY, ["c1"], NOW) == ALREADY_PRIVATE
    assert "within 7 days" in (private_reply_refusal("c1", NOW - 8 * DAY, [], NOW) or "")
    assert private_reply_refusal("c1", None, [], NOW) is None  # unknown age: Meta decides


def test_reply_options_are_what_the_reply_command_puts_on_the_message():
    assert reply_options("private") == {"visibility": "private"}
    assert visibility_of(reply_options("private")) == "private"
    assert visibility_of({}) == "public" and visibility_of({"visibility": "shout"}) == "public"
    with pytest.raises(Refused, match="reply public"):
        reply_options("secret")


@pytest.mark.parametrize("status, error, headers, expected, words", [
    (400, {"code": 190, "message": "Invalid OAuth access token TOKEN"}, {}, CredentialsRefused, TOKEN_REFUSED),
    (400, {"code": 613, "message": "rate"}, {"Retry-After": "30"}, RateLimited, "slow down"),
    (400, {"code": 4}, {}, RateLimited, ""),
    (429, {}, {}, RateLimited, ""),
    (400, {"code": 551, "error_subcode": 1545041}, {}, CustomerUnreachable, "551"),
    (400, {"code": 10, "error_subcode": 2018278}, {}, PermanentSendError, "too old"),
    (500, {"code": 2, "is_transient": True}, {}, SendError, "unavailable"),
    (503, {}, {}, SendError, "unavailable"),
    (400, {"code": 100, "message": "(#100) The message is too long"}, {}, PermanentSendError, "message is too long"),
])
def test_graph_errors_become_the_send_errors_the_outbox_acts_on(status, error, headers, expected, words):
    mapped = refusal(status, {"error": error}, headers, scrub)
    assert type(mapped) is expected and words in mapped.reason and "TOKEN" not in mapped.reason
    assert mapped.retryable is (expected in (RateLimited, SendError))


def test_code_10_outside_a_send_is_a_permission_not_a_window():
    assert "too old" not in refusal(400, {"error": {"code": 10}}, {}, scrub, sending=False).reason


@pytest.mark.parametrize("headers, wait", [
    ({"Retry-After": "30"}, 30.0), ({"Retry-After": "-5"}, 0.0), ({"Retry-After": "99999"}, 3600.0),
    ({"X-Business-Use-Case-Usage": '{"104": [{"type": "messenger", "estimated_time_to_regain_access": 7}]}'}, 420.0),
    ({"X-Business-Use-Case-Usage": "not json"}, DEFAULT_RETRY_AFTER), ({}, DEFAULT_RETRY_AFTER),
])
def test_the_wait_is_the_one_meta_asked_for(headers, wait):
    assert retry_after(headers) == wait


def test_long_texts_are_cut_at_spaces_within_the_limit():
    text = " ".join(f"word{i}" for i in range(1000))
    pieces = chunks(text, 2000)
    assert all(len(p) <= 2000 for p in pieces) and " ".join(pieces) == text
    assert chunks("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]
    assert chunks("  ", 10) == []
