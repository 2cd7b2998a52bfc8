"""Telegram under the channel contract, in both modes, against the fake Bot API."""
from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from backends.telegram.backend import SECRET_HEADER, TelegramBackend
from bridge.model import ChannelBinding
from tests.channels import contract as c
from tests.channels.channel import connect_binding
from tests.channels.contract import eventually
from tests.support import fake_telegram as tg
from tests.support.runtime import Running

BOT_ID = "123456"
TOKEN = f"{BOT_ID}:{c.SECRET}"


async def connect_telegram(runtime: Running, fake: tg.FakeTelegram, mode: str) -> TelegramBackend:
    """Save a Telegram binding pointing at ``fake`` and start it live, as `!line connect` would."""
    backend = await connect_binding(runtime, TelegramBackend, {"mode": mode, "api_url": fake.url},
                                    {"token": fake.token}, "Telegram")
    if mode == "webhook":
        await eventually(lambda: fake.webhook is not None, "setWebhook")
    else:
        await eventually(lambda: "getUpdates" in fake.calls, "the first getUpdates")
    return backend


class _TelegramHarness(c.FakeFaults):
    kind = "telegram"
    features = c.ALL
    mode = ""

    def __init__(self) -> None:
        self.fake = tg.FakeTelegram(TOKEN)
        self.binding: ChannelBinding | None = None
        self._ids: dict[str, int] = {}
        self._next = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._base = ""

    async def connect(self, runtime: Running) -> ChannelBinding:
        await self.fake.start()
        self._session = aiohttp.ClientSession()
        self._base = runtime.base_url
        backend = await connect_telegram(runtime, self.fake, self.mode)
        self.backend = backend
        return backend.binding

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self.fake.stop()

    def customer(self, n: int) -> str:
        return str(1000 + n)

    def _id(self, message_id: str) -> int:
        """The same test id is the same Telegram message and update: a redelivery."""
        if message_id not in self._ids:
            self._ids[message_id] = next(self._next)
        return self._ids[message_id]

    async def say(self, customer: str, text: str, message_id: str) -> int:
        n = self._id(message_id)
        return await self.deliver(tg.text_update(n, int(customer), n, text))

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        n = self._id(message_id)
        self.fake.add_file(f"f{n}", data, f"documents/{name}")
        return await self.deliver(tg.document_update(n, int(customer), n, f"f{n}", name, content_type, len(data)))

    async def unknown(self, customer: str) -> int:
        n = self._id(f"unknown-{customer}")
        return await self.deliver({"update_id": n, "poll": {"id": "p1", "question": "?", "options": []}})

    async def deliver(self, update: dict[str, Any]) -> int:
        raise NotImplementedError

    async def post(self, url: str, update: dict[str, Any], secret: str) -> int:
        assert self._session is not None
        async with self._session.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
            return response.status

    def sent(self) -> list[c.Sent]:
        return [c.Sent(s.chat_id, s.text, s.files) for s in self.fake.sent]


class TelegramPollingHarness(_TelegramHarness):
    mode = "polling"

    async def deliver(self, update: dict[str, Any]) -> int:
        """Queue it for getUpdates and wait until the bot moved past it (it is stored by then)."""
        seen = any(o > update["update_id"] for o in self.fake.offsets)
        self.fake.push(update, forced=seen)  # served again although confirmed: a lost confirmation
        await eventually(lambda: self.fake.confirmed(update["update_id"]), "the bot to take the update")
        return 200

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        """A polling bot has no webhook: a post to its URL finds nothing."""
        n = self._id(message_id)
        return await self.post(f"{self._base}/telegram/{BOT_ID}", tg.text_update(n, int(customer), n, text), "x")


class TelegramWebhookHarness(_TelegramHarness):
    mode = "webhook"

    async def deliver(self, update: dict[str, Any]) -> int:
        assert self.fake.webhook is not None
        url, secret = self.fake.webhook
        return await self.post(url, update, secret)

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        assert self.fake.webhook is not None
        n = self._id(message_id)
        return await self.post(self.fake.webhook[0], tg.text_update(n, int(customer), n, text), "guessed")
