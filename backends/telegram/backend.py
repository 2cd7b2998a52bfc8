"""Telegram: long polling by default (no public URL needed) or a webhook, over python-telegram-bot.

Inbound updates are stored (``sink.accept``) before Telegram hears back: a
webhook answers 200 only after, and polling moves the getUpdates offset only
past updates that are stored, so a crash redelivers and never loses.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from typing import Any

import aiohttp
from aiohttp import web

from backends.base import keep_trying, kept_or_retry, raw_text, reachable_url, refused_kind, released
from backends.pacing import Pacer
from backends.telegram.kind import NAME as KIND
from backends.telegram.kind import TelegramSettings
from backends.telegram.parse import ALLOWED_UPDATES, parse_update, update_id
from bridge.channels import (
    ChannelBackend,
    ChannelContext,
    CustomerStatus,
    InboundSink,
    OutboundMessage,
    SendResult,
    Signal,
    Unreadable,
)
from bridge.errors import Refused, SendError, channel_problem
from bridge.leases import LEASE_SECONDS, SoleRunner
from bridge.model import ChannelBinding

# PTB 22 warns on every integer time period unless told to use timedeltas (it will by default).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot  # noqa: E402  (after the switch above)
from telegram.error import InvalidToken, TelegramError  # noqa: E402

from backends.telegram.request import AiohttpRequest  # noqa: E402
from backends.telegram.send import BLOCKED, TelegramSender, mapped  # noqa: E402

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_SECONDS = 25  # long poll: Telegram answers at once when an update comes
MAX_BACKOFF = 60.0


class TelegramBackend(ChannelBackend):
    kind = KIND
    first_retry = 1.0
    # Long polling runs in one process of those sharing the journal: getUpdates from two at once would
    # answer one of them 409 and split the updates. A dead poller is replaced within this (tests shorten it).
    lease_seconds = LEASE_SECONDS

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self.settings = TelegramSettings.of(binding.settings, binding.secrets)
        self._token = self.settings.token
        self._api = self.settings.api_url.rstrip("/")
        # The header Telegram echoes on every webhook call: derived, so nothing more to keep.
        self._secret_token = hmac.new(context.secret, f"telegram:{self._token}".encode(), hashlib.sha256).hexdigest()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        leases = context.leases
        self.poller = SoleRunner(leases, f"{KIND}-poll:{binding.key}", self.lease_seconds) if leases else None
        self.pacer = Pacer(per_key=1.0, key_burst=3, overall=30.0, overall_burst=30)
        self.send_timeout = 20.0  # seconds for one Bot API call (tests shorten it)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self.bot = self._bot(self._session)
        self._updates_request = AiohttpRequest(self._session)  # getUpdates, read raw (see _updates)
        self.sender = TelegramSender(self.bot, AiohttpRequest(self._session), self.context.files, self._token)
        if self.settings.webhook:
            self.context.http.mount(KIND, self.binding.key, self)
            self._task = asyncio.get_running_loop().create_task(self._keep_webhook())
        elif self.poller is not None:
            self._task = asyncio.get_running_loop().create_task(self.poller.run(self._poll))
        else:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        started = (self._session, self.sender.files_in) if self._session is not None else ()
        await released(self.context, KIND, self.binding.key, self._task, *started)

    def _bot(self, session: aiohttp.ClientSession) -> Bot:
        return Bot(self._token, base_url=f"{self._api}/bot", base_file_url=f"{self._api}/file/bot",
                   request=AiohttpRequest(session), get_updates_request=AiohttpRequest(session))

    async def check(self) -> None:
        """getMe with the token (the backend need not be started: `!line connect` checks first)."""
        async with aiohttp.ClientSession() as session:
            try:
                await self._bot(session).get_me(read_timeout=self.send_timeout)
            except TelegramError as exc:
                raise mapped(exc, self._token) from None

    def callback_url(self) -> str | None:
        if not self.settings.webhook:
            return None
        return f"{reachable_url(self.context)}/telegram/{self.binding.key}"

    # -- out -------------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendResult:
        await self.pacer.turn(message.customer_ref)
        try:
            external_id = await self.sender.send(message, self.send_timeout)
        except SendError as exc:
            if exc.reason == BLOCKED:
                await self._blocked(message)
            raise
        return SendResult(external_id)

    async def signal(self, signal: Signal) -> None:
        """An operator typing shows as "typing…" in the customer's chat (it fades by itself)."""
        if signal.kind != "typing" or not signal.data.get("on"):
            return
        try:
            await self.bot.send_chat_action(signal.customer_ref, "typing", read_timeout=self.send_timeout)
        except TelegramError as exc:
            log.info("Telegram typing not shown: %s", type(exc).__name__)

    async def _blocked(self, message: OutboundMessage) -> None:
        try:
            await self.sink.accept(self.binding, CustomerStatus(message.customer_ref, "blocked", f"send-{message.seq}"))
        except Exception as exc:  # the failure itself is reported anyway
            log.warning("could not mark a blocked Telegram customer: %s", type(exc).__name__)

    # -- in ----------------------------------------------------------------------------------
    async def take(self, raw: Any) -> None:
        """Store what one update carries, or keep it if we cannot read it; raises if neither was stored."""
        parsed = parse_update(raw)
        if parsed is None:
            return
        if isinstance(parsed, Unreadable):
            await self.sink.keep(self.binding, parsed.kind, parsed.reason, raw_text(raw))
            return
        event = await self.sender.with_files(parsed)
        try:
            await self.sink.accept(self.binding, event)
        except Refused as exc:  # a rule of ours: kept and shown, never only logged
            log.warning("Telegram update %s refused: %s; kept as unreadable", update_id(raw), exc)
            await self.sink.keep(self.binding, refused_kind(event),
                                 str(exc), raw_text(raw))

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")  # any bytes: a 403
        if not hmac.compare_digest(given, self._secret_token.encode()):
            raise web.HTTPForbidden(text="not from Telegram\n")
        body = await request.read()
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError):  # signed, so Telegram's: kept, never a 4xx it would drop
            raw = raw_text(body)
        # Telegram retries what did not get a 2xx: a failure to store or keep answers 503.
        await kept_or_retry("a Telegram update", self.take(raw))
        return web.Response(text="ok\n")

    async def _keep_webhook(self) -> None:
        """Tell Telegram where to call, retrying until it heard us (it may be away at start)."""
        await keep_trying("Telegram set_webhook", lambda: self.bot.set_webhook(
            self.callback_url() or "", secret_token=self._secret_token, allowed_updates=list(ALLOWED_UPDATES),
            read_timeout=self.send_timeout), (TelegramError,), self, self._problem)

    def _problem(self, exc: BaseException) -> str:
        """Why Telegram takes nothing from us, for the admin: refused credentials or an absent Telegram."""
        if isinstance(exc, TelegramError):
            return channel_problem(mapped(exc, self._token))
        return f"Telegram could not be reached ({type(exc).__name__})"

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        webhook_cleared = False
        while True:
            try:
                if not webhook_cleared:  # getUpdates is refused while a webhook is set
                    await self.bot.delete_webhook(read_timeout=self.send_timeout)
                    webhook_cleared = True
                    self.troubled(None)  # Telegram took the token: running, before a long poll that may last
                updates = await self._updates(offset)
                self.troubled(None)
                for raw in updates:
                    await self.take(raw)  # raises if not stored: the offset stays, Telegram redelivers
                    taken = update_id(raw)
                    offset = taken + 1 if taken is not None else offset
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                level = logging.ERROR if isinstance(exc, InvalidToken) else logging.WARNING
                log.log(level, "Telegram polling failed (%d): %s", failures, type(exc).__name__)
                wait = min(MAX_BACKOFF, self.first_retry * 2.0 ** (failures - 1))
                if not webhook_cleared or isinstance(exc, TelegramError):  # Telegram's answer, not our journal's
                    self.troubled(self._problem(exc), wait)
                await asyncio.sleep(wait)

    async def _updates(self, offset: int | None) -> list[Any]:
        """Raw updates: parsing them ourselves keeps one odd update from stopping the whole batch."""
        params = {"timeout": POLL_SECONDS, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            params["offset"] = offset
        result = await self._updates_request.call(f"{self.bot.base_url}/getUpdates", params, POLL_SECONDS + 10)
        return result if isinstance(result, list) else []
