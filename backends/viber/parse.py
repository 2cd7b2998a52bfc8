"""Viber callbacks (REST Bot API JSON) to the core's inbound events: a pure function, no network.

viberbot's ``parse_request`` raises a bare Exception on unknown types and
checks no field types; this reads the same documented JSON with type checks.
Media are only named here (``MediaRef``, a URL on Viber's servers); the
backend downloads them. What we cannot read is ``Unreadable``: the backend keeps it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from viberbot.api.event_type import EventType

from bridge import relay
from bridge.channels import UNSHOWABLE, CustomerStatus, DeliveryReceipt, InboundEvent, InboundMessage, Unreadable

# What the webhook asks Viber to send besides messages.
EVENT_TYPES = [EventType.DELIVERED, EventType.SEEN, EventType.FAILED, EventType.SUBSCRIBED,
               EventType.UNSUBSCRIBED, EventType.CONVERSATION_STARTED]
# Callbacks that are nothing for the team: Viber's webhook check, a failed delivery (the send already
# failed or succeeded on our side), the customer's client status.
QUIET = {"webhook", "failed", "client_status"}
MEDIA = {"picture": ("image", "picture.jpg", "image/jpeg"), "video": ("video", "video.mp4", "video/mp4"),
         "file": ("file", "file", "application/octet-stream"), "sticker": ("sticker", "sticker.png", "image/png")}


@dataclass(frozen=True)
class MediaRef:
    kind: str
    url: str
    name: str
    content_type: str
    size: int | None = None


@dataclass(frozen=True)
class Started:
    """Someone opened the chat with the bot (not a message: answered with the line's greeting)."""

    customer_ref: str
    language: str = ""  # the user's device language: the greeting is in it where the line has it


@dataclass(frozen=True)
class Parsed:
    event: InboundEvent | Started
    media: tuple[MediaRef, ...] = ()


def parse_callback(raw: Any) -> Parsed | Unreadable | None:
    """The event a callback carries, None for what is nothing for the team, or Unreadable."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("event"), str):
        return Unreadable("callback", "no event type")
    event, token = raw["event"], _token(raw.get("message_token"))
    if event == EventType.MESSAGE:
        return _message(raw, token)
    user_id = relay.platform_id(raw.get("user_id"))
    if event == EventType.UNSUBSCRIBED and user_id and token:
        return Parsed(CustomerStatus(user_id, "unsubscribed", token))
    if event == EventType.SUBSCRIBED and _user_id(raw.get("user")) and token:
        return Parsed(CustomerStatus(_user_id(raw["user"]), "subscribed", token))
    if event in (EventType.DELIVERED, EventType.SEEN) and user_id and token:
        status = "read" if event == EventType.SEEN else "delivered"
        return Parsed(DeliveryReceipt(user_id, status, (token,)))
    if event == EventType.CONVERSATION_STARTED and _user_id(raw.get("user")):
        return Parsed(Started(_user_id(raw["user"]), _str(raw["user"].get("language"))))
    if event in QUIET or event in (EventType.UNSUBSCRIBED, EventType.SUBSCRIBED, EventType.DELIVERED,
                                   EventType.SEEN, EventType.CONVERSATION_STARTED):
        return None  # a status with a field missing tells the team nothing either
    return Unreadable(f"{event[:30]} callback", "Open Lines does not know this kind of callback")


def _message(raw: Mapping[str, Any], token: str) -> Parsed | Unreadable:
    sender, message = raw.get("sender"), raw.get("message")
    customer = _user_id(sender)
    if not customer or not token or not isinstance(message, Mapping):
        return Unreadable("message", "no sender id, message token or message")
    kind = _str(message.get("type"))
    text = _str(message.get("text")) if _str(message.get("text")).strip() else ""
    media: tuple[MediaRef, ...] = ()
    if kind in MEDIA and _str(message.get("media")).startswith(("https://", "http://")):
        what, name, content_type = MEDIA[kind]
        size = message.get("size")
        media = (MediaRef(what, message["media"], _str(message.get("file_name")) or name, content_type,
                          size if isinstance(size, int) and not isinstance(size, bool) else None),)
    text = text or _described(kind, message) or ("" if media else UNSHOWABLE.format(app="Viber"))
    name = _str(sender.get("name")) if isinstance(sender, Mapping) else ""
    language = _str(sender.get("language")) if isinstance(sender, Mapping) else ""
    return Parsed(InboundMessage(customer, token, text, name, language=language or None), media)


def _described(kind: str, message: Mapping[str, Any]) -> str:
    """Words for what carries no text, so no customer message goes missing."""
    if kind == "sticker":
        return "(sticker)"
    location, contact = message.get("location"), message.get("contact")
    if kind == "location" and isinstance(location, Mapping):
        return f"📍 location {location.get('lat')}, {location.get('lon')}"
    if kind == "contact" and isinstance(contact, Mapping):
        return f"👤 contact {_str(contact.get('name'))} {_str(contact.get('phone_number'))}".strip()
    if kind == "url":
        return _str(message.get("media"))
    return ""


def _user_id(user: Any) -> str:
    return relay.platform_id(user.get("id")) if isinstance(user, Mapping) else ""


def _token(value: Any) -> str:
    """Viber's message tokens are 64-bit numbers (sometimes sent as strings): opaque text to us."""
    return relay.platform_id(value)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
