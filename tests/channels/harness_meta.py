"""Facebook Messenger, Instagram and page comments under test: Meta's side of each channel.

The fake Graph API (``tests.support.graph_api``) answers the REAL backends;
the harness signs and posts webhook envelopes the way Meta does. The
contract harnesses are ``FacebookHarness`` and ``InstagramHarness``;
``CommentsHarness`` adds the feed's verbs for the comment-flow tests.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import aiohttp

from backends.registry import kind_of
from bridge.channel_settings import split_settings
from bridge.model import ChannelBinding
from tests.channels import contract as c
from tests.channels.channel import connect_binding
from tests.support.graph_api import FakeGraph
from tests.support.runtime import Running

ACCOUNT_KEY = {"facebook": "page_id", "fbcomments": "page_id", "instagram": "account_id"}
SEND_TIMEOUT = 0.5  # the backend's Graph limit under test; a TIMEOUT failure answers after 4x that
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    c.RATE_LIMITED: (400, {"message": "(#613) Calls to this api have exceeded the rate limit.", "code": 613,
                           "type": "OAuthException"}),
    c.SERVER_ERROR: (500, {"message": "An unexpected error has occurred. Please retry your request later.",
                           "code": 2, "type": "OAuthException", "is_transient": True}),
    c.TIMEOUT: (500, {"message": "too late", "code": 2, "is_transient": True}),
    c.PERMANENT: (400, {"message": "(#100) The message is too long", "code": 100, "type": "OAuthException"}),
    c.UNREACHABLE: (400, {"message": "(#551) This person isn't available right now.", "code": 551,
                          "error_subcode": 1545041, "type": "OAuthException"}),
}


class MetaHarness:
    kind = "facebook"
    object = "page"
    account = "104000000000001"
    customers = "2400000000000"  # PSIDs: this prefix and the customer's number
    features = c.ALL

    def __init__(self) -> None:
        self.graph = FakeGraph()
        self.token = f"EAAG-{c.SECRET}-page-token"
        self.app_secret = f"{c.SECRET}-app-secret"
        self.verify_token = f"{c.SECRET}-verify"
        self.url = ""
        self.binding: ChannelBinding | None = None
        self.backend: Any = None
        self._session: aiohttp.ClientSession | None = None
        self._mids = itertools.count(1)

    # -- the contract ---------------------------------------------------------------------------
    async def connect(self, runtime: Running, **given: str) -> ChannelBinding:
        """Connect the way ``!line connect`` does: the kind's own settings schema splits the keys."""
        await self.graph.start()
        self.graph.tokens[self.token] = self.account
        self.graph.objects[self.account] = {"name": "The Shop", "username": "the.shop"}
        self.backend = await self.bind(runtime, self.kind, self.account, **given)
        self.binding = self.backend.binding
        self.url = f"{runtime.base_url}/meta/{self.account}"
        self._session = aiohttp.ClientSession()
        return self.binding

    async def bind(self, runtime: Running, kind: str, account: str, **given: str) -> Any:
        """A channel of ``kind`` for ``account`` on this app, saved and started as `!line connect` does."""
        described = kind_of(kind)
        settings, secrets = split_settings(described.settings_schema, {
            ACCOUNT_KEY[kind]: account, "page_token": self.token, "app_secret": self.app_secret,
            "verify_token": self.verify_token, "api_url": self.graph.api, **given})
        return await connect_binding(runtime, described.load(), settings, secrets, described.label)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self.graph.close()

    def customer(self, n: int) -> str:
        ref = f"{self.customers}{n}"
        self.graph.objects.setdefault(ref, {"first_name": "Customer", "last_name": str(n), "name": f"Customer {n}",
                                            "username": f"customer{n}"})
        return ref

    async def say(self, customer: str, text: str, message_id: str) -> int:
        return await self.deliver(self.message(customer, message_id, text))

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        url = self.graph.host_file(data, name, content_type)
        return await self.deliver(self.message(customer, message_id, attachments=[("file", url)]))

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        body = self.envelope([self.message(customer, message_id, text)])
        return await self.post(body, self.sign(body, "not the app secret"))

    async def unknown(self, customer: str) -> int:
        return await self.deliver({**self._from(customer), "game_play": {"game_id": "1", "score": 3}})

    def sent(self) -> list[c.Sent]:
        return [c.Sent(str(call.recipient.get("id", "")), call.text, call.files)
                for call in self.graph.sends_to("messages")]

    def attempts(self) -> int:
        return len(self.graph.calls)

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        if failure == c.TIMEOUT and self.backend is not None:  # only then: the default limit, loaded or not
            self.backend.graph.timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)  # type: ignore[attr-defined]
        status, error = ERRORS[failure]
        headers = {"Retry-After": f"{retry_after:g}"} if failure == c.RATE_LIMITED else {}
        self.graph.fail_next(status, error, headers, delay=SEND_TIMEOUT * 4 if failure == c.TIMEOUT else 0.0)

    # -- Meta's side, for the channel's own tests ---------------------------------------------------
    def _from(self, customer: str, at: float | None = None) -> dict[str, Any]:
        return {"sender": {"id": customer}, "recipient": {"id": self.account},
                "timestamp": int((at if at is not None else time.time()) * 1000)}

    def message(self, customer: str, mid: str | None = None, text: str = "", *,
                attachments: list[tuple[str, str]] = (), at: float | None = None, **extra: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"mid": mid or f"m_{next(self._mids)}", **extra}
        if text:
            message["text"] = text
        if attachments:
            message["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in attachments]
        return {**self._from(customer, at), "message": message}

    def event(self, customer: str, name: str, body: dict[str, Any], at: float | None = None) -> dict[str, Any]:
        """Any other messaging event: ``message_edit``, ``read``, ``delivery``, ``postback``…"""
        return {**self._from(customer, at), name: body}

    def envelope(self, messaging: list[dict[str, Any]] = (), changes: list[dict[str, Any]] = (),
                 account: str | None = None) -> bytes:
        entry: dict[str, Any] = {"id": account or self.account, "time": int(time.time() * 1000)}
        if messaging:
            entry["messaging"] = list(messaging)
        if changes:
            entry["changes"] = list(changes)
        return json.dumps({"object": self.object, "entry": [entry]}).encode()

    def sign(self, body: bytes, secret: str | None = None) -> str:
        return "sha256=" + hmac.new((secret or self.app_secret).encode(), body, hashlib.sha256).hexdigest()

    async def deliver(self, *messaging: dict[str, Any]) -> int:
        return await self.post(self.envelope(list(messaging)))

    async def post(self, body: bytes, signature: str | None = None) -> int:
        assert self._session is not None
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature or self.sign(body)}
        async with self._session.post(self.url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def get(self, **query: str) -> tuple[int, str]:
        assert self._session is not None
        async with self._session.get(self.url, params=query) as response:
            return response.status, await response.text()


class FacebookHarness(MetaHarness):
    pass


class InstagramHarness(MetaHarness):
    kind = "instagram"
    object = "instagram"
    account = "17841400000000001"
    customers = "1780000000000"  # Instagram-scoped ids


class CommentsHarness(MetaHarness):
    """Page comments: the feed's verbs. Not a contract harness (a thread, not a customer, is the key)."""

    kind = "fbcomments"
    post_id = "104000000000001_555"

    def comment(self, customer: str, comment_id: str, text: str, *, parent: str | None = None,
                verb: str = "add", name: str = "Carla Commenter", at: float | None = None,
                **extra: Any) -> dict[str, Any]:
        value: dict[str, Any] = {"item": "comment", "verb": verb, "comment_id": comment_id, "post_id": self.post_id,
                                 "parent_id": parent or self.post_id, "from": {"id": customer, "name": name},
                                 "message": text, "created_time": int(at if at is not None else time.time()), **extra}
        return {"field": "feed", "value": value}

    async def comments(self, *changes: dict[str, Any]) -> int:
        return await self.post(self.envelope(changes=list(changes)))
