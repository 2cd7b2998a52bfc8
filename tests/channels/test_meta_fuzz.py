"""2,400 generated Meta webhook calls against the real runtime: no 5xx, no crash, nothing half-stored.

Seeded, so a failure replays. Valid envelopes with fields removed or of the
wrong type, huge strings, bad UTF-8, broken JSON, deep nesting, unknown
objects and forged signatures, for Messenger, page comments and Instagram.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import aiohttp

from backends.meta.parse import parse
from bridge import relay, rules
from bridge.channels import InboundMessage
from bridge.model import MessageKind
from tests.channels.meta_fixtures import MetaChannel, facebook  # noqa: F401  (fixture)

SEED = 20261126
CALLS = 2400
IN_FLIGHT = 6
BUDGET = 240.0  # seconds: a hang fails the test instead of holding the suite
IG_ACCOUNT = "17841400000000001"
GARBAGE: list[Any] = [None, True, False, 0, -1, 1.5, 1e308, "", " ", "x" * 70_000, [], {}, [1, "a"], {"id": {}},
                      "\ud800", "<b>bold</b> & \x00\x1b[31m", "😀" * 50, "1" * 300, -(2 ** 70), "m_" + "y" * 250]


class Fuzzer:
    def __init__(self, rng: random.Random, page: str, cdn: str) -> None:
        self.rng, self.page, self.cdn = rng, page, cdn
        self.customers = [f"2400000000{n:04d}" for n in range(6)]
        self.prefix = ""  # "forged_" marks the ids of calls signed with the wrong secret

    def value(self, good: Any) -> Any:
        """Usually the good value; sometimes garbage of any type."""
        return good if self.rng.random() < 0.85 else self.rng.choice(GARBAGE)

    def sparse(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {k: self.value(v) for k, v in fields.items() if self.rng.random() > 0.07}

    def url(self) -> str:
        return self.rng.choice([self.cdn, self.cdn, "http://127.0.0.1:1/gone.jpg", "ftp://x/y", "https://"])

    def messaging(self, account: str) -> dict[str, Any]:
        r = self.rng
        customer = r.choice(self.customers)
        mid = f"{self.prefix}m_{r.randrange(60)}"
        at = int((time.time() - r.choice([0, 60, 3 * 86400])) * 1000)
        kind = r.choice(["message", "message", "message", "message_edit", "read", "delivery", "postback", "optin",
                         "echo", "attachments"])
        body: dict[str, Any] = {"mid": mid, "text": r.choice(["hello", "où est ma commande ?", "", "x" * 5000])}
        if kind == "message_edit":
            body = {"mid": mid, "text": "edited", "num_edit": r.randrange(3)}
        elif kind in ("read", "delivery"):
            body = {"watermark": at, "mids": [mid], "mid": mid}
        elif kind == "postback":
            body = {"title": "Get started", "payload": "START", "mid": mid}
        elif kind == "echo":
            body, kind = {**body, "is_echo": True}, "message"
        elif kind == "attachments":
            body = {"mid": mid, "attachments": [self.sparse({"type": r.choice(["image", "file", "share", "x"]),
                                                             "payload": self.sparse({"url": self.url()})})]}
            kind = "message"
        item = {"sender": {"id": self.value(customer)}, "recipient": {"id": account}, "timestamp": self.value(at),
                kind: self.sparse(body)}
        return self.sparse(item)

    def change(self) -> dict[str, Any]:
        r = self.rng
        comment = f"{self.prefix}555_{r.randrange(12)}"
        value = {"item": r.choice(["comment", "comment", "reaction", "post"]),
                 "verb": r.choice(["add", "add", "edited", "remove", "hide"]), "comment_id": comment,
                 "post_id": "104_555", "parent_id": r.choice(["104_555", "555_0", "555_1"]),
                 "from": self.sparse({"id": r.choice(self.customers + [self.page]), "name": "Fuzz"}),
                 "message": r.choice(["nice", "", "y" * 9000]), "created_time": int(time.time()),
                 "photo": self.url()}
        return self.sparse({"field": r.choice(["feed", "feed", "mention"]), "value": self.sparse(value)})

    def envelope(self, forged: bool) -> tuple[str, bytes]:
        """Where to post it (a page or the Instagram account) and the body."""
        r = self.rng
        self.prefix = "forged_" if forged else ""
        target = r.choice(["page", "page", "instagram"])
        account = self.page if target == "page" else IG_ACCOUNT
        entries = [self.sparse({"id": self.value(account), "time": 1,
                                "messaging": [self.messaging(account) for _ in range(r.randrange(4))],
                                "changes": [self.change() for _ in range(r.randrange(3))]})
                   for _ in range(r.randrange(1, 3))]
        data: Any = self.sparse({"object": self.value(target), "entry": self.value(entries)})
        body = json.dumps(data).encode()
        damage = r.random()
        if damage < 0.04:
            body = body[: r.randrange(len(body) + 1)]  # cut short
        elif damage < 0.08:
            at = r.randrange(len(body) + 1)
            body = body[:at] + bytes(r.randrange(128, 256) for _ in range(3)) + body[at:]  # bad UTF-8
        elif damage < 0.10:
            body = b'{"object":"page","entry":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        return account, body


async def test_generated_webhook_calls_never_break_the_channel(facebook: MetaChannel):
    h = facebook.harness
    for kind, account in (("fbcomments", h.account), ("instagram", IG_ACCOUNT)):
        await h.bind(facebook.runtime, kind, account)
    fuzz = Fuzzer(random.Random(SEED), h.account, h.graph.host_file(b"\xff\xd8\xff fuzz", "f.jpg", "image/jpeg"))
    calls = []
    for _ in range(CALLS):
        forged = fuzz.rng.random() < 0.1
        account, body = fuzz.envelope(forged)
        calls.append((account, body, h.sign(body, "not the app secret" if forged else None)))
    statuses: dict[int, int] = {}
    expected: set[tuple[str, str, str]] = set()
    base, started, pending = h.url.rsplit("/", 1)[0], time.monotonic(), iter(calls)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async def worker() -> None:  # several at once, as Meta delivers: same customers, same ids
            for account, body, signature in pending:
                async with session.post(f"{base}/{account}", data=body,
                                        headers={"X-Hub-Signature-256": signature}) as response:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    assert response.status < 500, (response.status, body[:300])
                    if response.status == 200:
                        expected.update(_stored_if_taken(body, account))
                assert time.monotonic() - started < BUDGET, "the fuzz run took too long"
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    assert sum(statuses.values()) == CALLS and statuses.get(200, 0) > CALLS / 3 and statuses.get(403)
    await facebook.settle()
    await _nothing_half_stored(facebook, expected)
    # And the channel still works.
    assert await h.say(h.customer(9), "still here", "m-after-fuzz") == 200
    await facebook.wait_conversation(h.customer(9))


def _stored_if_taken(body: bytes, account: str) -> set[tuple[str, str, str]]:
    """The (binding, customer, platform id) of every message a 200 promised is stored."""
    try:
        items = parse(body)
    except ValueError:
        return set()
    return {(f"{i.kind}:{i.account}", i.event.customer_ref, i.event.external_id) for i in items
            if isinstance(i.event, InboundMessage) and i.account == account and (relay.clean_text(i.event.text).strip() or i.event.attachments)}


async def _nothing_half_stored(channel: MetaChannel, expected: set[tuple[str, str, str]]) -> None:
    journal = channel.runtime.app.journal
    assert journal is not None
    for binding_id, customer, external_id in sorted(expected):
        key = rules.dedupe_key(binding_id, customer, external_id)
        stored, _ = await channel.runtime.run(journal.conversations.inbound_state(key, ""))
        assert stored is not None, f"acknowledged but not stored: {binding_id} {customer} {external_id}"
    conversations = await channel.runtime.run(journal.conversations.conversations(open_only=False, limit=10_000))
    assert conversations
    for conversation in conversations:
        messages = await channel.runtime.run(journal.conversations.messages(conversation.id, limit=10_000))
        inbound = [m for m in messages if m.kind is MessageKind.INBOUND]
        assert inbound, f"conversation {conversation.id} has no customer message"
        for m in messages:
            assert "forged_" not in (m.external_id or ""), "a forged call was stored"
        for m in inbound:
            assert m.text.strip() or m.attachments
            assert all(a.url.startswith(("http://", "https://")) for a in m.attachments)
            assert relay.well_formed(m.text)
