"""Fuzz every webhook channel: thousands of seeded, mangled payloads, correctly signed so they reach parsing.

Valid envelopes with fields dropped, swapped for wrong types, huge strings,
lone surrogates, bad UTF-8, truncation and deep nesting. Whatever comes in:
no 5xx, no crash, and the journal holds only whole conversations.

Then signed events with one oddity each, sent one at a time: every one the
platform gets a 2xx for is either relayed (a message stored) or kept as
unreadable and told to the line once per kind — none dropped; run with -s to
see the counts.
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
from tests.channels.harness_meta import FacebookHarness, InstagramHarness, MetaHarness
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


@pytest.fixture(params=["telegram", "viber", "botframework", "facebook", "instagram"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[c.Harness]:
    made: c.Harness = {"telegram": TelegramWebhookHarness, "viber": ViberHarness, "botframework": BotFrameworkHarness,
                       "facebook": FacebookHarness, "instagram": InstagramHarness}[request.param]()
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
    if isinstance(harness, MetaHarness):
        customer = harness.customer(7)
        return [json.loads(harness.envelope([m])) for m in (
            harness.message(customer, "m_1", "hello"), harness.event(customer, "message_edit", {"mid": "m_1", "text": "x"}),
            harness.event(customer, "postback", {"title": "Yes", "payload": "Y", "mid": "m_p"}),
            harness.message(customer, "m_2", attachments=[("image", "https://127.0.0.1:1/p.jpg")]))]
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
    if isinstance(harness, MetaHarness):
        meta = harness
        return lambda body: post(meta.url, body, {"X-Hub-Signature-256": meta.sign(body)})
    assert isinstance(harness, BotFrameworkHarness)
    bearer = harness.fake.bearer()
    return lambda body: post(harness._url, body, {"Authorization": bearer})


async def whole_conversations_only(runtime: Running) -> int:
    journal = runtime.app.journal
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


# -- signed but odd: every event relayed or kept-and-shown, none dropped -----------------------------
ODD_EVENTS = 120


def odd_ids(n: int) -> list[Any]:
    return [f"mid.$c{n}AAJdkrCd2ORnva8ErFhjGm0X_Q_c", f"m_{n}+cd/ef==", f"m with space {n}", f"{n}" + "i" * 990,
            f"é😀{n}", n * 7 + 1, {"id": n}, [n], None, True]


def odd_texts(n: int) -> list[Any]:
    return ["", " ", f"{n}" + "x" * 5000, f"lone \ud800 {n}", f"\x00\x1b[31m{n}\u202e", "😀" * 3000 + str(n),
            ["a", n], {"text": n}, None]


def _set(event: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        event = event.setdefault(key, {}) if isinstance(event.get(key, {}), dict) else {}
    if value is _DROP:
        event.pop(last, None)
    else:
        event[last] = value


_DROP = object()


def odd_event(rng: random.Random, base: dict[str, Any], paths: dict[str, str], n: int) -> tuple[dict[str, Any], str]:
    """One signed event with one oddity: an odd id, an odd text, a field dropped or of another type, or an
    event type nobody knows. Each comes from its own customer: none is a redelivery of another."""
    event = json.loads(json.dumps(base))
    oddity = rng.choice(["id", "id", "text", "text", "drop", "type", "unknown", "extra"])
    if oddity == "id":
        _set(event, paths["id"], rng.choice(odd_ids(n)))
    elif oddity == "text":
        _set(event, paths["text"], rng.choice(odd_texts(n)))
    elif oddity in ("drop", "type"):
        field = rng.choice(paths["fields"].split())
        _set(event, field, _DROP if oddity == "drop" else rng.choice([{}, [], None, True, 5, "x"]))
    elif oddity == "unknown":
        outer, inner = paths["unknown"].split("=")
        if outer in ("event", "type"):  # the event's type names it
            event[outer] = inner
        else:  # its key does
            event[inner] = event.pop(outer, {"n": n})
    else:
        event[f"something_new_{n % 3}"] = {"n": n}
    return event, oddity


class OddChannel:
    """How one platform's odd events are made and posted, signed as the platform signs them."""

    def __init__(self, channel: Channel, session: aiohttp.ClientSession) -> None:
        self.channel, h = channel, channel.harness
        self.post: Callable[[dict[str, Any]], Awaitable[int]]
        if isinstance(h, TelegramWebhookHarness):
            self.base = lambda n: tg.text_update(10_000 + n, 1_000 + n, 10_000 + n, f"hello {n}")
            self.paths = {"id": "message.message_id", "text": "message.text", "unknown": "message=business_note",
                          "fields": "update_id message message.chat message.chat.id message.message_id message.from"}
            self.post = h.deliver
        elif isinstance(h, ViberHarness):
            self.base = lambda n: vb.text_callback(f"user{n}==", 10_000 + n, f"hello {n}")
            self.paths = {"id": "message_token", "text": "message.text", "unknown": "event=something_new",
                          "fields": "event sender sender.id message message_token message.type"}
            self.post = h.fake.callback
        elif isinstance(h, BotFrameworkHarness):
            self.base = lambda n: h.fake.message(f"conv-{n}", f"a{n}", f"hello {n}")
            self.paths = {"id": "id", "text": "text", "unknown": "type=somethingNew",
                          "fields": "id conversation conversation.id from text"}
            self.post = lambda event: h.fake.post(h._url, event)
        else:
            assert isinstance(h, MetaHarness)
            self.base = lambda n: h.message(h.customer(n), f"m_{n}", f"hello {n}")
            self.paths = {"id": "message.mid", "text": "message.text", "unknown": "message=something_new",
                          "fields": "sender sender.id message message.mid recipient"}
            self.post = lambda event: h.deliver(event)

    async def tally(self) -> tuple[int, int]:
        """(inbound messages stored, unreadable events kept) on this channel so far."""
        journal = self.channel.runtime.app.journal
        assert journal is not None
        inbound = 0
        for conversation in await self.channel.runtime.run(journal.conversations.conversations(open_only=False)):
            messages = await self.channel.messages(conversation.id, MessageKind.INBOUND)
            inbound += len(messages)
        return inbound, sum((await self.channel.kept()).values())


