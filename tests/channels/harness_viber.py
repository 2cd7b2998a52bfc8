"""Viber under the channel contract, against the fake REST Bot API."""
from __future__ import annotations

import itertools

from backends.viber.backend import ViberBackend
from bridge.model import ChannelBinding
from tests.channels import contract as c
from tests.channels.channel import connect_binding
from tests.channels.contract import eventually
from tests.support import fake_viber as vb
from tests.support.runtime import Running

TOKEN = f"4453b6ac1{c.SECRET}"


async def connect_viber(runtime: Running, fake: vb.FakeViber) -> ViberBackend:
    """Save a Viber binding pointing at ``fake`` and start it live, as `!line connect` would."""
    backend = await connect_binding(runtime, ViberBackend, {"api_url": fake.url}, {"token": fake.token}, "Viber")
    await eventually(lambda: fake.webhook is not None, "set_webhook")
    return backend


class ViberHarness(c.FakeFaults):
    kind = "viber"
    features = c.ALL

    def __init__(self) -> None:
        self.fake = vb.FakeViber(TOKEN)
        self._tokens: dict[str, int] = {}
        self._next = itertools.count(7_000_000_000_000_000_001)

    async def connect(self, runtime: Running) -> ChannelBinding:
        await self.fake.start()
        backend = await connect_viber(runtime, self.fake)
        self.backend = backend
        return backend.binding

    async def close(self) -> None:
        await self.fake.stop()

    def customer(self, n: int) -> str:
        return f"01234567890{n}A=="

    def _token(self, message_id: str) -> int:
        """The same test id is the same Viber message_token: a redelivery."""
        return self._tokens.setdefault(message_id, next(self._next))

    async def say(self, customer: str, text: str, message_id: str) -> int:
        return await self.fake.callback(vb.text_callback(customer, self._token(message_id), text))

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        url = self.fake.add_media(name, data)
        payload = vb.text_callback(customer, self._token(message_id), "")
        payload["message"] = {"type": "file", "media": url, "size": len(data), "file_name": name}
        return await self.fake.callback(payload)

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        return await self.fake.callback(vb.text_callback(customer, self._token(message_id), text),
                                        signature="0" * 64)

    async def unknown(self, customer: str) -> int:
        return await self.fake.callback({"event": "something_new", "timestamp": 1, "user_id": customer,
                                         "message_token": self._token(f"status-{customer}")})

    def sent(self) -> list[c.Sent]:
        return [c.Sent(s.receiver, s.text, s.files) for s in self.fake.sent]
