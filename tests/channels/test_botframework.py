"""Bot Framework's own behaviour, beyond the shared contract: authentication, edits, references after a restart."""
from __future__ import annotations

import time
from typing import AsyncIterator

import aiohttp
import pytest

from backends.botframework.kind import KIND as BOTFRAMEWORK
from bridge.model import MessageKind
from tests.channels.channel import Channel, internal_service
from tests.channels.contract import eventually
from tests.channels.harness_botframework import BotFrameworkHarness, connect_botframework
from tests.support import fake_botframework as bf
from tests.support.runtime import OPERATOR, Running

CUSTOMER = "conversation-1"


@pytest.fixture
async def harness() -> AsyncIterator[BotFrameworkHarness]:
    made = BotFrameworkHarness()
    yield made
    await made.close()


def fake(channel: Channel) -> bf.FakeBotFramework:
    assert isinstance(channel.harness, BotFrameworkHarness)
    return channel.harness.fake


def url(channel: Channel) -> str:
    return f"{channel.runtime.base_url}/botframework/{channel.binding.key}/messages"


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer not.a.jwt", "Basic abc",
    "expired", "wrong audience", "wrong service url", "wrong issuer"])
async def test_a_request_without_a_valid_token_is_401_and_stores_nothing(channel: Channel, authorization):
    f = fake(channel)
    now = int(time.time())
    claims = {"expired": {"exp": now - 3600, "nbf": now - 7200}, "wrong audience": {"aud": "someone-else"},
              "wrong service url": {"serviceurl": "https://evil.example/"},
              "wrong issuer": {"iss": "https://evil.example"}}.get(authorization or "")
    header = f.bearer(**claims) if claims is not None else authorization
    assert await f.post(url(channel), f.message(CUSTOMER, "a1", "let me in"), authorization=header) == 401
    assert await channel.conversation_id(CUSTOMER) is None


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"type": ""}', b'{"type": "message", "text": "no ids"}',
                                  b'{"type": "message", "id": "x", "conversation": {"id": "c"}, "serviceUrl": "ftp://x"}'])
async def test_a_malformed_activity_is_400(channel: Channel, body: bytes):
    async with aiohttp.ClientSession() as session, session.post(
            url(channel), data=body, headers={"Authorization": fake(channel).bearer(),
                                              "Content-Type": "application/json"}) as response:
        assert response.status == 400


async def test_an_edit_is_stored_as_an_edit(channel: Channel):
    f = fake(channel)
    assert await f.post(url(channel), f.message(CUSTOMER, "a1", "order 1234")) == 200
    update = f.message(CUSTOMER, "a1", "order 1243", timestamp="2026-11-26T10:05:00.000Z")
    update["type"] = "messageUpdate"
    assert await f.post(url(channel), update) == 200
    inbound = await channel.messages(await channel.wait_conversation(CUSTOMER), MessageKind.INBOUND)
    assert [(m.text, m.edit_of) for m in inbound] == [("order 1234", None), ("order 1243", inbound[0].seq)]


async def test_a_message_keeps_what_else_is_kept_for_the_customer(channel: Channel):
    f = fake(channel)
    state = channel.runtime.app.journal.state
    await channel.runtime.run(state.put(channel.binding.id, CUSTOMER, {"status": "blocked", "mailed_seq": 3}))
    assert await f.post(url(channel), f.message(CUSTOMER, "a1", "hello")) == 200
    kept = await channel.runtime.run(state.get(channel.binding.id, CUSTOMER))
    assert kept["status"] == "blocked" and kept["mailed_seq"] == 3 and "reference" in kept


async def test_a_reply_after_a_restart_goes_through_the_stored_reference(channel: Channel, tmp_path):
    f = fake(channel)
    assert await f.post(url(channel), f.message(CUSTOMER, "a1", "hello")) == 200
    await channel.wait_conversation(CUSTOMER)
    await channel.wait_sent(CUSTOMER, channel.runtime.app.services.directory.line("support").settings.welcome_text)
    channel.runtime.stop()
    again = Running(tmp_path / "data", clock=channel.clock, database_url=channel.runtime.settings.database_url)
    try:
        later = Channel(again, channel.harness, channel.binding, channel.clock)
        await later.reply(CUSTOMER, "answered after a restart")
        await later.reply(CUSTOMER, "and once more")
        await later.wait_sent(CUSTOMER, "and once more")
    finally:
        again.stop()
    assert f.tokens_issued == 2  # one app token per process, not one per send (as the SDK's msal use did)


async def test_with_no_app_id_anyone_may_post(runtime: Running, tmp_path):
    f = bf.FakeBotFramework("", "")
    await f.start()
    try:
        backend = await connect_botframework(runtime, f)
        assert backend.binding.key == "anonymous"
        assert await f.post(backend.callback_url(), f.message(CUSTOMER, "a1", "hi"), authorization=None) == 200
        await eventually(lambda: f.sent, "the welcome through the fake connector")
    finally:
        await f.stop()


def test_the_binding_key_is_the_app_id():
    assert BOTFRAMEWORK.binding_key({"app_id": "a-1"}, {}) == "a-1"
    assert BOTFRAMEWORK.binding_key({}, {}) == "anonymous"


async def test_the_activitys_locale_picks_the_lines_text_in_it(channel: Channel):
    admin, line = channel.runtime.app.services.admin, channel.binding.line_id
    await channel.runtime.run(admin.set(OPERATOR, line, "welcome_text.fr", "Bonjour ! Nous arrivons."))
    assert await fake(channel).post(url(channel), fake(channel).message(CUSTOMER, "fr-1", "bonjour",
                                                                        locale="fr-FR")) == 200
    await channel.wait_sent(CUSTOMER, "Bonjour ! Nous arrivons.")


async def test_an_attachment_inside_our_network_is_not_fetched(channel: Channel):
    """contentUrl names a service on this machine (another port than the platform's): never asked."""
    async with internal_service() as (internal, asked):
        f = fake(channel)
        files = [{"contentType": "image/png", "name": "internal.png",
                  "contentUrl": f"{internal}/latest/meta-data/iam/security-credentials/"},
                 {"contentType": "image/png", "name": "local.png",
                  "contentUrl": internal.replace("127.0.0.1", "localhost") + "/by-name"},
                 {"contentType": "image/png", "name": "ours.png", "contentUrl": f.add_media("ours.png", b"ok")}]
        assert await f.post(url(channel), f.message(CUSTOMER, "m1", "look", attachments=files)) == 200
        [message] = await channel.messages(await channel.wait_conversation(CUSTOMER), MessageKind.INBOUND)
        stored = [a for a in message.attachments if a.url.startswith(channel.runtime.base_url)]
        assert [a.name for a in stored] == ["ours.png"]  # the platform's own host is fetched
        assert asked == []


async def test_below_the_free_disk_floor_the_text_is_stored_with_the_platforms_link(channel: Channel):
    files = channel.runtime.host.files
    assert files is not None
    files.min_free = 1 << 60  # more than any disk
    f = fake(channel)
    link = f.add_media("photo.png", b"\x89PNG\r\n\x1a\n")
    attachment = {"contentType": "image/png", "name": "photo.png", "contentUrl": link}
    assert await f.post(url(channel), f.message(CUSTOMER, "m-full", "my parcel", attachments=[attachment])) == 200
    [message] = await channel.messages(await channel.wait_conversation(CUSTOMER), MessageKind.INBOUND)
    assert message.text == "my parcel" and message.attachments[0].url == link
