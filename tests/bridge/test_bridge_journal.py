"""The SQLite journal on its own: group commit, isolation between customers, claims; relay rules."""
from __future__ import annotations

import asyncio

import pytest

from bridge import relay
from bridge.channels import InboundMessage
from bridge.errors import NotFound, Refused
from bridge.model import ChannelBinding, Message, MessageKind
from bridge.relay import TeamText, classify_team_text
from bridge.sqlite_store import open_sqlite
from bridge.sqlite_worker import SqliteWorker

BINDING = ChannelBinding(line_id="support", kind="webchat", key="site", label="Website chat")
OTHER_BINDING = ChannelBinding(line_id="support", kind="telegram", key="bot", label="Telegram")


@pytest.fixture
def journal(tmp_path):
    worker, journal, _lines = open_sqlite(str(tmp_path / "j.sqlite3"))
    yield journal
    worker.close()


def _in(ref: str, ext: str, text: str = "hi") -> InboundMessage:
    return InboundMessage(customer_ref=ref, external_id=ext, text=text, customer_name=ref.title())


async def test_concurrent_accepts_are_group_committed_and_durable(make_app, monkeypatch):
    app = await make_app(start=False)  # only the accepts use the journal
    batches: list[int] = []
    run_batch = SqliteWorker._run_batch
    monkeypatch.setattr(SqliteWorker, "_run_batch",
                        lambda self, conn, batch: (batches.append(len(batch)), run_batch(self, conn, batch)))

    receipts = await asyncio.gather(*(app.say(f"m{i}", ref=f"c{i % 20}", name=f"C{i % 20}", ext=f"e{i}")
                                      for i in range(200)))
    await app.shutdown()

    assert sum(batches) == 200
    assert len({r.seq for r in receipts}) == 200
    assert not any(r.duplicate for r in receipts)
    assert len({r.conversation_id for r in receipts}) == 20  # one open conversation per customer
    assert max(batches) > 1 and len(batches) < 200  # several accepts shared one commit

    worker, journal, _lines = open_sqlite(str(app.path))
    try:
        stored = {}
        for cid in {r.conversation_id for r in receipts}:
            for m in await journal.transcript(cid):
                if m.kind is MessageKind.INBOUND:
                    stored[m.seq] = m.text
    finally:
        worker.close()
    assert stored == {r.seq: f"m{i}" for i, r in enumerate(receipts)}


async def test_seqs_increase_across_conversations(journal):
    a = await journal.accept_inbound(BINDING, _in("alice", "1"), welcome="", now=1.0)
    b = await journal.accept_inbound(BINDING, _in("bob", "1"), welcome="", now=2.0)
    c = await journal.accept_inbound(BINDING, _in("alice", "2"), welcome="", now=3.0)
    assert a.message.seq < b.message.seq < c.message.seq
    assert (a.created, b.created, c.created) == (True, True, False)
    assert c.conversation.id == a.conversation.id


async def test_customer_history_never_returns_other_customers_messages(journal):
    alice = await journal.accept_inbound(BINDING, _in("alice", "1", "alice secret"), welcome="Hello", now=1.0)
    await journal.accept_inbound(BINDING, _in("bob", "1", "bob secret"), welcome="Hello", now=1.0)
    # The same customer_ref on another channel is another customer.
    await journal.accept_inbound(OTHER_BINDING, _in("alice", "1", "telegram alice"), welcome="", now=1.0)
    await journal.add_message(alice.conversation.id, MessageKind.NOTICE, "", "team only", now=2.0)
    await journal.add_message(alice.conversation.id, MessageKind.REPLY, "ann", "answer", now=3.0)

    history = await journal.customer_history(BINDING.id, "alice", 0, 100)

    assert [(m.kind, m.text) for m in history] == [
        (MessageKind.INBOUND, "alice secret"), (MessageKind.AUTO, "Hello"), (MessageKind.REPLY, "answer")]
    assert {m.conversation_id for m in history} == {alice.conversation.id}
    assert await journal.customer_history(BINDING.id, "alice", 0, 2) == history[:2]
    assert await journal.customer_history(BINDING.id, "nobody", 0, 100) == []


