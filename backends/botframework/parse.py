"""Bot Framework activities to the core's inbound events: pure functions, no network.

The customer is the conversation (``conversation.id``): a Teams chat or a
Web Chat session; the platform's id of a message is ``activity.id``, which
the dedupe key scopes by that conversation. Ids are opaque text
(``relay.platform_id``); what we cannot read is ``Unreadable``, which the
backend keeps.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bridge.channels import UNSHOWABLE, CustomerStatus, InboundEdit, InboundEvent, InboundMessage, Unreadable
from bridge.relay import platform_id

CARD = "application/vnd.microsoft.card."  # cards are the bot's own kind of content, not a customer's file
# Activities that are nothing for the team: presence, typing, the SDK's own traffic.
QUIET = {"conversationUpdate", "typing", "endOfConversation", "event", "invoke", "messageReaction",
         "contactRelationUpdate", "deleteUserData", "messageDelete", "suggestion", "trace", "handoff", "command",
         "commandResult", "installationUpdate", "messageUpdate"}


@dataclass(frozen=True)
class FileRef:
    url: str  # http(s) or a data: URL (Web Chat, the Emulator)
    name: str
    content_type: str


@dataclass(frozen=True)
class Parsed:
    event: InboundEvent
    files: tuple[FileRef, ...] = ()


def shape_problem(activity: Activity) -> str | None:
    """Why an activity cannot be taken at all (a 400), or None."""
    if not isinstance(activity.type, str) or not activity.type:
        return "an activity needs a type"
    if activity.type in (ActivityTypes.message, ActivityTypes.message_update):
        if not _str(activity.service_url).startswith(("https://", "http://")):
            return "a message needs the serviceUrl to answer it on"
    return None


def parse_activity(activity: Activity) -> Parsed | Unreadable | None:
    """The event an activity carries, None for what is nothing for the team, or Unreadable."""
    conversation = platform_id(getattr(activity.conversation, "id", None))
    kind = _str(activity.type)[:30]
    if not conversation and kind not in QUIET:  # it keys the stored reference
        return Unreadable(f"{kind} activity", "no conversation id of at most 1000 printable characters")
    name = _str(getattr(activity.from_property, "name", None))
    if activity.type == ActivityTypes.message:
        files = tuple(ref for ref in map(_file, activity.attachments or []) if ref is not None)
        if not platform_id(activity.id):
            return Unreadable("message activity", "no activity id of at most 1000 printable characters")
        text = _str(activity.text)
        if not text.strip() and not files:  # a card's submit, a kind of attachment we do not fetch
            text = UNSHOWABLE.format(app="Teams" if activity.channel_id == "msteams" else "customer's chat")
        return Parsed(InboundMessage(conversation, _str(activity.id), text, name, language=_str(activity.locale)),
                      files)
    if activity.type == ActivityTypes.message_update and _str(activity.text).strip():
        when = activity.timestamp.isoformat() if hasattr(activity.timestamp, "isoformat") else ""
        return Parsed(InboundEdit(conversation, _str(activity.id), f"{activity.id}@{when}", _str(activity.text), name))
    if activity.type == ActivityTypes.installation_update and _str(activity.id):
        action = _str(activity.action)
        if action.startswith("remove"):
            return Parsed(CustomerStatus(conversation, "unsubscribed", _str(activity.id)))
        if action.startswith("add"):
            return Parsed(CustomerStatus(conversation, "subscribed", _str(activity.id)))
    if kind in QUIET:
        return None
    return Unreadable(f"{kind or 'untyped'} activity", "Open Lines does not know this kind of activity")


def data_url_bytes(url: str) -> bytes | None:
    """The bytes of a base64 data: URL, None if it is not one."""
    head, comma, body = url.partition(",")
    if not url.startswith("data:") or not comma or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _file(attachment: Any) -> FileRef | None:
    url, content_type = _str(getattr(attachment, "content_url", None)), _str(getattr(attachment, "content_type", None))
    if not url.startswith(("https://", "http://", "data:")) or content_type.startswith(CARD):
        return None
    return FileRef(url, _str(getattr(attachment, "name", None)) or "file", content_type or "application/octet-stream")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
