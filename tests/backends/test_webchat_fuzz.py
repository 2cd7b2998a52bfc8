"""10,000 seeded fuzz frames on real sockets: each answered as the README's contract says,
the socket usable after every non-fatal one, no traceback in the log, within a time bound."""
from __future__ import annotations

import json
import logging
import random
import time
from typing import Any, Callable

import aiohttp

from tests.support.webchat import Tab

FRAMES = 10_000
SEED = 20261126
TIME_BOUND = 240.0  # seconds for the whole run on a loaded 2-core machine
MAX = 64 * 1024
# What the contract answers: an error frame, an ack, nothing, a welcome + history, a history page,
# or (over 64 KiB only) a closed socket.
Case = tuple[str | bytes, str, str | None]  # raw frame, expectation, client_id it concerns


FIELDS = {  # each frame kind's fields and their types; one field of a wrong type is always refused
    "hello": [("visitor_token", str), ("last_seq", int), ("name", str), ("email", str)],
    "message": [("client_id", str), ("text", str)], "typing": [("on", bool)], "history": [("before_seq", int)],
    "read": [("seq", int)], "rate": [("conversation_id", str), ("value", str)],
}
WRONG: dict[type, list[Any]] = {str: [True, 1, 1.5, [], {}], int: [None, True, 1.5, [], {}, "x", float("nan")],
                                bool: [None, 1, "x", [], {}]}


def _surrogate() -> str:
    return chr(random.choice([0xD800, 0xDBFF, 0xDC00, 0xDFFF]))


def _weird_text(r: random.Random) -> str:
    pieces = ["\x00", "\x1b[2J", "\u202e", "\ufeff", "\uffff", "\n!close", "💬", "é", "`" * 50, "**x**", "a"]
    return "".join(r.choice(pieces) for _ in range(r.randint(1, 30)))


def _nested(r: random.Random) -> str:
    depth = r.choice([10, 32, 500, 990, 2000, 5000])
    return '{"type":"message","client_id":"n","text":' + "[" * depth + "]" * depth + "}"


