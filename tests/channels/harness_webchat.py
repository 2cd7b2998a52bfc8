"""The website chat under the channel contract: the "platform" is the visitor's browser tab.

There is no platform to fail or to send unknown events: those points are not tests of it.
Files go up over the upload route and come back as attachment URLs.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from backends.webchat.backend import WebchatBackend
from bridge.model import ChannelBinding
from tests.channels import contract as c
from tests.support.runtime import Running


class WebchatHarness:
    kind = "webchat"
    features = frozenset({c.FORGERY, c.FILES_IN, c.FILES_OUT})

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._url = ""
        self._tokens: list[str] = []
        self._tabs: dict[str, aiohttp.ClientWebSocketResponse] = {}
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._sent: list[c.Sent] = []

    async def connect(self, runtime: Running) -> ChannelBinding:
        # The seeded line already has its website chat: /webchat/support/.
        self._session = aiohttp.ClientSession()
        self._url = f"{runtime.base_url}/webchat/support/ws"
        binding = runtime.app.services.directory.binding("webchat:support")
        # Tokens issued by the server's own widget (its signing secret): the customers are known up front.
        # Not signed here with the data dir's secret.key: on PostgreSQL the install's secret is the one
        # every process shares, in the journal (runtime/secrets.py), and secret.key may not even exist.
        backend = runtime.app.channels.get(binding.id)
        assert isinstance(backend, WebchatBackend), runtime.app.channels.failed
        self._tokens, self._refs = map(list, zip(*(backend.tokens.issue() for _ in range(4))))
        return binding

    async def close(self) -> None:
        for ws in self._tabs.values():
            await ws.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def customer(self, n: int) -> str:
        ref = self._refs[n]
        assert ref is not None
        return ref

    async def _tab(self, customer: str) -> aiohttp.ClientWebSocketResponse:
        if customer not in self._tabs:
            assert self._session is not None
            ws = await self._session.ws_connect(self._url)
            await ws.send_json({"type": "hello", "visitor_token": self._tokens[self._refs.index(customer)],
                                "last_seq": 0})
            self._tabs[customer] = ws
            self._readers.append(asyncio.get_running_loop().create_task(self._read(customer, ws)))
        return self._tabs[customer]

    async def _read(self, customer: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            frame = json.loads(msg.data)
            if frame["type"] == "ack" or (frame["type"] == "error" and frame.get("client_id")):
                future = self._acks.pop(frame["client_id"], None)
                if future is not None and not future.done():
                    future.set_result(frame)
            agent = [frame] if frame["type"] == "message" else frame.get("messages", [])
            for m in agent:
                if m.get("from") == "agent":
                    self._sent.append(c.Sent(customer, m["text"], await self._files(m)))

    async def _files(self, frame: dict[str, Any]) -> tuple[bytes, ...]:
        """The bytes behind a message's attachment URLs, as the browser would fetch them."""
        assert self._session is not None
        found = []
        for attachment in frame.get("attachments", []):
            async with self._session.get(attachment["url"]) as response:
                found.append(await response.read())
        return tuple(found)

    async def say(self, customer: str, text: str, message_id: str) -> int:
        ws = await self._tab(customer)
        ack = self._acks[message_id] = asyncio.get_running_loop().create_future()
        await ws.send_json({"type": "message", "client_id": message_id, "text": text})
        frame = await asyncio.wait_for(ack, 10)
        return 200 if frame["type"] == "ack" else 400

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        assert self._session is not None
        form = aiohttp.FormData()
        form.add_field("visitor_token", self._tokens[self._refs.index(customer)])
        form.add_field("client_id", message_id)
        form.add_field("file", data, filename=name, content_type=content_type)
        async with self._session.post(self._url.removesuffix("/ws") + "/upload", data=form) as response:
            return response.status

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        """Another site's page opening the chat socket: refused before any frame."""
        assert self._session is not None
        headers = {"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
                   "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
        async with self._session.get(self._url, headers=headers) as response:
            return response.status

    async def unknown(self, customer: str) -> int:
        raise NotImplementedError

    def sent(self) -> list[c.Sent]:
        return list(self._sent)

    def attempts(self) -> int:
        return len(self._sent)

    def fail_next(self, failure: str, retry_after: float = 0.0) -> None:
        raise NotImplementedError
