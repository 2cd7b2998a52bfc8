"""Telegram updates (Bot API JSON) to the core's inbound events: a pure function, no network.

The raw JSON is read with type checks rather than through ``Update.de_json``:
de_json raises on updates that miss fields newer Bot API versions require
(Telegram would then redeliver them for ever) and checks no types at all.
Files are only named here (``FileRef``); the backend downloads them. What is
nothing for the team (a service message, a member change we do not use) is
None; what we cannot read is ``Unreadable``, which the backend keeps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bridge.channels import UNSHOWABLE, CustomerStatus, InboundEdit, InboundEvent, InboundMessage, Unreadable

# The update types the bot asks for (getUpdates / setWebhook allowed_updates).
ALLOWED_UPDATES = ("message", "edited_message", "my_chat_member")
# kind, default name, default content type, for each file-carrying field of a message.
FILE_FIELDS = {
    "document": ("file", "document", "application/octet-stream"),
    "audio": ("audio", "audio.mp3", "audio/mpeg"),
    "voice": ("audio", "voice.ogg", "audio/ogg"),
    "video": ("video", "video.mp4", "video/mp4"),
    "video_note": ("video", "video-note.mp4", "video/mp4"),
    "animation": ("video", "animation.mp4", "video/mp4"),
}
# What Telegram puts in a chat that nobody wrote: nothing for the team.
SERVICE = {"new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
           "group_chat_created", "supergroup_chat_created", "channel_chat_created", "pinned_message",
           "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id", "successful_payment",
           "connected_website", "write_access_allowed", "proximity_alert_triggered", "video_chat_started",
           "video_chat_ended", "video_chat_scheduled", "video_chat_participants_invited", "forum_topic_created",
           "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened", "users_shared", "chat_shared",
           "boost_added", "chat_background_set"}
NO_IDS = "no chat id or message id"


@dataclass(frozen=True)
class FileRef:
    """A file the customer sent, as Telegram names it."""

    kind: str  # "image", "file", "sticker", "audio", "video"
    file_id: str
    name: str
    content_type: str
    size: int | None = None


@dataclass(frozen=True)
class Parsed:
    event: InboundEvent
    files: tuple[FileRef, ...] = ()


def parse_update(raw: Any) -> Parsed | Unreadable | None:
    """The event an update carries, None for what is nothing for the team, or Unreadable."""
    if not isinstance(raw, Mapping) or not _int(raw.get("update_id")):
        return Unreadable("update", "no update_id")
    if isinstance(raw.get("message"), Mapping):
        return _message(raw["message"])
    if isinstance(raw.get("edited_message"), Mapping):
        return _edit(raw["edited_message"])
    if isinstance(raw.get("my_chat_member"), Mapping):
        return _member(raw["my_chat_member"], raw["update_id"])
    what = str(next((k for k in raw if k != "update_id"), ""))[:30]
    if what in ALLOWED_UPDATES:
        return Unreadable(what, "not an object")
    return Unreadable(f"{what or 'empty'} update", "Open Lines does not take this kind of update")


def update_id(raw: Any) -> int | None:
    return raw.get("update_id") if isinstance(raw, Mapping) and _int(raw.get("update_id")) else None


def _message(m: Mapping[str, Any]) -> Parsed | Unreadable | None:
    chat, message_id = _chat_id(m), m.get("message_id")
    if chat is None or not _int(message_id):
        return Unreadable("message", NO_IDS)
    text, files = _content(m)
    if not text and not files:
        if SERVICE & set(m):
            return None  # a service message (someone joined, a pin...): nothing a customer said
        text = UNSHOWABLE.format(app="Telegram")  # a story, a giveaway...: still the customer's message
    sender = m.get("from")
    event = InboundMessage(customer_ref=chat, external_id=str(message_id), text=text, customer_name=_name(sender),
                           language=_str(sender.get("language_code")) if isinstance(sender, Mapping) else None)
    return Parsed(event, files)


def _edit(m: Mapping[str, Any]) -> Parsed | Unreadable | None:
    chat, message_id = _chat_id(m), m.get("message_id")
    if chat is None or not _int(message_id):
        return Unreadable("edited_message", NO_IDS)
    text, _ = _content(m)
    if not text:
        return None  # a live location moving, a file replaced: the message as first sent stays
    edit_date = m.get("edit_date") if _int(m.get("edit_date")) else 0
    return Parsed(InboundEdit(customer_ref=chat, external_id=str(message_id), edit_id=f"{message_id}@{edit_date}",
                              text=text, customer_name=_name(m.get("from"))))


def _member(update: Mapping[str, Any], update_id: int) -> Parsed | None:
    chat = _chat_id(update)
    new = update.get("new_chat_member")
    status = new.get("status") if isinstance(new, Mapping) else None
    if chat is None or not isinstance(status, str):
        return None
    if status == "kicked":
        return Parsed(CustomerStatus(chat, "blocked", str(update_id)))
    if status == "member":
        return Parsed(CustomerStatus(chat, "subscribed", str(update_id)))
    return None


def _content(m: Mapping[str, Any]) -> tuple[str, tuple[FileRef, ...]]:
    """What the customer said, and the files they sent with it."""
    text = _str(m.get("text")) or _str(m.get("caption"))
    text = text if text.strip() else ""  # blank: the core would refuse it as empty
    files: list[FileRef] = []
    photos = m.get("photo")
    if isinstance(photos, list) and photos and isinstance(photos[-1], Mapping):
        biggest = photos[-1]  # Telegram lists the sizes smallest first
        ref = _file(biggest, "image", f"photo-{_str(biggest.get('file_unique_id')) or 'image'}.jpg", "image/jpeg")
        files += [ref] if ref else []
    sticker = m.get("sticker")
    if isinstance(sticker, Mapping):
        text = text or _str(sticker.get("emoji")) or "(sticker)"
        animated = sticker.get("is_animated") is True or sticker.get("is_video") is True
        ref = None if animated else _file(sticker, "sticker", "sticker.webp", "image/webp")
        files += [ref] if ref else []
    for field, (kind, name, content_type) in FILE_FIELDS.items():
        value = m.get(field)
        if isinstance(value, Mapping):
            ref = _file(value, kind, _str(value.get("file_name")) or name,
                        _str(value.get("mime_type")) or content_type)
            files += [ref] if ref else []
    return text or _described(m), tuple(files)


def _described(m: Mapping[str, Any]) -> str:
    """Words for what carries no text or file, so no customer message goes missing."""
    location, contact = m.get("location"), m.get("contact")
    if isinstance(location, Mapping) and _num(location.get("latitude")) and _num(location.get("longitude")):
        return f"📍 location {location['latitude']}, {location['longitude']}"
    if isinstance(contact, Mapping):
        return f"👤 contact {_str(contact.get('first_name'))} {_str(contact.get('phone_number'))}".strip()
    if isinstance(m.get("poll"), Mapping) or isinstance(m.get("dice"), Mapping):
        return "(a poll or a game the bot cannot show)"
    return ""


def _file(value: Mapping[str, Any], kind: str, name: str, content_type: str) -> FileRef | None:
    file_id = _str(value.get("file_id"))
    if not file_id:
        return None
    size = value.get("file_size")
    return FileRef(kind, file_id, name, content_type, size if _int(size) else None)


def _chat_id(m: Mapping[str, Any]) -> str | None:
    chat = m.get("chat")
    chat_id = chat.get("id") if isinstance(chat, Mapping) else None
    return str(chat_id) if _int(chat_id) else None


def _name(user: Any) -> str:
    if not isinstance(user, Mapping):
        return ""
    full = f"{_str(user.get('first_name'))} {_str(user.get('last_name'))}".strip()
    return full or _str(user.get("username"))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