def make_cases(r: random.Random, token: str) -> list[Callable[[int], Case]]:
    def valid(i: int) -> Case:
        cid = f"ok-{i}"
        return json.dumps({"type": "message", "client_id": cid, "text": "hi " + _weird_text(r)}), "ack", cid

    def duplicate(i: int) -> Case:
        return json.dumps({"type": "message", "client_id": "dup", "text": "again"}), "ack", "dup"

    def long_text(i: int) -> Case:
        n = r.choice([4095, 4096, 4097, 8192])
        cid = f"long-{i}"
        return json.dumps({"type": "message", "client_id": cid, "text": "x" * n}), "ack" if n <= 4096 else "error", cid

    def frame_size(i: int) -> Case:
        size = r.choice([MAX - 1, MAX, MAX + 1])
        head = '{"type":"message","client_id":"big","text":"'
        return head + "y" * (size - len(head) - 2) + '"}', "error" if size <= MAX else "closed", None

    def garbage(i: int) -> Case:
        return r.choice(["{", "nope", "", "{}", "[]", "null", "1", '"s"', "\ud800".encode("utf-8", "surrogatepass")
                         .decode("utf-8", "replace"), "{" * 3, '{"type":1}']), "error", None

    def binary(i: int) -> Case:
        return bytes(r.getrandbits(8) for _ in range(r.randint(0, 64))), "error", None

    def wrong_types(i: int) -> Case:
        kind, fields = r.choice(list(FIELDS.items()))
        field, wanted = r.choice(fields)
        frame: dict[str, Any] = {"type": kind, field: r.choice(WRONG[wanted])}
        return json.dumps(frame), "error", None

    def huge_int(i: int) -> Case:
        digits = r.choice([4300, 4301, 5000])
        return '{"type":"history","before_seq":' + "9" * digits + "}", ("history" if digits <= 4300 else "error"), None

    def surrogate(i: int) -> Case:
        field = r.choice(["text", "client_id", "name", "email", "visitor_token"])
        if field in ("text", "client_id"):
            frame = {"type": "message", "client_id": f"s-{i}", "text": "hi"}
        else:
            frame = {"type": "hello", "visitor_token": token, "last_seq": 10 ** 9, "name": "Ann",
                     "email": "ann@example.com"}
        frame[field] = f"a{_surrogate()}b" if field != "email" else f"a{_surrogate()}@x.example"
        return json.dumps(frame), "error", None

    def nested(i: int) -> Case:
        return _nested(r), "error", None

    def typing(i: int) -> Case:
        return json.dumps({"type": "typing", "on": r.random() < 0.5}), "silent", None

    def read(i: int) -> Case:
        return json.dumps({"type": "read", "seq": r.randint(0, 10 ** 6)}), "silent", None

    def history(i: int) -> Case:
        return json.dumps({"type": "history", "before_seq": r.randint(0, 10 ** 6)}), "history", None

    def hello_again(i: int) -> Case:
        return json.dumps({"type": "hello", "visitor_token": token, "last_seq": 10 ** 9}), "hello", None

    def rate(i: int) -> Case:
        return json.dumps({"type": "rate", "conversation_id": r.choice(["1", "x", "999"]), "value": "good"}), \
            "error", None

    def unknown(i: int) -> Case:
        return json.dumps({"type": r.choice(["shout", "HELLO", "", "ack", "welcome"]), "x": 1}), "error", None

    weighted = [(valid, 6), (duplicate, 1), (long_text, 2), (frame_size, 1), (garbage, 10), (binary, 6),
                (wrong_types, 20), (huge_int, 3), (surrogate, 12), (nested, 10), (typing, 10), (read, 5),
                (history, 4), (hello_again, 4), (rate, 3), (unknown, 6)]
    return [case for case, weight in weighted for _ in range(weight)]


async def _next_answer(tab: Tab) -> dict:
    """The answer to the last frame; live messages (the auto-reply…) may come in between."""
    while True:
        frame = await tab.receive(timeout=30)
        if frame["type"] != "message":
            return frame


async def test_ten_thousand_fuzz_frames_are_each_answered_by_the_contract(connect, caplog):
    r = random.Random(SEED)
    caplog.set_level(logging.WARNING)
    tab = await connect()
    await tab.hello()
    cases = make_cases(r, tab.token or "")
    started = time.monotonic()
    counts: dict[str, int] = {}
    for i in range(FRAMES):
        raw, expected, client_id = r.choice(cases)(i)
        counts[expected] = counts.get(expected, 0) + 1
        if isinstance(raw, bytes):
            await tab.ws.send_bytes(raw)
        else:
            await tab.ws.send_str(raw)
        if expected == "silent":
            continue
        if expected == "closed":
            msg = await tab.ws.receive(timeout=30)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), (i, msg)
            token = tab.token
            tab = await connect()  # the one fatal kind: a fresh socket, the same visitor
            await tab.hello(token, last_seq=10 ** 9)
            continue
        answer = await _next_answer(tab)
        if expected == "hello":
            assert answer["type"] == "welcome", (i, raw[:200], answer)
            assert (await _next_answer(tab))["type"] == "history"
        else:
            assert answer["type"] == expected, (i, str(raw)[:200], answer)
            if client_id is not None and expected in ("ack", "error") and "client_id" in answer:
                assert answer["client_id"] == client_id
        assert time.monotonic() - started < TIME_BOUND, f"{i} frames took too long"
    await tab.say("after ten thousand frames")  # still usable
    assert not tab.pending
    assert not [rec for rec in caplog.records if rec.exc_info or "Traceback" in rec.getMessage()]
    assert counts.get("closed", 0) < FRAMES // 20 and counts.get("ack", 0) > 100 and counts.get("error", 0) > 5000
