"""The website chat's wire format: client frames in (parsed into typed values or refused), server frames out."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from bridge.model import Attachment
from bridge.relay import MAX_TEXT, well_formed

MAX_FRAME = 64 * 1024  # a frame of exactly this size is accepted
MAX_CLIENT_ID = 128
MAX_NAME = 100
MAX_LANGUAGE = 35  # a BCP-47 tag as browsers send it: "fr-FR", "zh-Hans-CN"
RATINGS = ("good", "bad")
# json.loads's own scanner (its default decoder's, in C): (value, end) from a position; set by
# JSONDecoder.__init__, so typeshed does not know it.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class FrameError(Exception):
    def __init__(self, code: str, message: str, client_id: str | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id  # lets the page mark which message was refused
        self.retry_after = retry_after  # rate_limited: seconds to wait

    def frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id:
            frame["client_id"] = self.client_id
        if self.retry_after is not None:
            frame["retry_after"] = self.retry_after
        return frame


@dataclass(frozen=True)
class Hello:
    visitor_token: str | None
    last_seq: int
    name: str
    email: str | None
    language: str | None = None  # the page's language: picks the line's texts in it


@dataclass(frozen=True)
class Say:
    client_id: str
    text: str


@dataclass(frozen=True)
class Typing:
    on: bool


@dataclass(frozen=True)
class HistoryPage:
    before_seq: int  # the client asks for the page of messages older than this one


@dataclass(frozen=True)
class Read:
    seq: int  # the customer saw everything up to here


@dataclass(frozen=True)
class Rate:
    conversation_id: str
    value: str


@dataclass(frozen=True)
class Forget:
    """"Forget this chat": the visitor's token stops working."""


Frame = Hello | Say | Typing | HistoryPage | Read | Rate | Forget


def parse(raw: str) -> Frame:
    data = _json(raw)
    kind = data.get("type")
    if kind == "hello":
        return _hello(data)
    if kind == "message":
        return _say(data)
    if kind == "typing":
        return Typing(on=_field(data, "on", bool))
    if kind == "history":
        return HistoryPage(max(0, _field(data, "before_seq", int)))
    if kind == "read":
        return Read(max(0, _field(data, "seq", int)))
    if kind == "rate":
        value = _text(data, "value", 10)
        if value not in RATINGS:
            raise FrameError("bad_field", "\"value\" is good or bad")
        return Rate(_text(data, "conversation_id", 40), value)
    if kind == "forget":
        return Forget()
    shown = str(kind)[:40].encode("utf-8", "replace").decode()
    raise FrameError("unknown_type", f"unknown frame type {shown!r}: use hello, message, typing, history, "
                                     "read, rate or forget")


def _json(raw: str) -> dict[str, Any]:
    try:
        # json.loads's own scanner, straight, for the common frame: an object with nothing around it
        # (json.loads's three Python layers would only skip whitespace and check nothing follows).
        # Anything else is json.loads's to read, and its errors are the scanner's or its own.
        data, end = _SCAN(raw, 0) if raw[:1] == "{" else (None, -1)
        if end != len(raw):
            data = json.loads(raw)
    except RecursionError:  # the decoder's depth bound (the interpreter's): 2 KB of "[" reach it
        raise FrameError("bad_json", "the frame nests too deeply") from None
    except (ValueError, StopIteration):
        raise FrameError("bad_json", "the frame is not JSON") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "a frame is a JSON object with a \"type\"")
    return data


def _field(data: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    if name not in data or data[name] is None:
        if optional:
            return None
        raise FrameError("missing_field", f"the frame needs \"{name}\"")
    value = data[name]
    # bool is an int in Python: refuse true/false where a number is due.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FrameError("bad_field", f"\"{name}\" must be a {kind.__name__}")
    if isinstance(value, str) and not well_formed(value):
        raise FrameError("bad_field", f"\"{name}\" is not well-formed Unicode")
    return value


def _text(data: dict[str, Any], name: str, limit: int, *, optional: bool = False) -> Any:
    value = _field(data, name, str, optional=optional)
    if value is not None and len(value) > limit:
        raise FrameError("bad_field", f"\"{name}\" has at most {limit} characters")
    return value


def _hello(data: dict[str, Any]) -> Hello:
    if "visitor_token" not in data:
        raise FrameError("missing_field", "the frame needs \"visitor_token\" (null at first)")
    last_seq = _field(data, "last_seq", int)
    token = _field(data, "visitor_token", str, optional=True)
    name = (_field(data, "name", str, optional=True) or "").strip()[:MAX_NAME]
    email = (_field(data, "email", str, optional=True) or "").strip()[:MAX_NAME] or None
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise FrameError("bad_field", "\"email\" is not an email address")
    language = _text(data, "language", MAX_LANGUAGE, optional=True) or None
    return Hello(token, max(0, last_seq), name, email, language)


def _say(data: dict[str, Any]) -> Say:
    client_id, text = data.get("client_id"), data.get("text")
    # The common frame in one test (ASCII is well-formed); anything else goes through the checks
    # below, which say what is wrong.
    if type(client_id) is str and type(text) is str and 0 < len(client_id) <= MAX_CLIENT_ID \
            and len(text) <= MAX_TEXT and client_id.isascii() and text.isascii() and text and not text.isspace():
        return Say(client_id, text)
    return checked_say(data)


def checked_say(data: dict[str, Any]) -> Say:
    """A message frame through every check, each saying what is wrong (the shortcut's oracle in the tests)."""
    client_id = _text(data, "client_id", MAX_CLIENT_ID)
    if not client_id:
        raise FrameError("bad_field", f"\"client_id\" must have 1 to {MAX_CLIENT_ID} characters")
    try:
        text = _field(data, "text", str)
        if len(text) > MAX_TEXT:
            raise FrameError("too_long", f"a message has at most {MAX_TEXT} characters")
        if not text.strip():
            raise FrameError("bad_field", "\"text\" is empty")
    except FrameError as exc:
        exc.client_id = client_id
        raise
    return Say(client_id, text)


def attachment_frame(a: Attachment) -> dict[str, Any]:
    return {"url": a.url, "name": a.name or a.kind, "size": a.size, "content_type": a.content_type}


def message_frame(seq: int, from_customer: bool, author: str, text: str, ts: float,
                  attachments: tuple[Attachment, ...] = (), conversation_id: str | None = None,
                  client_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "message", "seq": seq, "from": "customer" if from_customer else "agent",
                             "author": author, "text": text, "ts": ts}
    if attachments:
        frame["attachments"] = [attachment_frame(a) for a in attachments]
    if conversation_id is not None:
        frame["conversation_id"] = conversation_id
    if client_id is not None:
        frame["client_id"] = client_id
    return frame
