"""A fake Telegram Bot API on 127.0.0.1: getUpdates long polling, webhooks, sends, files, scripted failures.

Only what Open Lines calls is there, answered as the Bot API documents it.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.loopback import serve

SEND_METHODS = ("sendMessage", "sendPhoto", "sendDocument")


@dataclass
class TgSent:
    chat_id: str
    method: str
    text: str
    files: tuple[bytes, ...] = ()


@dataclass
class _Pending:
    update: dict[str, Any]
    forced: bool = False  # served again whatever the offset (a confirmation that got lost)


@dataclass
class FakeTelegram:
    token: str
    sent: list[TgSent] = field(default_factory=list)
    attempts: int = 0
    webhook: tuple[str, str] | None = None  # (url, secret_token) from setWebhook
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # file_id -> (bytes, path)
    failures: deque[tuple[str, float]] = field(default_factory=deque)
    hang_seconds: float = 2.0
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pending: list[_Pending] = []
        self._arrived = asyncio.Event()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.offsets: list[int] = []
        self.closing = False
        self.chat_actions: list[tuple[str, str]] = []
        self.down = False  # every call answered 502, as a platform having an outage
        # Long polls in progress. As on Telegram, a second getUpdates ends the first with 409 ("terminated
        # by other getUpdates request"); ``overlaps`` counts those from a bot still connected.
        self._polls: list[tuple[web.Request, asyncio.Future[None]]] = []
        self.overlaps = 0

    def go_down(self) -> None:
        self.down = True
        self._arrived.set()  # a long poll in progress ends now

    def come_up(self) -> None:
        self.down = False

    # -- the server -----------------------------------------------------------------------
    async def start(self) -> str:
        self._runner, self.url = await serve([web.route("*", "/bot{token}/{method}", self._api),
                        web.get("/file/bot{token}/{path:.+}", self._file)], max_body=50 * 1024 ** 2)
        return self.url

    async def stop(self) -> None:
        self.closing = True
        self._arrived.set()  # a long poll in progress ends now
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test does -------------------------------------------------------------------
    def push(self, update: dict[str, Any], *, forced: bool = False) -> None:
        """Queue an update for getUpdates."""
        self._pending.append(_Pending(update, forced))
        self._arrived.set()

    def confirmed(self, update_id: int) -> bool:
        """The bot asked for updates past this one: it took it."""
        return not any(p.update["update_id"] == update_id for p in self._pending)

    def add_file(self, file_id: str, data: bytes, path: str) -> None:
        self.files[file_id] = (data, path)

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        self.failures.append((failure, retry_after))

    # -- the API -----------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        self.calls.append(method)
        if self.down:
            return _error(502, "Bad Gateway")
        params, files = await _params(request)
        if method in SEND_METHODS:
            return await self._send(method, params, files)
        if method == "sendChatAction":
            self.chat_actions.append((str(params.get("chat_id")), str(params.get("action"))))
            return _ok(True)
        if method == "getUpdates":
            return await self._get_updates(request, params)
        handler = {"getMe": self._get_me, "setWebhook": self._set_webhook,
                   "deleteWebhook": self._delete_webhook, "getFile": self._get_file}.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        bot_id = int(self.token.split(":")[0])
        return _ok({"id": bot_id, "is_bot": True, "first_name": "Shop", "username": "shop_bot"})

    async def _get_updates(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        self._end_other_polls()
        offset = int(params.get("offset", 0))
        self.offsets.append(offset)
        self._pending = [p for p in self._pending if p.update["update_id"] >= offset or p.forced]
        ready = list(self._pending)
        if not ready and not self.closing:
            self._arrived.clear()
            ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._polls.append((request, ended))
            arrived = asyncio.ensure_future(self._arrived.wait())
            try:
                await asyncio.wait({arrived, ended}, timeout=float(params.get("timeout", 0)) or 0.001,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                arrived.cancel()
                self._polls.remove((request, ended))
            if ended.done():
                return _error(409, "Conflict: terminated by other getUpdates request; make sure that only"
                                   " one bot instance is running")
            if not arrived.done() or arrived.cancelled():
                return _ok([])
            ready = list(self._pending)
        for p in ready:
            p.forced = False
        return _ok([p.update for p in ready])

    def _end_other_polls(self) -> None:
        for request, ended in self._polls:
            transport = request.transport
            if transport is not None and not transport.is_closing():  # a bot that went away counts for nothing
                self.overlaps += 1
            if not ended.done():
                ended.set_result(None)

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = (str(params["url"]), str(params.get("secret_token", "")))
        return _ok(True)

    async def _delete_webhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = None
        return _ok(True)

    async def _get_file(self, params: dict[str, Any]) -> web.Response:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return _error(400, "Bad Request: invalid file_id")
        return _ok({"file_id": params["file_id"], "file_unique_id": "u" + str(params["file_id"]),
                    "file_size": len(found[0]), "file_path": found[1]})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for data, path in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data)
        return web.Response(status=404)

    async def _send(self, method: str, params: dict[str, Any], files: list[bytes]) -> web.Response:
        self.attempts += 1
        if self.failures:
            failure, retry_after = self.failures.popleft()
            return await self._fail(failure, retry_after)
        chat = str(params.get("chat_id"))
        text = str(params.get("text") or params.get("caption") or "")
        self.sent.append(TgSent(chat, method, text, tuple(files)))
        message = {"message_id": next(self._ids), "date": int(time.time()),
                   "chat": {"id": int(chat), "type": "private"}}
        return _ok({**message, "text": text} if method == "sendMessage" else message)

    async def _fail(self, failure: str, retry_after: float) -> web.Response:
        if failure == "429":
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry later",
                                      "parameters": {"retry_after": int(retry_after)}}, status=429)
        if failure == "timeout":
            await asyncio.sleep(self.hang_seconds)  # the bot gave up before this
            return _error(502, "Bad Gateway")
        if failure == "permanent":
            return _error(400, "Bad Request: message is too long")
        if failure == "unreachable":
            return _error(403, "Forbidden: bot was blocked by the user")
        return _error(502, "Bad Gateway")


async def _params(request: web.Request) -> tuple[dict[str, Any], list[bytes]]:
    """JSON, form or multipart parameters, and the bytes of any uploaded file."""
    if request.content_type == "application/json":
        return dict(await request.json()), []
    if request.content_type.startswith("multipart/"):
        params: dict[str, Any] = {}
        files: list[bytes] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.filename:
                files.append(bytes(await part.read()))
            else:
                params[str(part.name)] = _decoded(await part.text())
        return params, files
    form = await request.post()
    return {k: _decoded(str(v)) for k, v in form.items()}, []


def _decoded(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)


# -- updates as Telegram sends them --------------------------------------------------------------
def user(chat_id: int, name: str = "Ann") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": name}


def message(update_id: int, chat_id: int, message_id: int, **content: Any) -> dict[str, Any]:
    body = {"message_id": message_id, "date": 1_700_000_000, "from": user(chat_id),
            "chat": {"id": chat_id, "type": "private", "first_name": "Ann"}, **content}
    return {"update_id": update_id, "message": body}


def text_update(update_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
    return message(update_id, chat_id, message_id, text=text)


def document_update(update_id: int, chat_id: int, message_id: int, file_id: str, name: str,
                    mime: str, size: int) -> dict[str, Any]:
    return message(update_id, chat_id, message_id, document={"file_id": file_id, "file_unique_id": "u" + file_id,
                                                               "file_name": name, "mime_type": mime,
                                                               "file_size": size})
