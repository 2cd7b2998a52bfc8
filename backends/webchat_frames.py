"""The website chat's wire format: client frames in, server frames out."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from bridge.relay import MAX_TEXT

MAX_FRAME = 64 * 1024
MAX_CLIENT_ID = 128
MAX_NAME = 100


class FrameError(Exception):
    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id  # lets the page mark which message was refused

    def frame(self) -> dict[str, str]:
        frame = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id:
            frame["client_id"] = self.client_id
        return frame


@dataclass(frozen=True)
class Hello:
    visitor_token: str | None
    last_seq: int
    name: str
    email: str | None


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


def parse(raw: str) -> Hello | Say | Typing | HistoryPage:
    try:
        data = json.loads(raw)
    except ValueError:
        raise FrameError("bad_json", "the frame is not JSON") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "a frame is a JSON object with a \"type\"")
    kind = data.get("type")
    if kind == "hello":
        return _hello(data)
    if kind == "message":
        return _say(data)
    if kind == "typing":
        return Typing(on=_field(data, "on", bool))
    if kind == "history":
        return HistoryPage(max(0, _field(data, "before_seq", int)))
    raise FrameError("unknown_type", f"unknown frame type {str(kind)[:40]!r}: use hello, message, typing or history")


def _field(data: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    if name not in data or data[name] is None:
        if optional:
            return None
        raise FrameError("missing_field", f"the frame needs \"{name}\"")
    value = data[name]
    # bool is an int in Python: refuse true/false where a number is due.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FrameError("bad_field", f"\"{name}\" must be a {kind.__name__}")
    return value


def _hello(data: dict[str, Any]) -> Hello:
    if "visitor_token" not in data:
        raise FrameError("missing_field", "the frame needs \"visitor_token\" (null at first)")
    last_seq = _field(data, "last_seq", int)
    name = (_field(data, "name", str, optional=True) or "").strip()[:MAX_NAME]
    email = (_field(data, "email", str, optional=True) or "").strip()[:MAX_NAME] or None
    return Hello(_field(data, "visitor_token", str, optional=True), max(0, last_seq), name, email)


def _say(data: dict[str, Any]) -> Say:
    client_id = _field(data, "client_id", str)
    if not client_id or len(client_id) > MAX_CLIENT_ID:
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


class VisitorTokens:
    """Tokens the server hands out and can recognise; the journal keeps only a hash.

    A token is ``<random>.<signature>``: a browser cannot make one up, so a
    forged or foreign token simply starts a new visitor.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce)}"

    def customer_ref(self, token: str | None) -> str | None:
        """The visitor's identity for a valid token, None for anything else."""
        if not token or token.count(".") != 1 or len(token) > 200:
            return None
        nonce, signature = token.split(".")
        if not hmac.compare_digest(signature.encode(), self._sign(nonce).encode()):
            return None
        return "v-" + hashlib.sha256(nonce.encode(errors="replace")).hexdigest()[:32]

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(errors="replace"), hashlib.sha256).hexdigest()[:32]


def message_frame(seq: int, from_customer: bool, author: str, text: str, ts: float) -> dict[str, Any]:
    return {"type": "message", "seq": seq, "from": "customer" if from_customer else "agent",
            "author": author, "text": text, "ts": ts}
