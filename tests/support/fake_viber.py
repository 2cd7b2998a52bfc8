"""A fake Viber REST Bot API on 127.0.0.1: set_webhook (with its signed check call), sends, media, failures."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.loopback import serve


@dataclass
class VbSent:
    receiver: str
    type: str
    text: str
    files: tuple[bytes, ...] = ()
    sender: str = ""


@dataclass
class FakeViber:
    token: str
    sent: list[VbSent] = field(default_factory=list)
    attempts: int = 0
    webhook: str | None = None
    failures: deque[tuple[str, float]] = field(default_factory=deque)
    media: dict[str, bytes] = field(default_factory=dict)
    hang_seconds: float = 2.0

    def __post_init__(self) -> None:
        self._tokens = itertools.count(5_000_000_000_000_000_000)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        self._runner, self.url = await serve([web.post("/pa/{endpoint}", self._api), web.get("/media/{name}", self._media)])
        self._session = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test does ---------------------------------------------------------------------
    def sign(self, body: bytes) -> str:
        return hmac.new(self.token.encode(), body, hashlib.sha256).hexdigest()

    async def callback(self, payload: Any, *, signature: str | None = None, raw: bytes | None = None) -> int:
        """Viber calls the webhook; the status our server answered."""
        assert self.webhook is not None and self._session is not None
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"X-Viber-Content-Signature": signature if signature is not None else self.sign(body),
                   "Content-Type": "application/json"}
        async with self._session.post(self.webhook, data=body, headers=headers) as response:
            self.last_answer = await response.read()
            return response.status

    def add_media(self, name: str, data: bytes) -> str:
        self.media[name] = data
        return f"{self.url}/media/{name}"

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        self.failures.append((failure, retry_after))

    # -- the API --------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        payload = await request.json()
        endpoint = request.match_info["endpoint"]
        if endpoint == "set_webhook":
            self.webhook = payload["url"]
            status = await self.callback({"event": "webhook", "timestamp": 1, "message_token": next(self._tokens)})
            if status != 200:
                return web.json_response({"status": 1, "status_message": "invalidUrl"})
            return web.json_response({"status": 0, "status_message": "ok", "event_types": payload["event_types"]})
        if endpoint == "get_account_info":
            return web.json_response({"status": 0, "status_message": "ok", "id": "pa:1", "name": "Shop"})
        if endpoint == "send_message":
            return await self._send(payload)
        return web.json_response({"status": 3, "status_message": "badData"})

    async def _send(self, payload: dict[str, Any]) -> web.StreamResponse:
        self.attempts += 1
        if self.failures:
            return await self._fail(*self.failures.popleft())
        files: tuple[bytes, ...] = ()
        if payload.get("media"):
            assert self._session is not None
            async with self._session.get(payload["media"]) as response:
                assert response.status == 200, f"media URL answered {response.status}"
                files = (await response.read(),)
        self.sent.append(VbSent(payload["receiver"], payload["type"], payload.get("text") or "", files,
                                payload.get("sender", {}).get("name", "")))
        return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self._tokens)})

    async def _fail(self, failure: str, retry_after: float) -> web.StreamResponse:
        if failure == "429":
            return web.json_response({"status": 12, "status_message": "tooManyRequests"},
                                     headers={"Retry-After": str(int(retry_after))})
        if failure == "timeout":
            await asyncio.sleep(self.hang_seconds)
            return web.Response(status=504)
        if failure == "permanent":
            return web.json_response({"status": 3, "status_message": "message is too long"})
        if failure == "unreachable":
            return web.json_response({"status": 6, "status_message": "notSubscribed"})
        return web.Response(status=503, text="unavailable")

    async def _media(self, request: web.Request) -> web.Response:
        data = self.media.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)


def text_callback(user_id: str, token: int, text: str, name: str = "Ann") -> dict[str, Any]:
    return {"event": "message", "timestamp": 1_700_000_000_000, "message_token": token,
            "sender": {"id": user_id, "name": name, "api_version": 10},
            "message": {"type": "text", "text": text}}
