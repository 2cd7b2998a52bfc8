"""Viber: a signed webhook in, the REST Bot API out, over one aiohttp session.

viberbot's sender is synchronous ``requests`` with no timeout, and logs
whole payloads (the auth token is in them) when a call fails, so the few
calls are made here with aiohttp; viberbot still builds and validates the
message payloads. Callbacks are stored (``sink.accept``) before Viber gets
its 200, and Viber retries anything else for about an hour.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from viberbot.api.messages import FileMessage, PictureMessage, TextMessage
from viberbot.api.messages.message import Message as ViberMessage

from backends.base import (keep_trying, kept_file, kept_or_retry, raw_text, reachable_url, refused_kind, released,
                           stored_or_retry)
from backends.platform_files import FileFetcher
from backends.viber.kind import NAME as KIND
from backends.viber.kind import ViberSettings
from backends.viber.parse import EVENT_TYPES, MediaRef, Parsed, Started, parse_callback
from bridge.channels import (
    ChannelBackend,
    ChannelContext,
    InboundEvent,
    InboundMessage,
    InboundSink,
    OutboundMessage,
    SendResult,
    Unreadable,
)
from bridge.errors import (CredentialsRefused, CustomerUnreachable, PermanentSendError, RateLimited, SendError,
                           channel_problem)
from bridge.model import Attachment, ChannelBinding

log = logging.getLogger(__name__)
SIGNATURE = "X-Viber-Content-Signature"
MAX_MEDIA = 50 * 1024 * 1024
BUSY_WAIT = 60.0  # Viber's "too many requests" names no wait: a minute, unless a Retry-After says
# Viber's status codes (in a 200 answer) and what they mean for a message.
UNREACHABLE = {5: "the customer is not on Viber any more", 6: "the customer unsubscribed from the bot",
               11: "the customer has no device that can receive it"}
ACCOUNT = {2: "Viber does not accept the bot's token", 7: "the bot's account is blocked",
           8: "the bot's account was not found", 9: "the bot's account is suspended",
           10: "the webhook is not set: Viber takes no messages from the bot yet",
           15: "the bot's account is not authorised"}
NAMES = {1: "invalid URL", 3: "bad data", 4: "missing data", 13: "API version not supported",
         14: "incompatible with the customer's version"}


class ViberBackend(ChannelBackend):
    kind = KIND
    first_retry = 1.0

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self.settings = ViberSettings.of(binding.settings, binding.secrets)
        self._token = self.settings.token
        self._api = self.settings.api_url.rstrip("/") + "/pa"
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._parts_sent: dict[int, list[str]] = {}  # seq -> tokens of the parts already out (a retry skips them)
        self.send_timeout = 20.0

    async def start(self) -> None:
        self._session = self._api_session()
        self._media = FileFetcher("Viber", own=(self._api,))  # customers' files on Viber's CDN: no token there
        self.context.http.mount(KIND, self.binding.key, self)
        self._task = asyncio.get_running_loop().create_task(self._keep_webhook())

    async def stop(self) -> None:
        started = (self._session, self._media) if self._session is not None else ()
        await released(self.context, KIND, self.binding.key, self._task, *started)

    def _api_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(headers={"X-Viber-Auth-Token": self._token})

    async def check(self) -> None:
        """get_account_info with the token (the backend need not be started: `!line connect` checks first)."""
        async with self._api_session() as session:
            await self._call("get_account_info", {}, session)

    def callback_url(self) -> str:
        return f"{reachable_url(self.context)}/viber/{self.binding.key}"

    async def _keep_webhook(self) -> None:
        """Tell Viber where to call, retrying until it heard us (it checks the URL with a signed call)."""
        await keep_trying("Viber set_webhook", lambda: self._call(
            "set_webhook", {"url": self.callback_url(), "event_types": EVENT_TYPES, "send_name": True}), (SendError,),
            self, lambda exc: channel_problem(exc) if isinstance(exc, SendError) else "Viber could not be reached")

    # -- out ---------------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendResult:
        parts: list[ViberMessage] = [TextMessage(text=message.text)] if message.text.strip() else []
        parts += [_media_message(a) for a in message.attachments]
        done = self._parts_sent.setdefault(message.seq, [])
        sender = {"name": (message.author or self.binding.label or "Support")[:28]}
        try:
            for part in parts[len(done):]:
                answer = await self._call("send_message", {"receiver": message.customer_ref, "min_api_version": 1,
                                                           "sender": sender, **part.to_dict()})
                done.append(str(answer.get("message_token", "")))
        except SendError as exc:
            if not exc.retryable:  # no retry will resume it: nothing to remember
                self._parts_sent.pop(message.seq, None)
            raise
        self._parts_sent.pop(message.seq, None)
        return SendResult(",".join(done))

    async def _call(self, endpoint: str, payload: dict[str, Any],
                    session: aiohttp.ClientSession | None = None) -> dict[str, Any]:
        session = session or self._session
        assert session is not None
        try:
            async with session.post(f"{self._api}/{endpoint}", json=payload,
                                          timeout=aiohttp.ClientTimeout(total=self.send_timeout)) as response:
                if response.status == 429 or response.status >= 500:
                    raise _http_error(response)
                answer = await response.json(content_type=None)
                wait = response.headers.get("Retry-After")
        except asyncio.TimeoutError:
            raise SendError("Viber did not answer in time") from None
        except (aiohttp.ClientError, ValueError) as exc:  # the type only: texts may name the URL
            raise SendError(f"Viber could not be reached ({type(exc).__name__})") from None
        status = answer.get("status") if isinstance(answer, dict) else None
        if status == 0:
            return answer
        raise _status_error(status, answer.get("status_message") if isinstance(answer, dict) else None, wait,
                            self._token)

    # -- in -------------------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = hmac.new(self._token.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get(SIGNATURE, "").encode("utf-8", "surrogateescape"),
                                   expected.encode()):
            raise web.HTTPForbidden(text="not signed by Viber\n")
        try:
            parsed = parse_callback(json.loads(body))
        except (ValueError, RecursionError):  # signed, so Viber's: a 4xx would only bring it back for an hour
            parsed = Unreadable("callback", "not JSON")
        if parsed is None:
            return web.json_response({})
        if isinstance(parsed, Unreadable):
            await kept_or_retry("a Viber callback", self._keep(parsed.kind, parsed.reason, body))
            return web.json_response({})
        if isinstance(parsed.event, Started):
            return await self._greet(parsed.event.language)
        event = parsed.event
        await stored_or_retry("a Viber callback", self._accept(parsed, event),
                              lambda reason: self._keep(refused_kind(event), reason, body))
        return web.json_response({})

    async def _keep(self, what: str, reason: str, body: bytes) -> None:
        await self.sink.keep(self.binding, what, reason, raw_text(body))

    async def _accept(self, parsed: Parsed, event: InboundEvent) -> None:
        await self.sink.accept(self.binding, await self._with_media(parsed, event))

    async def _greet(self, language: str) -> web.Response:
        """The answer to conversation_started is shown to the customer as the bot's first message."""
        name, text = await self.sink.greeting(self.binding, language or None)
        if not text.strip():
            return web.json_response({})
        return web.json_response({"sender": {"name": name[:28]}, **TextMessage(text=text).to_dict()})

    async def _with_media(self, parsed: Parsed, event: InboundEvent) -> InboundEvent:
        if not parsed.media or not isinstance(event, InboundMessage):
            return event
        return dataclasses.replace(event, attachments=tuple([await self._download(m) for m in parsed.media]))

    async def _download(self, media: MediaRef) -> Attachment:
        kept = Attachment(media.kind, url=media.url, name=media.name, size=media.size, content_type=media.content_type)
        if media.size is not None and media.size > MAX_MEDIA:
            return kept
        got = await self._media.fetch(media.url, MAX_MEDIA, self.send_timeout)
        if got is None:
            return kept
        stored = await kept_file(self.context.files, got[0], media.name, media.content_type, kept)
        return dataclasses.replace(stored, kind=media.kind)


