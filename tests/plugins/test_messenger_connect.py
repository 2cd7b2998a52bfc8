"""`!line connect` for Telegram, Viber and Bot Framework, through a real Errbot, against fakes on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
from typing import Iterator

import aiohttp
import pytest

from tests.support import fake_botframework as bf
from tests.support import fake_telegram as tg
from tests.support import fake_viber as vb
from tests.support.loopback import LoopThread

SECRET = "S3CRET-do-not-leak"


@pytest.fixture
def fakes() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


def test_a_telegram_webhook_bot_connects_shows_its_callback_url_and_relays(openlines, fakes):
    fake = tg.FakeTelegram(f"123456:{SECRET}")
    fakes.call(fake.start())
    try:
        reply = openlines.command(f"!line connect Support telegram token={fake.token} mode=webhook api_url={fake.url}")
        url = f"http://127.0.0.1:{openlines.port}/telegram/123456"
        assert "Telegram connected to the line (running)" in reply and url in reply and SECRET not in reply
        assert "refused" not in reply
        fakes.call(_until(lambda: fake.webhook is not None))
        assert fake.webhook is not None and fake.webhook[0] == url

        async def post() -> int:
            async with aiohttp.ClientSession() as session, session.post(
                    url, json=tg.text_update(1, 42, 1, "Hello from Telegram"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": fake.webhook[1]}) as response:
                return response.status
        assert fakes.call(post()) == 200
        openlines.team.wait_for(lambda to, body: "Hello from Telegram" in body)
        assert SECRET not in openlines.command("!line show Support")
    finally:
        fakes.call(fake.stop())


def test_a_refused_token_is_said_in_plain_words(openlines, fakes):
    fake = tg.FakeTelegram("1:the-real-one")
    fakes.call(fake.start())
    try:
        reply = openlines.command(f"!line connect Support telegram token=123456:{SECRET} api_url={fake.url}")
        assert "Telegram does not accept the bot's token" in reply and SECRET not in reply
    finally:
        fakes.call(fake.stop())


def test_viber_and_bot_framework_connect_with_their_callback_urls(openlines, fakes):
    viber, bot = vb.FakeViber(f"4453{SECRET}"), bf.FakeBotFramework("a1b2c3d4-0000-4000-8000-00000000b07f", SECRET)
    fakes.call(viber.start())
    fakes.call(bot.start())
    try:
        reply = openlines.command(f"!line connect Support viber token={viber.token} api_url={viber.url}")
        assert "Viber connected to the line (running)" in reply and "refused" not in reply
        assert f"http://127.0.0.1:{openlines.port}/viber/" in reply and SECRET not in reply
        reply = openlines.command(f"!line connect Support botframework app_id={bot.app_id} app_password={SECRET} "
                                  f"login_url={bot.url} openid_url={bot.url}/openid")
        assert "connected to the line (running)" in reply and "refused" not in reply and SECRET not in reply
        assert f"http://127.0.0.1:{openlines.port}/botframework/{bot.app_id}/messages" in reply
        shown = openlines.command("!line show Support")
        assert "/viber/" in shown and "/botframework/" in shown and SECRET not in json.dumps(shown)
    finally:
        fakes.call(viber.stop())
        fakes.call(bot.stop())


async def _until(predicate) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")
