"""A unit's committed messages and work are built from what the writer wrote (no row read back):
they must equal what every later read of the same rows gives, on every store."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bridge.errors import Conflict
from bridge.model import Attachment, Conversation, ConversationStatus, Delivery, MessageKind
from bridge.store import NewMessage, NewWork, UnitOfWork, WorkItem
from bridge.work_kinds import Work

NOW = 1_700_000_000.0


def _conversation() -> Conversation:
    return Conversation(id="", line_id="support", binding_id="webchat:site", customer_ref="alice",
                        customer_name="Alice", status=ConversationStatus.QUEUED, created_at=NOW)


def _fields(item: WorkItem) -> tuple[object, ...]:
    # What a lease gives back besides its own flags (recovered, begun, held), types included.
    return (item.id, item.kind, type(item.kind), item.lane, item.conversation_id, item.payload,
            item.not_before, type(item.not_before), item.attempts)


async def test_committed_messages_equal_the_messages_read_back(journal):
    plain = NewMessage(MessageKind.INBOUND, "Alice", "hi", NOW, dedupe_key="k1")
    rich = NewMessage(MessageKind.REPLY, "op", "see", 1_700_000_001, external_id="x-1",  # an int ts
                      attachments=(Attachment("image", "https://e.x/a.png", "a.png", 12, "image/png", "f1"),),
                      edit_of=3, delivery=Delivery.SENT, meta={"reply_to": ("a", 1), "n": 2})
    done = await journal.conversations.commit(UnitOfWork(conversation=_conversation(), messages=[plain, rich]))
    read = await journal.conversations.messages_by_seq([m.seq for m in done.messages])
    assert done.messages == read
    assert [type(m.ts) for m in done.messages] == [float, float]
    assert done.messages[1].meta == {"reply_to": ["a", 1], "n": 2}  # as JSON keeps it, on both sides


async def test_committed_work_equals_the_work_leased_back(journal):
    hi = NewMessage(MessageKind.INBOUND, "Alice", "hi", NOW)
    work = [NewWork(Work.TEAM_POST, {"author": "op"}, message=hi, not_before=NOW),
            NewWork("crm.name", {"old": "A", "new": ("B", 1), "n": None}, not_before=1_700_000_000)]
    done = await journal.conversations.commit(UnitOfWork(conversation=_conversation(), messages=[hi], work=work))
    assert done.work[0].payload == {"author": "op", "seq": done.messages[0].seq}
    leased = await journal.outbox.lease_due("me", NOW + 1, NOW + 60, 10)
    assert sorted(map(_fields, leased), key=lambda f: f[0]) == [_fields(w) for w in done.work]
    assert done.work[1].payload == {"old": "A", "new": ["B", 1], "n": None}


async def test_a_known_open_message_checks_open_before_its_dedupe_key(journal):
    first = NewMessage(MessageKind.INBOUND, "Alice", "hi", NOW, dedupe_key="k1")
    c = (await journal.conversations.commit(UnitOfWork(conversation=_conversation(), messages=[first]))).conversation

    def again(key: str) -> UnitOfWork:
        return UnitOfWork(messages=[NewMessage(MessageKind.INBOUND, "Alice", "again", NOW, c.id, dedupe_key=key)],
                          open_as=(c.id, c.open_key))
    with pytest.raises(Conflict) as conflict:
        await journal.conversations.commit(again("k1"))
    assert conflict.value.what == "dedupe"
    with pytest.raises(Conflict) as conflict:  # a stale key: the conversation's open one is another
        await journal.conversations.commit(replace(again("k2"), open_as=(c.id, "another")))
    assert conflict.value.what == "open"
    await journal.conversations.commit(UnitOfWork(conversation=replace(c, status=ConversationStatus.CLOSED)))
    with pytest.raises(Conflict) as conflict:  # closed and a redelivery: "open", as when it was its own read
        await journal.conversations.commit(again("k1"))
    assert conflict.value.what == "open"
    assert [m.text for m in await journal.conversations.messages(c.id)] == ["hi"]
