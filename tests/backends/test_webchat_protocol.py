"""Frame validation: every bad frame gets an error frame and the tab stays usable."""
from __future__ import annotations

import json

import aiohttp
import pytest

from tests.support.webchat import new_client_id

MAX_TEXT = 4096
BAD_FRAMES = {
    "not_json": "{not json",
    "json_but_not_an_object": "[1, 2]",
    "unknown_type": {"type": "shout", "text": "hi"},
    "no_type": {"text": "hi"},
    "message_without_client_id": {"type": "message", "text": "hi"},
    "message_without_text": {"type": "message", "client_id": "x1"},
    "message_text_not_a_string": {"type": "message", "client_id": "x1", "text": 42},
    "message_client_id_not_a_string": {"type": "message", "client_id": 7, "text": "hi"},
    "message_empty_client_id": {"type": "message", "client_id": "", "text": "hi"},
    "message_blank_text": {"type": "message", "client_id": "x1", "text": "   "},
    "message_text_too_long": {"type": "message", "client_id": "x1", "text": "a" * (MAX_TEXT + 1)},
    "typing_without_on": {"type": "typing"},
    "typing_on_not_a_bool": {"type": "typing", "on": "yes"},
    "hello_without_visitor_token": {"type": "hello", "last_seq": 0},
    "hello_without_last_seq": {"type": "hello", "visitor_token": None},
    "hello_last_seq_not_an_int": {"type": "hello", "visitor_token": None, "last_seq": "0"},
    "hello_last_seq_a_bool": {"type": "hello", "visitor_token": None, "last_seq": True},
    "hello_token_not_a_string": {"type": "hello", "visitor_token": 12, "last_seq": 0},
    "hello_name_not_a_string": {"type": "hello", "visitor_token": None, "last_seq": 0, "name": 1},
    # The security review's findings: each dropped the socket or poisoned it, with a traceback.
    "nested_2_kb": "[" * 2048,
    "nested_objects": '{"a":' * 1200 + "1" + "}" * 1200,
    "lone_surrogate_text": '{"type":"message","client_id":"s1","text":"a\\ud800b"}',
    "lone_surrogate_client_id": '{"type":"message","client_id":"\\udfff","text":"hi"}',
    "lone_surrogate_token": '{"type":"hello","visitor_token":"abc.\\ud800","last_seq":0}',
    "lone_surrogate_name": '{"type":"hello","visitor_token":null,"last_seq":0,"name":"Eve\\ud800"}',
    "lone_surrogate_email": '{"type":"hello","visitor_token":null,"last_seq":0,"email":"e\\udc00@x.example"}',
    "huge_int": '{"type":"history","before_seq":' + "9" * 5000 + "}",
    "nan_seq": '{"type":"hello","visitor_token":null,"last_seq":NaN}',
    "rate_a_stranger": {"type": "rate", "conversation_id": "999", "value": "good"},
    "read_not_an_int": {"type": "read", "seq": "1"},
}


def as_text(frame) -> str:
    return frame if isinstance(frame, str) else json.dumps(frame)


async def assert_error(tab) -> None:
    """The very next frame is an error (the contract fixes its shape, not the codes)."""
    error = await tab.receive()
    assert error["type"] == "error", error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]


async def assert_still_usable(tab) -> None:
    ack = await tab.say("still here?")
    assert isinstance(ack["seq"], int)
    assert not [f for f in tab.pending if f["type"] == "error"]