def _media_message(attachment: Attachment) -> ViberMessage:
    """Viber fetches media by URL: ours are served by this server under unguessable URLs."""
    if attachment.kind == "image" or attachment.content_type.startswith("image/"):
        return PictureMessage(media=attachment.url)
    return FileMessage(media=attachment.url, size=attachment.size or 1, file_name=attachment.name or "file")


def _http_error(response: aiohttp.ClientResponse) -> SendError:
    if response.status == 429:
        return RateLimited(_seconds(response.headers.get("Retry-After")) or BUSY_WAIT)
    return SendError(f"Viber is unavailable (HTTP {response.status})")


def _status_error(status: Any, said: Any, retry_after: str | None, token: str) -> SendError:
    if status == 12:
        return RateLimited(_seconds(retry_after) or BUSY_WAIT, "Viber says: too many requests")
    if status in UNREACHABLE:
        return CustomerUnreachable(UNREACHABLE[status])
    if status == 2:
        return CredentialsRefused(ACCOUNT[status])
    if status in ACCOUNT:
        return PermanentSendError(ACCOUNT[status])
    words = said.replace(token, "…")[:200] if isinstance(said, str) and token else ""
    name = NAMES.get(status, f"status {status}") if isinstance(status, int) else "an unreadable answer"
    if not isinstance(status, int):
        return SendError(f"Viber gave {name}")
    return PermanentSendError(f"Viber refused the message ({name}){': ' + words if words else ''}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
