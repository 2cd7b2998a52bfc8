"""Bot Framework (Teams, Web Chat, Direct Line): JWT-checked activities in, replies through stored references.

botbuilder's CloudAdapterBase runs the turns; the HTTP side is ours so that
a bad token is a 401 and bad input a 400, never a 500. Authentication is off
only when no app id is configured (local testing: anyone could post then).
A customer's conversation reference is kept in the per-customer state store,
so an operator can answer hours later, after restarts.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import aiohttp
from aiohttp import web
from botbuilder.core import CloudAdapterBase, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference
from botbuilder.schema import Attachment as BfAttachment
from botframework.connector.auth import BotFrameworkAuthenticationFactory
from msrest.exceptions import ClientRequestError, HttpOperationError

from backends.base import CustomerStates, kept_file, raw_text, reachable_url, refused_kind
from backends.botframework.kind import NAME as KIND
from backends.botframework.kind import BotFrameworkSettings
from backends.botframework.auth import AppTokens, HandedCredentialFactory, warm_signing_keys
from backends.botframework.parse import FileRef, data_url_bytes, parse_activity, shape_problem
from backends.platform_files import FileFetcher
from bridge.channels import (ChannelBackend, ChannelContext, InboundMessage, InboundSink, OutboundMessage, SendResult,
                             Unreadable)
from bridge.errors import CredentialsRefused, CustomerUnreachable, PermanentSendError, RateLimited, Refused, SendError
from bridge.model import Attachment, ChannelBinding

log = logging.getLogger(__name__)
ISSUER = "https://api.botframework.com"
MAX_FILE = 50 * 1024 * 1024


class BotFrameworkBackend(ChannelBackend):
    kind = KIND

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self.settings = BotFrameworkSettings.of(binding.settings, binding.secrets)
        self._app_id = self.settings.app_id
        self._login = self.settings.login
        self._keys = self.settings.openid_url
        self._password = self.settings.app_password
        self._token_url = f"{self._login}/oauth2/v2.0/token"
        self._session: aiohttp.ClientSession | None = None
        # Attachments come from the connector's (or Web Chat's) storage; the configured login and
        # key hosts count as the platform's own (a test or sovereign cloud), any other must be public.
        self.files = FileFetcher("Bot Framework", own=(self._login, self._keys))
        self.states = CustomerStates(context.state, binding.id)
        self.send_timeout = 20.0

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._tokens = AppTokens(self._session, self._token_url, self._app_id, self._password)
        credentials = HandedCredentialFactory(self._app_id, self._password, "", self._tokens)
        self._auth = BotFrameworkAuthenticationFactory.create(
            to_channel_from_bot_login_url=self._login, to_channel_from_bot_oauth_scope=ISSUER,
            to_bot_from_channel_token_issuer=ISSUER, to_bot_from_channel_open_id_metadata_url=self._keys,
            # Emulator tokens are checked against the same keys, so they fail: use the Emulator with no app id.
            to_bot_from_emulator_open_id_metadata_url=self._keys, credential_factory=credentials)
        self.adapter = CloudAdapterBase(self._auth)
        self.context.http.mount(KIND, self.binding.key, self)

    async def stop(self) -> None:
        self.context.http.unmount(KIND, self.binding.key)
        if self._session is not None:
            await self._session.close()
        await self.files.close()

    async def check(self) -> None:
        """An app token for the id and password (the backend need not be started: `!line connect` checks)."""
        if self._app_id:
            async with aiohttp.ClientSession() as session:
                await AppTokens(session, self._token_url, self._app_id, self._password).fresh(self.send_timeout)

    def callback_url(self) -> str:
        return f"{reachable_url(self.context)}/botframework/{self.binding.key}/messages"

    # -- in ---------------------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        activity = _activity(await request.read())
        if self._app_id:
            try:
                await warm_signing_keys(self._keys)
            except Exception as exc:  # the SDK would fetch them itself, blocking the loop: not now
                log.warning("Bot Framework signing keys unavailable: %s", type(exc).__name__)
                raise web.HTTPServiceUnavailable(text="try again\n") from None
        try:
            authenticated = await self._auth.authenticate_request(activity, request.headers.get("Authorization"))
        except Exception as exc:  # PermissionError, PyJWT's errors, the SDK's bare Exceptions...
            log.info("a Bot Framework request was refused: %s", type(exc).__name__)
            raise web.HTTPUnauthorized(text="not authenticated\n") from None
        failed: list[BaseException] = []
        await self.adapter.process_activity(authenticated, activity, lambda turn: self._turn(turn, failed))
        if failed:  # not stored nor kept: the channel sends it again
            raise web.HTTPServiceUnavailable(text="try again\n")
        return web.Response(status=200)

    async def _turn(self, turn: TurnContext, failed: list[BaseException]) -> None:
        """Store (or keep) what the activity carries; errors are handed out, not raised into the SDK."""
        parsed = parse_activity(turn.activity)
        if parsed is None:
            return
        raw = turn.activity.serialize()
        if isinstance(parsed, Unreadable):
            try:
                await self.sink.keep(self.binding, parsed.kind, parsed.reason, raw_text(raw))
            except Exception as exc:
                log.error("a Bot Framework activity was not kept: %s", type(exc).__name__)
                failed.append(exc)
            return
        try:
            event = parsed.event
            if isinstance(event, InboundMessage):
                # Kept beside what the core keeps for this customer (a status, the mail sent), and
                # written only when it changed: most messages come by the same conversation.
                reference = TurnContext.get_conversation_reference(turn.activity).serialize()
                await self.states.change(event.customer_ref, lambda state: state.update(reference=reference))
                event = dataclasses.replace(event, attachments=tuple([await self._fetch(f) for f in parsed.files]))
            try:
                await self.sink.accept(self.binding, event)
            except Refused as exc:  # a rule of ours: kept and shown, never only logged
                log.warning("a Bot Framework activity was refused: %s; kept as unreadable", exc)
                await self.sink.keep(self.binding, refused_kind(event), str(exc), raw_text(raw))
        except Exception as exc:
            log.error("a Bot Framework activity was not stored: %s", type(exc).__name__)
            failed.append(exc)

    async def _fetch(self, ref: FileRef) -> Attachment:
        kept = Attachment("file", url=ref.url if not ref.url.startswith("data:") else "", name=ref.name,
                          content_type=ref.content_type)
        data = data_url_bytes(ref.url)
        if data is None and ref.url.startswith("http"):
            got = await self.files.fetch(ref.url, MAX_FILE, self.send_timeout)
            data = got[0] if got is not None else None
        if data is None or len(data) > MAX_FILE:
            return kept
        return await kept_file(self.context.files, data, ref.name, ref.content_type, kept)

    # -- out --------------------------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendResult:
        state = await self.context.state.get(self.binding.id, message.customer_ref)
        if not isinstance(state.get("reference"), dict):
            raise PermanentSendError("no conversation to answer in: the customer has to write first")
        reference = ConversationReference().deserialize(state["reference"])
        if self._app_id:
            await self._tokens.fresh(self.send_timeout)
        activity = MessageFactory.text(message.text) if message.text.strip() else MessageFactory.text("")
        activity.attachments = [BfAttachment(content_type=a.content_type or "application/octet-stream",
                                             content_url=a.url, name=a.name) for a in message.attachments]
        sent: list[str] = []
        errors: list[BaseException] = []

        async def deliver(turn: TurnContext) -> None:
            try:
                answer = await turn.send_activity(activity)
                sent.append(getattr(answer, "id", "") or "")
            except Exception as exc:  # raised here it would go to on_turn_error, not to us
                errors.append(exc)
        try:
            await asyncio.wait_for(self.adapter.continue_conversation(reference, deliver, bot_app_id=self._app_id),
                                   self.send_timeout)
        except asyncio.TimeoutError:
            raise SendError("the Bot Framework did not answer in time") from None
        if errors:
            raise _mapped(errors[0])
        return SendResult(sent[0] if sent else None)


def _activity(body: bytes) -> Activity:
    try:
        raw = json.loads(body)
        activity = Activity().deserialize(raw) if isinstance(raw, dict) else None
    except Exception:  # msrest raises its own errors on wrong types; JSON errors; deep nesting
        activity = None
    if activity is None:
        raise web.HTTPBadRequest(text="not an activity\n")
    problem = shape_problem(activity)
    if problem:
        raise web.HTTPBadRequest(text=f"{problem}\n")
    return activity


def _mapped(exc: BaseException) -> SendError:
    """A connector error in plain words for operators."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, HttpOperationError) and exc.response is not None:
        status = exc.response.status_code
        if status == 429:
            wait = exc.response.headers.get("Retry-After")
            return RateLimited(float(wait) if wait and wait.replace(".", "", 1).isdigit() else 60.0)
        if status >= 500:
            return SendError(f"the Bot Framework is unavailable (HTTP {status})")
        if status in (401, 403) and "roster" in _said(exc).lower():
            return CustomerUnreachable("the bot was removed from the customer's conversation")
        if status == 401:
            return CredentialsRefused("the Bot Framework refused the bot's credentials")
        if status == 404:
            return CustomerUnreachable("the customer's conversation no longer exists")
        said = _said(exc)
        return PermanentSendError(f"the Bot Framework refused the message (HTTP {status}){': ' + said if said else ''}")
    if isinstance(exc, (ClientRequestError, aiohttp.ClientError, OSError)):
        return SendError(f"the Bot Framework could not be reached ({type(exc).__name__})")
    return SendError(f"unexpected {type(exc).__name__} from the Bot Framework")


def _said(exc: HttpOperationError) -> str:
    """The error message the connector gave ({"error": {"code", "message"}}), short."""
    error = getattr(getattr(exc, "error", None), "error", None)
    message = getattr(error, "message", None)
    return message[:200] if isinstance(message, str) else ""
