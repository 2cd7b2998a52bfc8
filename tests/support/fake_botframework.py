"""A fake Bot Framework on 127.0.0.1: the connector service, the login service, and signed activities.

The fake holds an RSA key: it lists it as the Bot Framework's signing key
(OpenID metadata + JWKS) and signs the bearer tokens of the activities it
posts, as the real Bot Connector does; the bot's own token requests are
answered when the app password is right.
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web

from tests.support.loopback import serve
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KID = "fake-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def shared_key() -> rsa.RSAPrivateKey:
    """Every fake's signing key, one per test process. The SDK caches the keys it fetched per metadata
    URL for the whole process (an unknown or changed key is not fetched again within the hour), and a
    fake may get the port an earlier fake had: with a key of its own, its tokens then failed the
    signature check now and then (the OS's choice of port)."""
    return new_key()


@dataclass
class BfSent:
    conversation: str
    text: str
    files: tuple[bytes, ...] = ()


@dataclass
class FakeBotFramework:
    app_id: str
    password: str
    key: rsa.RSAPrivateKey = field(default_factory=shared_key)
    sent: list[BfSent] = field(default_factory=list)
    attempts: int = 0
    failures: deque[tuple[str, float]] = field(default_factory=deque)
    media: dict[str, bytes] = field(default_factory=dict)
    hang_seconds: float = 2.0
    tokens_issued: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""
        self.access_token = "bot-access-token"

    async def start(self) -> str:
        self._runner, self.url = await serve([
            web.post("/v3/conversations/{conversation}/activities", self._activity),
            web.post("/v3/conversations/{conversation}/activities/{reply_to}", self._activity),
            web.post("/{tenant}/oauth2/v2.0/token", self._token),
            web.get("/openid", self._openid), web.get("/keys", self._keys), web.get("/media/{name}", self._media)], max_body=60 * 1024 ** 2)
        self._session = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def service_url(self) -> str:
        return self.url + "/"

    # -- what a test does ----------------------------------------------------------------------
    def bearer(self, *, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": self.app_id, "serviceurl": self.service_url, "nbf": now - 10,
                "exp": now + 3600, **claims}
        return "Bearer " + jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": KID})

    async def post(self, url: str, activity: dict[str, Any], *, authorization: str | None = "signed") -> int:
        """The connector posts an activity to the bot: the status it answered."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if authorization == "signed":
            headers["Authorization"] = self.bearer()
        elif authorization is not None:
            headers["Authorization"] = authorization
        async with self._session.post(url, data=json.dumps(activity), headers=headers) as response:
            return response.status

    def add_media(self, name: str, data: bytes) -> str:
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        self.failures.append((failure, retry_after))

    def message(self, conversation: str, activity_id: str, text: str, **extra: Any) -> dict[str, Any]:
        return {"type": "message", "id": activity_id, "timestamp": "2026-11-26T10:00:00.000Z",
                "serviceUrl": self.service_url, "channelId": "webchat",
                "from": {"id": f"user-{conversation}", "name": "Ann"}, "conversation": {"id": conversation},
                "recipient": {"id": self.app_id or "bot", "name": "Shop"}, "text": text, **extra}

    # -- the services ------------------------------------------------------------------------------
    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return web.json_response({"keys": [{**public, "kid": KID, "use": "sig", "endorsements": ["webchat", "msteams"]}]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.password:
            return web.json_response({"error": "invalid_client"}, status=401)
        self.tokens_issued += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": self.access_token})

    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _activity(self, request: web.Request) -> web.StreamResponse:
        if self.app_id and request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _error(401, "Unauthorized", "the bot's token is missing or wrong")
        self.attempts += 1
        if self.failures:
            return await self._fail(*self.failures.popleft())
        activity = await request.json()
        files = []
        assert self._session is not None
        for attachment in activity.get("attachments") or []:
            async with self._session.get(attachment["contentUrl"]) as response:
                files.append(await response.read())
        self.sent.append(BfSent(request.match_info["conversation"], activity.get("text") or "", tuple(files)))
        return web.json_response({"id": f"reply-{next(self._ids)}"}, status=201)

    async def _fail(self, failure: str, retry_after: float) -> web.StreamResponse:
        if failure == "429":
            return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=429,
                                     headers={"Retry-After": str(int(retry_after))})
        if failure == "timeout":
            await asyncio.sleep(self.hang_seconds)
            return web.Response(status=504)
        if failure == "permanent":
            return _error(400, "BadArgument", "message is too long")
        if failure == "unreachable":
            return _error(403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        return _error(503, "ServiceUnavailable", "try again")


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
