"""Fuzz every webhook channel: thousands of seeded, mangled payloads, correctly signed so they reach parsing.

Valid envelopes with fields dropped, swapped for wrong types, huge strings,
lone surrogates, bad UTF-8, truncation and deep nesting. Whatever comes in:
no 5xx, no crash, and the journal holds only whole conversations.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from bridge.model import MessageKind
from tests.channels import contract as c
from tests.channels.channel import Channel
from tests.channels.harness_botframework import BotFrameworkHarness
from tests.channels.harness_telegram import TelegramWebhookHarness
from tests.channels.harness_viber import ViberHarness
from tests.support import fake_telegram as tg
from tests.support import fake_viber as vb
from tests.support.runtime import Running

PAYLOADS = 2_000
TIME_LIMIT = 240.0  # seconds for one channel's run: a hang is a failure, not a slow pass
IN_FLIGHT = 8
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 2 ** 70, 1.5, float("1e308"), "", " ", "x" * 100_000, "\ud800",
                         "😀" * 2_000, "\x00\x1b[31m\u202e", [], {}, [1, "a", None], {"a": {"b": [{}]}}, "123",
                         "https://127.0.0.1:1/nothing"]
Post = Callable[[bytes], Awaitable[int]]


@pytest.fixture(params=["telegram", "viber", "botframework"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[c.Harness]:
    made: c.Harness = {"telegram": TelegramWebhookHarness, "viber": ViberHarness,
                       "botframework": BotFrameworkHarness}[request.param]()
    yield made
    await made.close()


def seeds(harness: c.Harness) -> list[dict[str, Any]]:
    """Valid envelopes of every kind the channel knows, to mangle."""
    if isinstance(harness, TelegramWebhookHarness):
        photo = tg.message(3, 7, 3, caption="c", photo=[{"file_id": "f", "file_unique_id": "u", "width": 1,
                                                           "height": 1, "file_size": 5}])
        edit = tg.text_update(4, 7, 1, "edited")
        edit["edited_message"] = {**edit.pop("message"), "edit_date": 5}
        member = {"update_id": 5, "my_chat_member": {"chat": {"id": 7, "type": "private"}, "from": tg.user(7),
                                                     "date": 1, "new_chat_member": {"status": "kicked"}}}
        return [tg.text_update(1, 7, 1, "hello"), tg.document_update(2, 7, 2, "d", "a.pdf", "application/pdf", 9),
                photo, edit, member]
    if isinstance(harness, ViberHarness):
        picture = vb.text_callback("u1==", 2, "")
        picture["message"] = {"type": "picture", "media": "https://127.0.0.1:1/p.jpg", "text": "c"}
        return [vb.text_callback("u1==", 1, "hello"), picture,
                {"event": "unsubscribed", "timestamp": 1, "user_id": "u1==", "message_token": 3},
                {"event": "seen", "timestamp": 1, "user_id": "u1==", "message_token": 4},
                {"event": "conversation_started", "user": {"id": "u1==", "name": "A"}, "message_token": 5}]
    assert isinstance(harness, BotFrameworkHarness)
    message = harness.fake.message("conv-7", "a1", "hello")
    update = {**message, "type": "messageUpdate"}
    return [message, update, {**message, "type": "conversationUpdate", "membersAdded": [{"id": "x"}]},
            {**message, "attachments": [{"contentType": "image/png", "contentUrl": "data:image/png;base64,iVBORw=="}]}]


def mangle(rng: random.Random, value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict):
        out = {k: (mangle(rng, v, depth + 1) if rng.random() < 0.4 else v)
               for k, v in value.items() if rng.random() > 0.1}
        if rng.random() < 0.1:
            out[rng.choice(["text", "id", "type", "message", "chat", "event", "from"])] = rng.choice(ODD_VALUES)
        return out
    if isinstance(value, list):
        return [mangle(rng, v, depth + 1) for v in value if rng.random() > 0.1]
    return rng.choice(ODD_VALUES) if rng.random() < 0.35 else value


def payload(rng: random.Random, samples: list[dict[str, Any]], n: int) -> bytes:
    base = json.loads(json.dumps(rng.choice(samples)))
    for key in ("update_id", "message_token", "id"):  # mostly fresh ids: new messages, not redeliveries
        if key in base and rng.random() < 0.8:
            base[key] = 10_000 + n if key != "id" else f"a{n}"
    body = json.dumps(mangle(rng, base) if rng.random() < 0.9 else base).encode()
    roll = rng.random()
    if roll < 0.03:
        return body[: rng.randrange(len(body) + 1)]  # truncated
    if roll < 0.06:
        return body.replace(b"e", b"\xff\xfe", 1)  # bad UTF-8
    if roll < 0.07:
        return b"[" * 50_000 + b"]" * 50_000  # deep nesting
    return body


def poster(harness: c.Harness, session: aiohttp.ClientSession) -> Post:
    """How each platform signs and posts a body."""
    async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        async with session.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as r:
            await r.read()
            return r.status

    if isinstance(harness, TelegramWebhookHarness):
        assert harness.fake.webhook is not None
        url, secret = harness.fake.webhook
        return lambda body: post(url, body, {"X-Telegram-Bot-Api-Secret-Token": secret})
    if isinstance(harness, ViberHarness):
        fake = harness.fake
        assert fake.webhook is not None
        webhook = fake.webhook
        return lambda body: post(webhook, body, {"X-Viber-Content-Signature": fake.sign(body)})
    assert isinstance(harness, BotFrameworkHarness)
    bearer = harness.fake.bearer()
    return lambda body: post(harness._url, body, {"Authorization": bearer})


async def whole_conversations_only(runtime: Running) -> int:
    journal = runtime.core.journal
    assert journal is not None
    conversations = await runtime.run(journal.conversations.conversations(open_only=False))
    for conversation in conversations:
        messages = await runtime.run(journal.conversations.messages(conversation.id, limit=10_000))
        assert messages and messages[0].kind is MessageKind.INBOUND, conversation
        assert all(m.conversation_id == conversation.id for m in messages)
        assert all(m.text.strip() or m.attachments for m in messages)
    return len(conversations)


async def test_mangled_payloads_never_get_a_5xx_nor_leave_half_a_conversation(channel: Channel):
    rng = random.Random(f"fuzz-{channel.harness.kind}")
    samples = seeds(channel.harness)
    statuses: dict[int, int] = {}
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        post = poster(channel.harness, session)
        bodies = iter([payload(rng, samples, n) for n in range(PAYLOADS)])

        async def worker() -> None:
            for body in bodies:
                status = await post(body)
                statuses[status] = statuses.get(status, 0) + 1
                assert status < 500, (status, body[:300])
                assert time.monotonic() - started < TIME_LIMIT, "the fuzz run took too long"

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    assert sum(statuses.values()) == PAYLOADS
    assert statuses.get(200, 0) > PAYLOADS // 10, statuses  # enough got through to the core to mean something
    assert await whole_conversations_only(channel.runtime) > 0
