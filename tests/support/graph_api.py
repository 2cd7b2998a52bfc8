"""A fake of the Graph API endpoints the Meta channels use, and of Meta's CDN, on 127.0.0.1.

Sends (``POST /{id}/messages``, ``POST /{id}/comments``) are recorded with
the bytes of every file they carry (uploaded, or fetched from the URL the
way Meta fetches it); ``fail_next`` scripts Meta's error answers.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

import aiohttp
from aiohttp import web

from tests.support.loopback import LoopThread, serve

VERSION = "v21.0"


@dataclass(frozen=True)
class GraphCall:
    path: str  # "<id>/messages" or "<id>/comments"
    payload: dict[str, Any]  # the JSON body, or the form's fields (JSON ones decoded)
    files: tuple[bytes, ...] = ()
    multipart: bool = False

    @property
    def recipient(self) -> dict[str, Any]:
        value = self.payload.get("recipient")
        return value if isinstance(value, dict) else {}

    @property
    def text(self) -> str:
        message = self.payload.get("message")
        if isinstance(message, dict):
            return str(message.get("text") or "")
        return str(message or "")  # a comment's "message" is its text


@dataclass
class _Failure:
    status: int
    error: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: int = 0  # sends that still succeed before this failure


class FakeGraph:
    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # access token -> the id "me" stands for
        self.objects: dict[str, dict[str, Any]] = {}  # id -> fields (people, posts, accounts)
        self.calls: list[GraphCall | None] = []  # every send that reached us (None: refused or failed)
        self.sent: list[GraphCall] = []  # the sends we took
        self.reads: list[str] = []  # the ids GET asked for
        self._cdn: dict[str, tuple[bytes, str]] = {}
        self._failures: deque[_Failure] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.root = ""  # http://127.0.0.1:PORT once started

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._runner, self.root = await serve(
            [web.get(f"/{VERSION}/{{id}}", self._get), web.post(f"/{VERSION}/{{id}}/{{edge}}", self._post),
             web.get("/cdn/{name}", self._cdn_file)], max_body=32 * 1024 ** 2)
        self._client = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api(self) -> str:
        return f"{self.root}/{VERSION}"

    # -- what a test arranges -------------------------------------------------------------------
    def host_file(self, data: bytes, name: str, content_type: str) -> str:
        """A file on "Meta's CDN"; its URL is what a webhook's attachment carries."""
        self._cdn[name] = (data, content_type)
        return f"{self.root}/cdn/{name}"

    def fail_next(self, status: int, error: dict[str, Any], headers: dict[str, str] | None = None,
                  delay: float = 0.0, after: int = 0) -> None:
        """The next send (or the one after ``after`` more succeed) is answered with this error,
        after ``delay`` seconds (a slow Meta)."""
        self._failures.append(_Failure(status, error, headers or {}, delay, after))

    def sends_to(self, edge: str) -> list[GraphCall]:
        return [c for c in self.sent if c.path.endswith("/" + edge)]

    # -- the API --------------------------------------------------------------------------------
    def _me(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else request.query.get("access_token", "")
        return self.tokens.get(token)

    async def _get(self, request: web.Request) -> web.Response:
        me = self._me(request)
        if me is None:
            return _error(400, 190, "Invalid OAuth access token.")
        wanted = me if request.match_info["id"] == "me" else request.match_info["id"]
        self.reads.append(wanted)
        found = self.objects.get(wanted)
        if found is None:
            return _error(400, 100, f"Unsupported get request. Object with ID '{wanted}' does not exist", 33)
        fields = request.query.get("fields", "").split(",")
        return web.json_response({"id": wanted, **{k: v for k, v in found.items() if k in fields}})

    async def _post(self, request: web.Request) -> web.Response:
        edge = request.match_info["edge"]
        if edge not in ("messages", "comments"):
            return _error(400, 100, "Unknown path components")
        self.calls.append(None)
        index = len(self.calls) - 1
        if self._me(request) is None:
            return _error(400, 190, "Invalid OAuth access token.")
        if self._failures and self._failures[0].after > 0:
            self._failures[0].after -= 1
        elif self._failures:
            failure = self._failures.popleft()
            await asyncio.sleep(failure.delay)
            return web.json_response({"error": failure.error}, status=failure.status, headers=failure.headers)
        call = await self._read(f"{request.match_info['id']}/{edge}", request)
        self.calls[index] = call
        self.sent.append(call)
        if edge == "comments":
            return web.json_response({"id": f"{request.match_info['id']}_{next(self._ids)}"})
        return web.json_response({"recipient_id": call.recipient.get("id", ""), "message_id": f"m_out{next(self._ids)}"})

    async def _read(self, path: str, request: web.Request) -> GraphCall:
        if not request.content_type.startswith("multipart/"):
            payload = await request.json()
            url = _attachment_url(payload)
            return GraphCall(path, payload, (await self._fetch(url),) if url else ())
        fields: dict[str, Any] = {}
        files: list[bytes] = []
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader):
                if part.filename:
                    files.append(await part.read())
                else:
                    text = await part.text()
                    try:
                        fields[part.name or ""] = json.loads(text)
                    except ValueError:
                        fields[part.name or ""] = text
        return GraphCall(path, fields, tuple(files), multipart=True)

    async def _fetch(self, url: str) -> bytes:
        """Meta fetches a file given by URL: from our server, as the Internet would."""
        assert self._client is not None
        async with self._client.get(url) as response:
            assert response.status == 200, f"Meta could not fetch {url}: {response.status}"
            return await response.read()

    async def _cdn_file(self, request: web.Request) -> web.Response:
        found = self._cdn.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1])


def _attachment_url(payload: dict[str, Any]) -> str:
    if isinstance(payload.get("attachment_url"), str):
        return str(payload["attachment_url"])
    message = payload.get("message")
    attachment = message.get("attachment") if isinstance(message, dict) else None
    url = attachment.get("payload", {}).get("url") if isinstance(attachment, dict) else None
    return url if isinstance(url, str) else ""


def _error(status: int, code: int, message: str, subcode: int | None = None) -> web.Response:
    error: dict[str, Any] = {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)


@contextlib.contextmanager
def graph_in_thread() -> Iterator[FakeGraph]:
    """The fake on a loop of its own, for tests that run in Errbot's threads rather than on a loop."""
    thread = LoopThread()
    graph = FakeGraph()
    thread.call(graph.start(), 10)
    try:
        yield graph
    finally:
        thread.call(graph.close(), 10)
        thread.stop()