async def test_history_after_a_seq_beyond_any_stored_one_is_empty(journal):
    # after_seq comes from the customer's client: an absurd value must not break the journal.
    await journal.accept_inbound(BINDING, _in("alice", "1"), welcome="", now=1.0)
    assert await journal.customer_history(BINDING.id, "alice", 10**30, 100) == []
    assert len(await journal.customer_history(BINDING.id, "alice", -10**30, 100)) == 1


async def test_claim_is_refused_to_a_second_operator_and_on_a_closed_conversation(journal):
    accepted = await journal.accept_inbound(BINDING, _in("alice", "1"), welcome="", now=1.0)
    cid = accepted.conversation.id

    claimed, taken_now = await journal.claim(cid, "ann")
    assert claimed.operator == "ann" and taken_now
    again, taken_again = await journal.claim(cid, "ann")
    assert again.operator == "ann" and not taken_again
    with pytest.raises(Refused, match="already answered by ann"):
        await journal.claim(cid, "bob")

    closed = await journal.close(cid, reason="done", closing_text="", now=5.0)
    assert closed.closing is None and closed.conversation.closed_at == 5.0
    with pytest.raises(Refused):
        await journal.claim(cid, "ann")
    with pytest.raises(Refused):
        await journal.add_message(cid, MessageKind.REPLY, "ann", "late", now=6.0)
    notice = await journal.add_message(cid, MessageKind.NOTICE, "", "closed", now=6.0)
    assert notice.kind is MessageKind.NOTICE  # the team may still write itself notes


async def test_unknown_conversations_are_not_found(journal):
    for cid in ("999", "not-a-number"):
        with pytest.raises(NotFound):
            await journal.get_conversation(cid)


async def test_a_failing_operation_does_not_undo_its_batch_neighbours(journal):
    accepted = await journal.accept_inbound(BINDING, _in("alice", "1"), welcome="", now=1.0)

    results = await asyncio.gather(
        journal.add_message(accepted.conversation.id, MessageKind.NOTICE, "", "kept", now=2.0),
        journal.claim("999", "ann"),
        journal.add_message(accepted.conversation.id, MessageKind.NOTICE, "", "kept too", now=3.0),
        return_exceptions=True)

    assert isinstance(results[1], NotFound)
    texts = [m.text for m in await journal.transcript(accepted.conversation.id)]
    assert texts == ["hi", "kept", "kept too"]


@pytest.mark.parametrize("text, expected", [
    ("!answer 12", TeamText.COMMAND),
    ("  !close", TeamText.COMMAND),
    ("/help", TeamText.COMMAND),
    ("", TeamText.IGNORED),
    ("  \n\t", TeamText.IGNORED),
    ("Hello, how can I help?", TeamText.REPLY),
    ("I said !answer earlier", TeamText.REPLY),
])
def test_classify_team_text(text, expected):
    assert classify_team_text(text, ("!", "/")) is expected


def test_an_empty_command_prefix_does_not_turn_replies_into_commands():
    assert classify_team_text("hello", ("",)) is TeamText.REPLY


def test_reaches_customer_only_for_non_blank_customer_kinds():
    def make(kind: MessageKind, text: str = "x") -> Message:
        return Message(1, "1", kind, "", text, 0.0)

    assert relay.reaches_customer(make(MessageKind.REPLY))
    assert relay.reaches_customer(make(MessageKind.AUTO))
    assert not relay.reaches_customer(make(MessageKind.REPLY, "  "))
    assert not relay.reaches_customer(make(MessageKind.INBOUND))
    assert not relay.reaches_customer(make(MessageKind.NOTICE))