@pytest.mark.parametrize("frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_bad_frame_after_hello_gets_an_error_and_the_tab_stays_usable(connect, frame):
    tab = await connect()
    await tab.hello()
    await tab.ws.send_str(as_text(frame))
    await assert_error(tab)
    await assert_still_usable(tab)


@pytest.mark.parametrize("frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_bad_frame_before_hello_gets_an_error_and_hello_still_works(connect, frame):
    tab = await connect()
    await tab.ws.send_str(as_text(frame))
    await assert_error(tab)
    await tab.hello()
    await assert_still_usable(tab)


@pytest.mark.parametrize("frame", [
    {"type": "message", "client_id": "early", "text": "hi"},
    {"type": "typing", "on": True},
], ids=["message", "typing"])
async def test_frames_before_hello_are_refused(connect, frame):
    tab = await connect()
    await tab.send(**frame)
    await assert_error(tab)
    _, history = await tab.hello()
    assert history["messages"] == []  # the early message was not stored
    await assert_still_usable(tab)


async def test_binary_frame_gets_an_error(connect):
    tab = await connect()
    await tab.hello()
    await tab.ws.send_bytes(b'{"type": "message", "client_id": "b1", "text": "hi"}')
    await assert_error(tab)
    await assert_still_usable(tab)


async def test_typing_is_accepted_silently(connect):
    tab = await connect()
    await tab.hello()
    await tab.send(type="typing", on=True)
    await tab.send(type="typing", on=False)
    ack = await tab.say("typed")
    assert not [f for f in tab.pending if f["type"] == "error"], tab.pending
    assert ack["client_id"]


async def test_text_of_exactly_the_limit_is_accepted(connect):
    tab = await connect()
    await tab.hello()
    ack = await tab.say("b" * MAX_TEXT)
    _, history = await (await connect()).hello(tab.token, ack["seq"] - 1)
    assert history["messages"][0]["text"] == "b" * MAX_TEXT


async def test_a_frame_of_exactly_64_kib_is_answered_not_closed(connect):
    tab = await connect()
    await tab.hello()
    head = json.dumps({"type": "message", "client_id": "big", "text": ""})[:-2]
    raw = head + "x" * (64 * 1024 - len(head) - 2) + '"}'
    assert len(raw.encode()) == 64 * 1024
    await tab.ws.send_str(raw)
    error = await tab.expect("error", client_id="big")
    assert error["code"] == "too_long"
    await assert_still_usable(tab)


async def test_bad_frames_leave_no_traceback_in_the_log(connect, caplog):
    tab = await connect()
    await tab.hello()
    for frame in BAD_FRAMES.values():
        await tab.ws.send_str(as_text(frame))
        await assert_error(tab)
    await assert_still_usable(tab)
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


async def test_a_bad_name_does_not_poison_the_socket(connect):
    tab = await connect()
    await tab.hello(name="Ann")
    await tab.ws.send_str('{"type":"hello","visitor_token":null,"last_seq":0,"name":"Eve\\ud800"}')
    await assert_error(tab)
    for i in range(5):
        await tab.say(f"still fine {i}")


async def test_a_client_leaving_while_answered_leaves_no_traceback(connect, caplog):
    for _ in range(20):
        tab = await connect()
        await tab.send(type="hello", visitor_token=None, last_seq=0)
        await tab.ws.close()
    other = await connect()
    await other.hello()
    await assert_still_usable(other)
    assert not [r for r in caplog.records if r.exc_info]


async def test_frame_over_64_kib_closes_the_connection(connect):
    tab = await connect()
    await tab.hello()
    await tab.send(type="message", client_id=new_client_id(), text="x" * (64 * 1024 + 1))
    msg = await tab.ws.receive(timeout=10)
    while msg.type is aiohttp.WSMsgType.TEXT:  # a frame already on its way, if any
        assert json.loads(msg.data)["type"] != "ack"
        msg = await tab.ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)
    assert tab.ws.closed
    assert tab.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    other = await connect()  # only that connection is gone
    await other.hello()
    await assert_still_usable(other)


async def test_hello_with_a_huge_last_seq_gets_an_empty_history(connect):
    tab = await connect()
    await tab.hello()
    await tab.say("one")
    again = await connect()
    _, history = await again.hello(tab.token, last_seq=10**30)
    assert history["messages"] == []
    await assert_still_usable(again)