async def test_signed_odd_events_are_each_relayed_or_kept_and_shown_never_dropped(channel: Channel,
                                                                                    request: pytest.FixtureRequest):
    rng = random.Random(f"odd-{channel.harness.kind}")
    counts = {"relayed": 0, "kept": 0, "refused (4xx, nothing acknowledged)": 0, "dropped": 0}
    async with aiohttp.ClientSession() as session:
        odd = OddChannel(channel, session)
        before = await odd.tally()
        for n in range(ODD_EVENTS):
            event, oddity = odd_event(rng, odd.base(n), odd.paths, n)
            status = await odd.post(event)
            assert status < 500, (status, oddity, event)
            after = await odd.tally()
            relayed, kept = after[0] - before[0], after[1] - before[1]
            if 400 <= status < 500:
                assert (relayed, kept) == (0, 0), (status, event)
                counts["refused (4xx, nothing acknowledged)"] += 1
            else:
                counts["relayed"] += relayed
                counts["kept"] += kept
                counts["dropped"] += relayed + kept == 0
                assert relayed + kept == 1, (oddity, event, relayed, kept)
            before = after
    await channel.settle()
    kinds = await channel.kept()
    notes = channel.kept_notes()
    assert sorted(kinds) == sorted(note.split("kept: ", 1)[1].rsplit(" (", 1)[0].split(" (")[0] for note in notes)
    print(f"\n{request.node.callspec.id}: {ODD_EVENTS} signed odd events: {counts}; kept kinds {kinds}")
    assert counts["dropped"] == 0 and counts["relayed"] > 0 and counts["kept"] > 0
