"""Bot Framework under the channel contract, authentication on, against the fake connector and login."""
from __future__ import annotations

from backends.botframework.backend import BotFrameworkBackend
from bridge.model import ChannelBinding
from tests.channels import contract as c
from tests.channels.channel import connect_binding
from tests.support import fake_botframework as bf
from tests.support.runtime import Running

APP_ID = "a1b2c3d4-0000-4000-8000-00000000b07f"


async def connect_botframework(runtime: Running, fake: bf.FakeBotFramework) -> BotFrameworkBackend:
    """Save a Bot Framework binding pointing at ``fake`` and start it live, as `!line connect` would."""
    settings = {"app_id": fake.app_id, "login_url": fake.url, "openid_url": f"{fake.url}/openid"}
    secrets = {"app_password": fake.password} if fake.app_id else {}
    backend = await connect_binding(runtime, BotFrameworkBackend, settings, secrets, "Teams")
    return backend


class BotFrameworkHarness(c.FakeFaults):
    kind = "botframework"
    features = c.ALL

    def __init__(self) -> None:
        self.fake = bf.FakeBotFramework(APP_ID, c.SECRET)
        self._url = ""

    async def connect(self, runtime: Running) -> ChannelBinding:
        await self.fake.start()
        backend = await connect_botframework(runtime, self.fake)
        self.backend = backend
        self._url = backend.callback_url()
        return backend.binding

    async def close(self) -> None:
        await self.fake.stop()

    def customer(self, n: int) -> str:
        return f"conversation-{n}"

    async def say(self, customer: str, text: str, message_id: str) -> int:
        return await self.fake.post(self._url, self.fake.message(customer, message_id, text))

    async def say_file(self, customer: str, data: bytes, name: str, content_type: str, message_id: str) -> int:
        url = self.fake.add_media(name, data)
        attachment = {"contentType": content_type, "contentUrl": url, "name": name}
        return await self.fake.post(self._url, self.fake.message(customer, message_id, "", attachments=[attachment]))

    async def forge(self, customer: str, text: str, message_id: str) -> int:
        """Signed with a key that is not the Bot Framework's, under its key id."""
        forged = self.fake.bearer(key=bf.new_key())
        return await self.fake.post(self._url, self.fake.message(customer, message_id, text), authorization=forged)

    async def unknown(self, customer: str) -> int:
        activity = self.fake.message(customer, f"odd-{customer}", "")
        activity["type"] = "somethingNew"
        return await self.fake.post(self._url, activity)

    def sent(self) -> list[c.Sent]:
        return [c.Sent(s.conversation, s.text, s.files) for s in self.fake.sent]
