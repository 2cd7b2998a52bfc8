"""Meta webhook envelopes (Messenger, Instagram, page feed) parsed into channel events: pure and total.

Any JSON value gives a list of items or a ``PayloadError`` (not an envelope
at all); never another exception. What is known to be nothing for the team
(echoes, reactions, referrals, a post being liked) is left out; what we cannot
read (an unknown event, a message with no id, an Instagram comment) is an item
whose event is ``Unreadable``, with its raw JSON: the channel keeps it.
Ids are opaque text (``relay.platform_id``), never a narrower pattern.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bridge import relay
from bridge.channels import (UNSHOWABLE, DeliveryReceipt, InboundComment, InboundEdit, InboundEvent, InboundMessage,
                             Unreadable)
from bridge.model import Attachment

MESSENGER, INSTAGRAM, COMMENTS = "facebook", "instagram", "fbcomments"
DELETED = "🗑 (the customer deleted this message)"
UNKNOWN = "Open Lines does not know this kind of event"
# Messaging events that are nothing for the team: a reaction, an ad referral, a handover between apps...
_SKIPPED = {"reaction", "referral", "optin", "account_linking", "pass_thread_control", "take_thread_control",
            "request_thread_control", "app_roles", "policy_enforcement"}
_ENVELOPE = {"sender", "recipient", "timestamp"}
_FILES = {"image": "image", "video": "video", "audio": "audio", "file": "file"}
_EPOCH_2000, _EPOCH_2100 = 946_684_800, 4_102_444_800


class PayloadError(ValueError):
    """The body is not a Meta webhook envelope."""


@dataclass(frozen=True)
class Item:
    """One event of an envelope and where it goes."""

    kind: str  # the channel kind that takes it: facebook, instagram or fbcomments
    account: str  # the entry's id: the page or Instagram account it was sent to ("" if it had none)
    event: InboundEvent | Unreadable
    at: float | None = None  # when the customer acted (seconds), if Meta said
    post_id: str = ""  # comments: the post commented on
    permalink: str = ""  # comments: the post's address, when the webhook carries it
    raw: Any = None  # the event's JSON as Meta sent it (kept if it cannot be read or is refused)


def unreadable(kind: str, account: str, what: str, reason: str, raw: Any) -> Item:
    return Item(kind, account, Unreadable(what, reason), raw=raw)


def parse(body: bytes) -> list[Item]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise PayloadError("not a Meta webhook envelope (no entry list)")
    what = _text(data.get("object"))
    kinds = {"page": (MESSENGER, COMMENTS), "instagram": (INSTAGRAM, INSTAGRAM)}.get(what)
    if kinds is None:
        return [unreadable(MESSENGER, "", f"{what[:30] or 'unnamed'} webhook", "not a page or Instagram webhook",
                           data)]
    items: list[Item] = []
    messaging_kind, changes_kind = kinds
    for entry in data["entry"]:
        account = _id(_dict(entry).get("id"))
        if not account:
            items.append(unreadable(messaging_kind, "", "entry", "an entry with no page or account id", entry))
            continue
        for raw in _list(entry.get("messaging")):
            item = _messaging(messaging_kind, account, raw)
            items += [item] if item else []
        for raw in _list(entry.get("changes")):
            item = _change(changes_kind, account, raw) if what == "page" else \
                unreadable(changes_kind, account, f"{_text(_dict(raw).get('field'))[:30]} change",
                           "Open Lines does not answer Instagram comments or mentions", raw)
            items += [item] if item else []
    return items


# -- Messenger and Instagram ---------------------------------------------------------------
def _messaging(kind: str, account: str, raw: Any) -> Item | None:
    m = _dict(raw)
    what = next((k for k in m if k not in _ENVELOPE), "")[:30] or "messaging event"
    if what in _SKIPPED:
        return None
    sender = _id(_dict(m.get("sender")).get("id"))
    if sender == account or _dict(m.get("message")).get("is_echo") is True:
        return None  # the page's own messages come back as echoes
    if not sender:
        return unreadable(kind, account, what, "no sender id", raw)
    at = _time(m.get("timestamp"), 1000)
    event: InboundEvent | Unreadable | None = Unreadable(what, UNKNOWN)
    if "message" in m:
        event = _message(kind, sender, _dict(m.get("message")))
    elif "message_edit" in m:
        event = _edit(sender, _dict(m.get("message_edit")))
    elif "postback" in m:
        event = _postback(sender, _dict(m.get("postback")), m.get("timestamp"))
    elif "read" in m or "delivery" in m:
        event = _receipt(sender, m)
    if event is None:
        return None
    return Item(kind, account, event, at, raw=raw)


def _message(kind: str, sender: str, msg: dict[str, Any]) -> InboundEvent | Unreadable:
    mid = _id(msg.get("mid"))
    if not mid:
        return Unreadable("message", "no message id (mid) of at most 1000 printable characters")
    if msg.get("is_deleted") is True:
        return InboundEdit(sender, mid, f"{mid}#deleted", DELETED)
    text = _body(msg.get("text"))
    attachments = tuple(a for a in map(_attachment, _list(msg.get("attachments"))) if a is not None)
    if not text.strip() and not attachments:
        text = UNSHOWABLE.format(app="Instagram" if kind == INSTAGRAM else "Messenger")
    return InboundMessage(sender, mid, text, attachments=attachments, raw=msg)


def _edit(sender: str, edit: dict[str, Any]) -> InboundEvent | Unreadable | None:
    mid = _id(edit.get("mid"))
    text = _body(edit.get("text"))
    if not mid:
        return Unreadable("message_edit", "no message id (mid) of at most 1000 printable characters")
    if not text.strip():
        return None  # an edit down to nothing: the message as it was stays
    number = edit.get("num_edit")
    which = str(number) if isinstance(number, int) and not isinstance(number, bool) else _digest(text)
    return InboundEdit(sender, mid, f"{mid}#{which}", text)


def _postback(sender: str, postback: dict[str, Any], timestamp: Any) -> InboundEvent | Unreadable:
    """A button the customer tapped: its title is what they "said". With no mid, the tap is named
    by what Meta sent (a redelivery sends the same), never dropped for an odd timestamp."""
    text = _body(postback.get("title")) or _body(postback.get("payload"))
    if not text.strip():
        return Unreadable("postback", "a postback with neither a title nor a payload")
    mid = _id(postback.get("mid")) or f"postback:{_digest(json.dumps([timestamp, postback], default=str))}"
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
def _change(kind: str, account: str, raw: Any) -> Item | None:
    change = _dict(raw)
    value, field = _dict(change.get("value")), _text(change.get("field"))
    what = _text(value.get("item"))
    author = _dict(value.get("from"))
    if field != "feed":
        return unreadable(kind, account, f"{field[:30] or 'unnamed'} change", "Open Lines reads only the feed", raw)
    if what in ("like", "reaction") or _id(author.get("id")) == account:  # the page's own: our replies, its posts
        return None
    if what != "comment":
        return unreadable(kind, account, f"feed {what[:30] or 'item'}", "Open Lines answers comments only", raw)
    comment, post = _id(value.get("comment_id")), _id(value.get("post_id"))
    if not comment or not post:
        return unreadable(kind, account, "comment", "no comment id or post id", raw)
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
    elif verb in ("edited", "hide", "unhide", "block", "unblock"):
        return None  # an edit down to nothing, or a moderation of ours
    else:
        return unreadable(kind, account, f"comment {verb[:20] or 'change'}", UNKNOWN, raw)
    permalink = _url(_dict(value.get("post")).get("permalink_url"))
    return Item(kind, account, event, _time(value.get("created_time"), 1), post, permalink, raw)


# -- total accessors: a wrong type is an absent value ------------------------------------------
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _body(value: Any) -> str:
    """A customer's text: valid Unicode, within what the core stores (cut and marked beyond)."""
    return relay.cut(relay.mended(_text(value)))


def _id(value: Any) -> str:
    return relay.platform_id(value)


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
