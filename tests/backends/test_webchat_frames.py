"""The website chat's frame parser, a pure function: each frame to a typed value or a refusal."""
from __future__ import annotations

import json

import pytest

from backends.webchat.frames import Forget, FrameError, Hello, HistoryPage, Rate, Read, Say, Typing, parse
from backends.webchat.reading import frame_text


def test_a_hello_with_everything():
    frame = parse(json.dumps({"type": "hello", "visitor_token": "t.s", "last_seq": 7, "name": "  Ann ",
                              "email": "ann@example.com"}))
    assert frame == Hello("t.s", 7, "Ann", "ann@example.com")


def test_a_first_hello_and_a_negative_seq():
    assert parse('{"type":"hello","visitor_token":null,"last_seq":-5}') == Hello(None, 0, "", None)


def test_a_message_a_typing_and_a_history_request():
    assert parse('{"type":"message","client_id":"c1","text":"hi"}') == Say("c1", "hi")
    assert parse('{"type":"typing","on":true}') == Typing(True)
    assert parse('{"type":"history","before_seq":42}') == HistoryPage(42)


@pytest.mark.parametrize("raw, code", [
    ("{nope", "bad_json"), ("[1]", "bad_frame"), ('{"type":"shout"}', "unknown_type"),
    ('{"type":"message","text":"hi"}', "missing_field"), ('{"type":"message","client_id":1,"text":"hi"}', "bad_field"),
    ('{"type":"message","client_id":"c","text":"' + "a" * 4097 + '"}', "too_long"),
    ('{"type":"hello","visitor_token":null,"last_seq":true}', "bad_field"),
    ('{"type":"history","before_seq":"3"}', "bad_field"),
])
def test_bad_frames_are_refused_with_a_code(raw, code):
    with pytest.raises(FrameError) as refused:
        parse(raw)
    assert refused.value.code == code
    assert refused.value.frame()["type"] == "error"


def test_a_refused_message_names_its_client_id():
    with pytest.raises(FrameError) as refused:
        parse('{"type":"message","client_id":"c7","text":"   "}')
    assert refused.value.frame()["client_id"] == "c7"


def test_reads_ratings_and_forgetting():
    assert parse('{"type":"read","seq":12}') == Read(12)
    assert parse('{"type":"rate","conversation_id":"4","value":"good"}') == Rate("4", "good")
    assert parse('{"type":"forget"}') == Forget()


@pytest.mark.parametrize("raw", [
    "[" * 2000 + "]" * 2000,  # 4 KB: past the decoder's depth bound
    '{"a":' * 1500 + "1" + "}" * 1500,
])
def test_deeply_nested_json_is_refused_not_raised(raw):
    with pytest.raises(FrameError) as refused:
        parse(raw)
    assert refused.value.code == "bad_json"


@pytest.mark.parametrize("raw", [
    '{"type":"message","client_id":"c1","text":"a\ud800b"}',
    '{"type":"message","client_id":"\udfff","text":"hi"}',
    '{"type":"hello","visitor_token":"abc.\ud800","last_seq":0}',
    '{"type":"hello","visitor_token":null,"last_seq":0,"name":"Eve\ud800"}',
    '{"type":"hello","visitor_token":null,"last_seq":0,"email":"e\udc00@x.example"}',
])
def test_lone_surrogates_are_a_bad_field(raw):
    with pytest.raises(FrameError) as refused:
        parse(raw)
    assert refused.value.code == "bad_field"


@pytest.mark.parametrize("raw", ['{"type":"rate","conversation_id":"4","value":"meh"}',
                                 '{"type":"rate","value":"good"}', '{"type":"read","seq":"1"}',
                                 '{"type":"hello","visitor_token":null,"last_seq":0,"email":"not-an-email"}'])
def test_bad_reads_ratings_and_emails(raw):
    with pytest.raises(FrameError):
        parse(raw)


# -- the shortcuts for the common message frame give what the full checks give (issue 19) ---------------
def _outcome(parse_it, raw):
    try:
        return ("ok", parse_it(raw))
    except FrameError as exc:
        return ("refused", exc.code, exc.message, exc.client_id)


def _full_parse(raw):
    """The parser with json.loads and every check of a message frame, as before the shortcuts."""
    from backends.webchat import frames
    try:
        data = json.loads(raw)
    except RecursionError:
        raise FrameError("bad_json", "the frame nests too deeply") from None
    except ValueError:
        raise FrameError("bad_json", "the frame is not JSON") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "a frame is a JSON object with a \"type\"")
    if data.get("type") != "message":
        return parse(raw)
    return frames.checked_say(data)


_VALUES = ["", " ", "\t\n", "\x1c", "\x00", "a", "é", "😀", "\ud800", "a\udfff", "x" * 128, "x" * 129,
           "x" * 4096, "x" * 4097, " " * 4097, 1, True, None, [], {}]


@pytest.mark.parametrize("client_id", _VALUES)
@pytest.mark.parametrize("text", _VALUES)
def test_a_message_frame_is_read_as_the_full_checks_read_it(client_id, text):
    raw = json.dumps({"type": "message", "client_id": client_id, "text": text})
    assert _outcome(parse, raw) == _outcome(_full_parse, raw)


@pytest.mark.parametrize("raw", [
    '{"type":"message","client_id":"c","text":"hi"}', ' {"type":"message","client_id":"c","text":"hi"} ',
    '{"type":"message","client_id":"c","text":"hi"}{}', '{"type":"message","client_id":"c","text":"hi"} x',
    '{"type":"message","client_id":"c","text":"hi"', '{}', '{"a":}', '{"a":"\x01"}', '{"a":NaN}', '{"a":1}}',
    '\ufeff{"type":"message","client_id":"c","text":"hi"}', '{"a":"\\ud800"}', '{"a":' + "[" * 50_000 + "1}",
    '{"type":"message","client_id":"c","text":"hi","type":"typing","on":true}', "", "{", "}", "[]",
])
def test_json_read_straight_from_the_scanner_is_json_loads_own(raw):
    assert _outcome(parse, raw) == _outcome(_full_parse, raw)


@pytest.mark.parametrize("frame", [
    {"type": "ack", "client_id": "c-1", "seq": 7, "conversation_id": "0f3e"},
    {"type": "ack", "client_id": 'quote " back\\ é \u2028 \x00', "seq": 2**40, "conversation_id": "ü"},
    {"type": "ack", "client_id": "c-1", "seq": True, "conversation_id": "0f3e"},  # a bool is not %d
    {"type": "ack", "client_id": "c-1", "seq": 1.5, "conversation_id": "0f3e"},
    {"type": "ack", "client_id": 3, "seq": 7, "conversation_id": "0f3e"},
    {"type": "ack", "client_id": "c-1", "other": 7, "conversation_id": "0f3e"},
    {"type": "error", "code": "idle", "message": "closed after a long silence"},
])
def test_frames_leave_as_json_dumps_writes_them(frame):
    """The ack's template writes the same bytes as json.dumps; anything else goes through json.dumps."""
    assert frame_text(frame) == json.dumps(frame)
