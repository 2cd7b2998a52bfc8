"""Telegram's files and sends: customers' files kept in our store, operators' text and files out."""
from __future__ import annotations

import dataclasses
import datetime
import logging
from urllib.parse import quote

from telegram import Bot, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut

from backends.base import kept_file
from backends.platform_files import FileFetcher
from backends.telegram.parse import FileRef, Parsed
from backends.telegram.request import AiohttpRequest
from bridge.channels import FileStore, InboundEvent, InboundMessage, OutboundMessage
from bridge.errors import CredentialsRefused, CustomerUnreachable, PermanentSendError, RateLimited, SendError
from bridge.model import Attachment

log = logging.getLogger(__name__)
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB
GET_FILE_SECONDS, DOWNLOAD_SECONDS = 30.0, 60.0
CAPTION = 1024  # the longest caption Telegram takes; longer text goes as its own message
BLOCKED = "the customer blocked the bot"


class TelegramSender:
    def __init__(self, bot: Bot, request: AiohttpRequest, files: FileStore, token: str) -> None:
        self.bot, self.request, self.files, self._token = bot, request, files, token
        self.files_in = FileFetcher("Telegram", own=(bot.base_url,))  # the Bot API's host, public or self-hosted

    # -- files in ---------------------------------------------------------------------------
    async def with_files(self, parsed: Parsed) -> InboundEvent:
        """The event with its files downloaded into our store (one that cannot be is named, not lost)."""
        if not parsed.files or not isinstance(parsed.event, InboundMessage):
            return parsed.event
        attachments = tuple([await self._download(ref) for ref in parsed.files])
        return dataclasses.replace(parsed.event, attachments=attachments)

    async def _download(self, ref: FileRef) -> Attachment:
        kept = Attachment(ref.kind, name=ref.name, size=ref.size, content_type=ref.content_type, ref=ref.file_id)
        if ref.size is not None and ref.size > MAX_DOWNLOAD:
            return dataclasses.replace(kept, name=f"{ref.name} (over 20 MB: ask for it another way)")
        try:  # getFile read raw: PTB would read a file_path naming a local file from the disk
            found = await self.request.call(f"{self.bot.base_url}/getFile", {"file_id": ref.file_id},
                                            GET_FILE_SECONDS)
        except TelegramError as exc:
            log.warning("a Telegram file could not be fetched: %s", type(exc).__name__)
            found = None
        path = found.get("file_path") if isinstance(found, dict) else None
        got = await self.files_in.fetch(f"{self.bot.base_file_url}/{quote(path)}", MAX_DOWNLOAD, DOWNLOAD_SECONDS) \
            if isinstance(path, str) and path else None
        if got is None:
            return dataclasses.replace(kept, name=f"{ref.name} (could not be fetched)")
        stored = await kept_file(self.files, got[0], ref.name, ref.content_type, kept)
        return dataclasses.replace(stored, kind=ref.kind, ref=ref.file_id)

    # -- out ----------------------------------------------------------------------------------
    async def send(self, message: OutboundMessage, timeout: float) -> str:
        """Send the text and files; the ids of the messages Telegram stored."""
        chat, text = message.customer_ref, message.text
        try:
            sent: list[str] = []
            if text and (not message.attachments or len(text) > CAPTION):
                result = await self.request.call(f"{self.bot.base_url}/sendMessage", {"chat_id": chat, "text": text},
                                                 timeout)
                sent.append(str(result.get("message_id", "")) if isinstance(result, dict) else "")
                text = ""
            for attachment in message.attachments:
                sent.append(str((await self._send_file(chat, attachment, text, timeout)).message_id))
                text = ""  # the caption goes with the first file only
        except TelegramError as exc:
            raise mapped(exc, self._token) from None
        return ",".join(sent)

    async def _send_file(self, chat: str, attachment: Attachment, caption: str, timeout: float) -> Message:
        found = await self.files.get(attachment.url)
        if found is None:
            content: bytes | str = attachment.url  # not ours: Telegram fetches it
            name = attachment.name or None
        else:
            content, stored = found
            name = stored.name
        caption_arg = caption or None
        if attachment.kind == "image" or attachment.content_type.startswith("image/"):
            return await self.bot.send_photo(chat, content, caption=caption_arg, filename=name, read_timeout=timeout,
                                             write_timeout=timeout)
        return await self.bot.send_document(chat, content, caption=caption_arg, filename=name, read_timeout=timeout,
                                            write_timeout=timeout)


def mapped(exc: TelegramError, token: str) -> SendError:
    """A Telegram error in plain words for operators (its text scrubbed of the token)."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return RateLimited(wait.total_seconds() if isinstance(wait, datetime.timedelta) else float(wait))
    if isinstance(exc, Forbidden):
        said = exc.message.lower()
        if "blocked" in said or "deactivated" in said or "kicked" in said:
            return CustomerUnreachable(BLOCKED)
        return PermanentSendError("Telegram does not let the bot write in this chat")
    if isinstance(exc, InvalidToken):
        return CredentialsRefused("Telegram does not accept the bot's token; connect the channel again")
    if isinstance(exc, ChatMigrated):
        return PermanentSendError("the chat moved to a new id; the customer must write again")
    if isinstance(exc, BadRequest):
        said = exc.message.replace(token, "…")[:200] if token else exc.message[:200]
        return PermanentSendError(f"Telegram refused the message: {said.removeprefix('Bad Request: ')}")
    if isinstance(exc, TimedOut):
        return SendError("Telegram did not answer in time")
    return SendError("Telegram could not be reached")
