"""Messenger and Instagram direct messages: the Send API with Meta's reply windows.

Per customer the state keeps ``last_inbound`` (when they last wrote, by Meta's
timestamp: the windows are Meta's), their ``name`` (asked once from the
Graph API) and, while a long message goes out in parts, its progress.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

from backends.meta.base import MetaBackend, Part, chunks
from backends.meta.parse import Item
from backends.meta.window import reply_window, window_refusal
from bridge.channels import InboundMessage, OutboundMessage, SendResult
from bridge.errors import PermanentSendError, SendError
from bridge.model import Attachment

log = logging.getLogger(__name__)
NAME_RETRY = 24 * 3600.0  # a name Meta would not give is asked again a day later
PROFILE_TIMEOUT = 5.0


class MessagingBackend(MetaBackend):
    text_limit: ClassVar[int] = 2000
    someone: ClassVar[str] = "Facebook user"  # the name when Meta gives none
    uploads: ClassVar[bool] = True  # files go as bytes (Messenger); else as our URL for Meta to fetch

    # -- what subclasses say ----------------------------------------------------------------
    def messages_path(self) -> str:
        raise NotImplementedError

    async def profile_name(self, customer_ref: str) -> str:
        raise NotImplementedError

    # -- inbound ----------------------------------------------------------------------------------
    async def complete(self, item: Item) -> Any:
        event = item.event
        if not isinstance(event, InboundMessage):
            return event
        name = await self._name(event.customer_ref)
        at = min(item.at or self.now(), self.now())

        def wrote(state: dict[str, Any]) -> None:
            # Kept before the core hears of it: the welcome it may send right away reads it.
            state["last_inbound"] = max(float(state.get("last_inbound") or 0), at)
            if name:
                state["name"] = name
            elif not state.get("name"):
                state["name_tried"] = self.now()
        await self.change_state(event.customer_ref, wrote)
        return replace(event, customer_name=name or self.someone, attachments=await self.keep_files(event.attachments))

    async def _name(self, customer_ref: str) -> str:
        state = await self.state(customer_ref)
        if state.get("name"):
            return str(state["name"])
        if self.now() - float(state.get("name_tried") or 0) < NAME_RETRY:
            return ""
        try:
            return (await self.profile_name(customer_ref)).strip()[:200]
        except SendError as exc:
            log.info("no name for a %s customer: %s", self.kind, exc.reason)
            return ""

    # -- outbound ---------------------------------------------------------------------------------
    async def preflight(self, message: OutboundMessage) -> str | None:
        state = await self.state(message.customer_ref)
        return window_refusal(_seconds(state.get("last_inbound")), self.now())

    async def send(self, message: OutboundMessage) -> SendResult:
        state = await self.state(message.customer_ref)
        window = reply_window(_seconds(state.get("last_inbound")), self.now())
        if window.tag and message.automatic:
            raise PermanentSendError("Meta lets only a person answer more than 24 hours after the customer's "
                                     "last message: this automatic message was not sent")
        fields = {"recipient": {"id": message.customer_ref}, **window.fields()}
        parts: list[Part] = [self._text(fields, piece) for piece in chunks(message.text, self.text_limit)]
        parts += [self._file(fields, a) for a in message.attachments]
        return await self.deliver(message, parts)

    def _text(self, fields: dict[str, Any], text: str) -> Part:
        async def send() -> str | None:
            sent = await self.graph.post(self.messages_path(), {**fields, "message": {"text": text}})
            return _message_id(sent)
        return send

    def _file(self, fields: dict[str, Any], attachment: Attachment) -> Part:
        async def send() -> str | None:
            kind = attachment_type(attachment)
            local = await self.outgoing_file(attachment) if self.uploads else None
            if local is None:  # Meta fetches it from our public address (or from wherever it is)
                payload = {"url": attachment.url, "is_reusable": False}
                sent = await self.graph.post(self.messages_path(),
                                             {**fields, "message": {"attachment": {"type": kind, "payload": payload}}})
            else:
                data, stored = local
                message = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
                sent = await self.graph.upload(self.messages_path(), {**fields, "message": message}, data,
                                               stored.name, stored.content_type)
            return _message_id(sent)
        return send


def attachment_type(attachment: Attachment) -> str:
    """The Send API's attachment type: image, video, audio or file."""
    major = attachment.content_type.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major
    return attachment.kind if attachment.kind in ("image", "video", "audio") else "file"


def _message_id(sent: dict[str, Any]) -> str | None:
    value = sent.get("message_id")
    return value if isinstance(value, str) else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value else None
