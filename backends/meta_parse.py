"""Meta webhook envelopes (Messenger, Instagram, page feed) parsed into channel events: pure and total.

Any JSON value gives a list of items or a ``PayloadError`` (not an envelope
at all); never another exception. What we do not know (reactions, referrals,
Instagram comments, a post being liked) is left out: Meta then gets its 200.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bridge.channels import DeliveryReceipt, InboundComment, InboundEdit, InboundEvent, InboundMessage
from bridge.model import Attachment
from bridge.relay import MAX_TEXT

MESSENGER, INSTAGRAM, COMMENTS = "facebook", "instagram", "fbcomments"
DELETED = "🗑 (the customer deleted this message)"
UNSHOWABLE = "[a message this channel cannot show: see it in the {app} app]"
_ID = re.compile(r"^[\w.:=-]{1,200}$", re.ASCII)
_FILES = {"image": "image", "video": "video", "audio": "audio", "file": "file"}
_EPOCH_2000, _EPOCH_2100 = 946_684_800, 4_102_444_800


class PayloadError(ValueError):
    """The body is not a Meta webhook envelope."""


@dataclass(frozen=True)
class Item:
    """One event of an envelope and where it goes."""

    kind: str  # the channel kind that takes it: facebook, instagram or fbcomments
    account: str  # the entry's id: the page or Instagram account it was sent to
    event: InboundEvent
    at: float | None = None  # when the customer acted (seconds), if Meta said
    post_id: str = ""  # comments: the post commented on
    permalink: str = ""  # comments: the post's address, when the webhook carries it


def parse(body: bytes) -> list[Item]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise PayloadError("not a Meta webhook envelope (no entry list)")
    kinds = {"page": (MESSENGER, COMMENTS), "instagram": (INSTAGRAM, None)}.get(_text(data.get("object")))
    if kinds is None:
        return []
    items: list[Item] = []
    messaging_kind, changes_kind = kinds
    for entry in data["entry"]:
        entry = _dict(entry)
        account = _id(entry.get("id"))
        if not account:
            continue
        for raw in _list(entry.get("messaging")):
            item = _messaging(messaging_kind, account, _dict(raw))
            items += [item] if item else []
        if changes_kind is not None:
            for raw in _list(entry.get("changes")):
                item = _change(changes_kind, account, _dict(raw))
                items += [item] if item else []
    return items


# -- Messenger and Instagram ---------------------------------------------------------------
def _messaging(kind: str, account: str, m: dict[str, Any]) -> Item | None:
    sender = _id(_dict(m.get("sender")).get("id"))
    if not sender or sender == account:  # the page's own messages come back as echoes
        return None
    at = _time(m.get("timestamp"), 1000)
    event: InboundEvent | None = None
    if "message" in m:
        event = _message(kind, sender, _dict(m.get("message")))
    elif "message_edit" in m:
        event = _edit(sender, _dict(m.get("message_edit")))
    elif "postback" in m:
        event = _postback(sender, _dict(m.get("postback")), m.get("timestamp"))
    elif "read" in m or "delivery" in m:
        event = _receipt(sender, m)
    return Item(kind, account, event, at) if event is not None else None


def _message(kind: str, sender: str, msg: dict[str, Any]) -> InboundEvent | None:
    mid = _id(msg.get("mid"))
    if not mid or msg.get("is_echo") is True:
        return None
    if msg.get("is_deleted") is True:
        return InboundEdit(sender, mid, f"{mid}#deleted", DELETED)
    text = _body(msg.get("text"))
    attachments = tuple(a for a in map(_attachment, _list(msg.get("attachments"))) if a is not None)
    if not text.strip() and not attachments:
        text = UNSHOWABLE.format(app="Instagram" if kind == INSTAGRAM else "Messenger")
    return InboundMessage(sender, mid, text, attachments=attachments, raw=msg)


def _edit(sender: str, edit: dict[str, Any]) -> InboundEvent | None:
    mid = _id(edit.get("mid"))
    text = _body(edit.get("text"))
    if not mid or not text.strip():
        return None
    number = edit.get("num_edit")
    which = str(number) if isinstance(number, int) and not isinstance(number, bool) else _digest(text)
    return InboundEdit(sender, mid, f"{mid}#{which}", text)


def _postback(sender: str, postback: dict[str, Any], timestamp: Any) -> InboundEvent | None:
    """A button the customer tapped: its title is what they "said"."""
    text = _body(postback.get("title")) or _body(postback.get("payload"))
    mid = _id(postback.get("mid")) or (f"postback:{timestamp}" if _time(timestamp, 1000) else "")
    if not mid or not text.strip():
        return None
    return InboundMessage(sender, mid, text, raw=postback)


def _receipt(sender: str, m: dict[str, Any]) -> InboundEvent | None:
    status = "read" if "read" in m else "delivered"
    body = _dict(m.get(status if status == "read" else "delivery"))
    mids = tuple(x for x in (_id(v) for v in [body.get("mid"), *_list(body.get("mids"))]) if x)
    watermark = _time(body.get("watermark"), 1000)
    if not mids and watermark is None:
        return None
    return DeliveryReceipt(sender, status, mids, watermark)


def _attachment(raw: Any) -> Attachment | None:
    a = _dict(raw)
    kind = _text(a.get("type"))
    payload = _dict(a.get("payload"))
    url = _url(payload.get("url"))
    if kind in _FILES:
        return Attachment(_FILES[kind], url=url) if url else None
    title = _body(payload.get("title") or a.get("title"))[:200]
    if not url and not title:
        return None
    return Attachment("link", url=url, name=title or kind[:40] or "link")  # shares, reels, story mentions


# -- page comments ---------------------------------------------------------------------------
def _change(kind: str, account: str, change: dict[str, Any]) -> Item | None:
    value = _dict(change.get("value"))
    if _text(change.get("field")) != "feed" or _text(value.get("item")) != "comment":
        return None
    comment, post = _id(value.get("comment_id")), _id(value.get("post_id"))
    author = _dict(value.get("from"))
    if not comment or not post or _id(author.get("id")) == account:  # the page's own comments: our replies
        return None
    parent = _id(value.get("parent_id"))
    thread = parent if parent and parent != post else comment  # Facebook keeps comments two levels deep
    customer = _id(author.get("id")) or f"commenter:{comment}"
    verb, text = _text(value.get("verb")), _body(value.get("message"))
    event: InboundEvent
    if verb == "add":
        photo = _url(value.get("photo"))
        files = (Attachment("image", url=photo),) if photo else ()
        if not text.strip() and not files:
            text = UNSHOWABLE.format(app="Facebook")
        event = InboundComment(customer, comment, text, _body(author.get("name"))[:200], attachments=files,
                               raw=value, thread=thread)
    elif verb == "edited" and text.strip():
        event = InboundEdit(customer, comment, f"{comment}#{_digest(text)}", text)
    elif verb == "remove":
        event = InboundEdit(customer, comment, f"{comment}#deleted", DELETED)
    else:
        return None
    permalink = _url(_dict(value.get("post")).get("permalink_url"))
    return Item(kind, account, event, _time(value.get("created_time"), 1), post, permalink)


# -- total accessors: a wrong type is an absent value ------------------------------------------
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _body(value: Any) -> str:
    """A customer's text: valid Unicode, within what the core stores."""
    text = _text(value).encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 2] + " …"


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ID.match(value) else ""


def _url(value: Any) -> str:
    url = _text(value)
    return url if url.startswith(("https://", "http://")) and len(url) <= 2000 else ""


def _time(value: Any, per_second: int) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = value / per_second
    return float(seconds) if _EPOCH_2000 < seconds < _EPOCH_2100 else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
