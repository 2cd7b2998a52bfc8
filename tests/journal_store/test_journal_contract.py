"""What every journal store guarantees: units apply whole or not at all, with the conflicts the core relies on."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bridge.errors import Conflict, NotFound
from bridge.model import ChannelBinding, Conversation, ConversationStatus, Delivery, Line, MessageKind
from bridge.relay import CUSTOMER_VISIBLE
from bridge.store import MessageUpdate, NewMessage, NewWork, RoomEntry, UnitOfWork

NOW = 1_700_000_000.0


def _conversation(ref: str = "alice") -> Conversation:
    return Conversation(id="", line_id="support", binding_id="webchat:site", customer_ref=ref,
                        customer_name="Alice", status=ConversationStatus.QUEUED, created_at=NOW)


def _message(text: str, kind: MessageKind = MessageKind.INBOUND, **extra) -> NewMessage:
    return NewMessage(kind, "Alice", text, NOW, **extra)


async def _open(journal, ref: str = "alice", *texts: str):
    unit = UnitOfWork(conversation=_conversation(ref), messages=[_message(t) for t in texts or ("hi",)])
    return await journal.conversations.commit(unit)


async def test_a_unit_stores_a_conversation_its_messages_and_its_work(journal):
    hi = _message("hi", dedupe_key="k1")
    unit = UnitOfWork(conversation=_conversation(), messages=[hi], work=[NewWork("team.room"), NewWork("team.post", message=hi)])
    done = await journal.conversations.commit(unit)

    cid = done.conversation.id
    assert done.conversation.version == 1 and done.messages[0].conversation_id == cid
    assert [w.lane for w in done.work] == [f"team:{cid}", f"team:{cid}"]
    assert done.work[1].payload["seq"] == done.messages[0].seq
    assert await journal.conversations.conversation(cid) == done.conversation
    stored, open_ = await journal.conversations.inbound_state("k1", done.conversation.open_key)
    assert stored == done.messages[0] and open_ == done.conversation


async def test_a_second_open_conversation_for_one_customer_is_a_conflict(journal):
    await _open(journal)
    with pytest.raises(Conflict) as conflict:
        await _open(journal)
    assert conflict.value.what == "open"
    assert len(await journal.conversations.conversations()) == 1


async def test_a_stored_dedupe_key_is_a_conflict_and_the_unit_stores_nothing(journal):
    first = await _open(journal)
    cid = first.conversation.id
    await journal.conversations.commit(UnitOfWork(messages=[_message("a", conversation_id=cid, dedupe_key="k")]))
    b = _message("b", conversation_id=cid)
    unit = UnitOfWork(messages=[b, _message("a", conversation_id=cid, dedupe_key="k")],
                      work=[NewWork("team.post", message=b)])
    with pytest.raises(Conflict) as conflict:
        await journal.conversations.commit(unit)
    assert conflict.value.what == "dedupe"
    assert [m.text for m in await journal.conversations.messages(cid)] == ["hi", "a"]
    assert await journal.outbox.lease_due("me", NOW + 10, NOW + 100, 10) == []


async def test_a_stale_version_is_a_conflict_so_only_one_of_two_changes_wins(journal):
    c = (await _open(journal)).conversation
    ann, bob = replace(c, owner="ann"), replace(c, owner="bob")
    results = await asyncio.gather(journal.conversations.commit(UnitOfWork(conversation=ann)),
                                   journal.conversations.commit(UnitOfWork(conversation=bob)),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Committed", "Conflict"]
    stored = await journal.conversations.conversation(c.id)
    assert stored.version == 2 and stored.owner in ("ann", "bob")


async def test_closing_frees_the_customer_for_a_next_conversation(journal):
    c = (await _open(journal)).conversation
    await journal.conversations.commit(UnitOfWork(conversation=replace(c, status=ConversationStatus.CLOSED)))
    again = await _open(journal)
    assert again.conversation.id != c.id


async def test_every_conversation_field_survives_a_round_trip(journal):
    c = (await _open(journal)).conversation
    from bridge.model import Participant

    changed = replace(c, owner="ann", participants=(Participant("ann"), Participant("bob", "invited", 7)),
                      offered_to=("carol",), passed=("dan",), pinned_until=NOW + 60, spam=True, whisper_mode=True,
                      contact_id="c-1", first_answer_at=NOW + 1, customer_rating="good", supervisor_rating=4,
                      rating_comment="fine", customer_email="a@x.io", thread="t-1")
    stored = (await journal.conversations.commit(UnitOfWork(conversation=changed))).conversation
    assert stored == replace(changed, version=c.version + 1)


async def test_messages_come_newest_page_first_filtered_by_kind(journal):
    done = await _open(journal, "alice", *[f"m{i}" for i in range(6)])
    cid = done.conversation.id
    await journal.conversations.commit(UnitOfWork(messages=[_message("secret", MessageKind.WHISPER,
                                                                     conversation_id=cid)]))
    page = await journal.conversations.messages(cid, limit=3, kinds=CUSTOMER_VISIBLE)
    assert [m.text for m in page] == ["m3", "m4", "m5"]
    older = await journal.conversations.messages(cid, before_seq=page[0].seq, limit=10)
    assert [m.text for m in older] == ["m0", "m1", "m2"]
    by_customer = await journal.conversations.customer_messages("webchat:site", "alice", limit=100,
                                                                kinds=CUSTOMER_VISIBLE)
    assert "secret" not in [m.text for m in by_customer] and len(by_customer) == 6
    assert await journal.conversations.messages(cid, after_seq=2**70) == []  # a client's wild seq


async def test_a_delivery_update_is_kept_with_the_platforms_id(journal):
    done = await _open(journal)
    seq = done.messages[0].seq
    await journal.conversations.commit(UnitOfWork(updates=[MessageUpdate(seq, Delivery.SENT, "tg-42")]))
    stored = await journal.conversations.message(seq)
    assert (stored.delivery, stored.external_id) == (Delivery.SENT, "tg-42")
    assert await journal.conversations.message_by_external(done.conversation.id, "tg-42") == stored


async def test_unknown_ids_are_not_found(journal):
    for bad in ("999", "abc", ""):
        with pytest.raises(NotFound):
            await journal.conversations.conversation(bad)
    with pytest.raises(NotFound):
        await journal.conversations.message(12345)


# -- the outbox ------------------------------------------------------------------------------
async def test_work_born_held_is_not_leased_by_anyone_else_until_released(journal):
    done = await journal.conversations.commit(UnitOfWork(
        conversation=_conversation(), work=[NewWork("team.room")], lease=("me", NOW, NOW + 300)))
    assert await journal.outbox.lease_due("other", NOW + 1, NOW + 301, 10) == []
    await journal.outbox.release("me")
    [item] = await journal.outbox.lease_due("other", NOW + 1, NOW + 301, 10)
    assert item.id == done.work[0].id and not item.recovered
    assert await journal.outbox.lease_due("third", NOW + 2, NOW + 302, 10) == []  # held by "other" now


async def test_a_lease_that_runs_out_is_taken_over(journal):
    await journal.conversations.commit(UnitOfWork(conversation=_conversation(), work=[NewWork("team.room")],
                                                  lease=("dead", NOW, NOW + 10)))
    assert await journal.outbox.lease_due("alive", NOW + 5, NOW + 305, 10) == []
    assert len(await journal.outbox.lease_due("alive", NOW + 11, NOW + 311, 10)) == 1


async def test_started_work_comes_back_marked_as_recovered(journal):
    done = await journal.conversations.commit(UnitOfWork(conversation=_conversation(), work=[NewWork("team.post")],
                                                         lease=("me", NOW, NOW + 300)))
    await journal.outbox.started([done.work[0].id])
    await journal.outbox.release("me")
    [item] = await journal.outbox.lease_due("me", NOW, NOW + 300, 10)
    assert item.recovered


async def test_rescheduled_work_waits_and_buried_work_is_counted(journal):
    done = await journal.conversations.commit(UnitOfWork(conversation=_conversation(),
                                                         work=[NewWork("a.x"), NewWork("b.y")]))
    first, second = done.work
    await journal.outbox.reschedule(first.id, NOW + 60, 1, "busy")
    await journal.outbox.bury(second.id, 8, "gone")
    await journal.outbox.release("nobody")
    due = await journal.outbox.lease_due("me", NOW + 30, NOW + 330, 10)
    assert due == [] and await journal.outbox.dead_count() == 1


async def test_the_customer_backlog_counts_pending_sends_per_channel(journal):
    """!line status's backlog: one query, pending customer sends only (not the dead, not team work)."""
    a, b, c = _message("a"), _message("b"), _message("c")
    site = await journal.conversations.commit(UnitOfWork(conversation=_conversation("ann"), messages=[a, b], work=[
        NewWork("customer.send", message=a), NewWork("customer.send", message=b), NewWork("team.post", message=a)]))
    tg = replace(_conversation("bo"), binding_id="telegram:1")
    other = await journal.conversations.commit(UnitOfWork(conversation=tg, messages=[c],
                                                          work=[NewWork("customer.send", message=c)]))
    await journal.outbox.bury(site.work[0].id, 8, "gone")
    assert await journal.outbox.customer_backlog() == {"webchat:site": 1, "telegram:1": 1}
    await journal.conversations.commit(UnitOfWork(finished=[other.work[0].id]))
    assert await journal.outbox.customer_backlog() == {"webchat:site": 1}


async def test_finished_work_is_gone_and_timers_replace_each_other(journal):
    c = (await journal.conversations.commit(UnitOfWork(conversation=_conversation()))).conversation
    timer = NewWork("timer.autoclose", not_before=NOW + 600, conversation_id=c.id, replace=True)
    await journal.conversations.commit(UnitOfWork(work=[timer]))
    await journal.conversations.commit(UnitOfWork(work=[replace(timer, not_before=NOW + 900)]))
    assert await journal.outbox.next_due() == NOW + 900
    [item] = await journal.outbox.lease_due("me", NOW + 901, NOW + 1200, 10)
    await journal.conversations.commit(UnitOfWork(finished=[item.id]))
    await journal.outbox.release("me")
    assert await journal.outbox.next_due() is None
    await journal.conversations.commit(UnitOfWork(work=[timer]))
    await journal.conversations.commit(UnitOfWork(cancel=[("timer.autoclose", c.id)]))
    assert await journal.outbox.next_due() is None


async def test_a_rounds_finished_work_goes_whatever_its_count_and_nothing_else(journal):
    """The writer pads a round's finished ids to a few list sizes (a cached statement): exactly those go."""
    c = (await journal.conversations.commit(UnitOfWork(conversation=_conversation()))).conversation
    made = await journal.conversations.commit(UnitOfWork(work=[
        NewWork("timer.kpi", not_before=NOW + i, conversation_id=c.id, lane=f"kpi:{i}") for i in range(45)]))
    ids = [w.id for w in made.work]
    await journal.conversations.commit(UnitOfWork(finished=ids[:9]))  # 9: padded to 32
    await journal.conversations.commit(UnitOfWork(finished=ids[9:42]))  # 33: padded to 128
    due = await journal.outbox.lease_due("me", NOW + 100, NOW + 400, 100)
    assert sorted(w.id for w in due) == ids[42:]


# -- rooms, configuration, per-customer state -------------------------------------------------
async def test_rooms_are_found_by_their_key(journal):
    c = (await _open(journal)).conversation
    await journal.conversations.commit(UnitOfWork(rooms=[RoomEntry("C0123", conversation_id=c.id, name="support-1"),
                                                         RoomEntry("C0999", line_id="support", name="support")]))
    assert (await journal.conversations.room("C0123")).conversation_id == c.id
    assert await journal.conversations.room("support-1") is None  # a name is not a key
    assert {r.key for r in await journal.conversations.rooms()} == {"C0123", "C0999"}


async def test_lines_bindings_and_state_survive_a_restart(reopen):
    journal = await reopen()
    line = Line("sales", "Sales", operators=("@ann",), supervisors=("@sue",))
    binding = ChannelBinding("sales", "telegram", "123", "Telegram", {"mode": "polling"}, {"token": "123:SECRET"})
    await journal.config.save_line(line)
    await journal.config.save_binding(binding)
    await journal.state.put(binding.id, "u-1", {"window": NOW})
    journal.close()

    again = await reopen()
    assert await again.config.lines() == [line]
    assert await again.config.bindings() == [binding]
    assert await again.state.get(binding.id, "u-1") == {"window": NOW}
    await again.config.delete_binding(binding.id)
    assert await again.config.bindings() == []


async def test_changes_of_one_record_made_at_once_all_stay(journal):
    await journal.state.put("webchat:site", "v-1", {"seen": NOW})
    await asyncio.gather(*(journal.state.update("webchat:site", "v-1", lambda s: {**s, "n": s.get("n", 0) + 1})
                           for _ in range(20)),
                         journal.state.update("webchat:site", "v-1", lambda s: {**s, "revoked": True}))
    assert await journal.state.get("webchat:site", "v-1") == {"seen": NOW, "n": 20, "revoked": True}


async def test_an_update_returns_the_record_and_one_changing_nothing_stores_nothing(journal):
    assert await journal.state.update("b", "new", lambda s: s) == {}
    assert await journal.state.update("b", "u", lambda s: {**s, "read_seq": 7}) == {"read_seq": 7}
    assert await journal.state.get("b", "new") == {} and await journal.state.get("b", "u") == {"read_seq": 7}


async def test_a_journal_reports_whether_it_can_write(journal):
    assert await journal.writable()


async def test_conversations_page_on_after_an_id(journal):
    ids = [(await _open(journal, f"c{n}")).conversation.id for n in range(5)]
    first = await journal.conversations.conversations(open_only=False, limit=2)
    rest = await journal.conversations.conversations(open_only=False, limit=10, after_id=first[-1].id)
    assert [c.id for c in first + rest] == ids
    assert await journal.conversations.conversations(after_id=ids[-1]) == []


async def test_messages_are_read_by_seq_in_one_go(journal):
    done = await _open(journal, "alice", "a", "b", "c")
    seqs = [m.seq for m in done.messages]
    found = await journal.conversations.messages_by_seq([seqs[2], seqs[0], 10**9])
    assert [m.text for m in found] == ["a", "c"]
    assert await journal.conversations.messages_by_seq([]) == []


async def test_a_unit_for_a_conversation_known_open_is_refused_once_it_closed(journal):
    c = (await _open(journal)).conversation
    unit = UnitOfWork(messages=[_message("still open?", conversation_id=c.id)], open_as=(c.id, c.open_key))
    await journal.conversations.commit(unit)
    await journal.conversations.commit(UnitOfWork(conversation=replace(c, status=ConversationStatus.CLOSED)))
    late = UnitOfWork(messages=[_message("too late", conversation_id=c.id)], open_as=(c.id, c.open_key))
    with pytest.raises(Conflict) as conflict:
        await journal.conversations.commit(late)
    assert conflict.value.what == "open"
    assert [m.text for m in await journal.conversations.messages(c.id)] == ["hi", "still open?"]


async def test_kinds_another_process_runs_are_neither_born_held_nor_leased_by_this_one(journal):
    """An intake worker leaves the team chat's work ("team.") to the team side, in its units and sweeps."""
    unit = UnitOfWork(work=[NewWork("team.post", lane="team:1", not_before=NOW),
                            NewWork("customer.send", lane="customer:1", not_before=NOW)],
                      lease=("worker", NOW, NOW + 300), leave=("team.",))
    done = await journal.conversations.commit(unit)
    assert [(w.kind, w.held) for w in done.work] == [("team.post", False), ("customer.send", True)]
    assert await journal.outbox.lease_due("other-worker", NOW + 1, NOW + 301, 10, leave=("team.",)) == []
    taken = await journal.outbox.lease_due("other-worker", NOW + 301, NOW + 601, 10, leave=("team.",))
    assert [w.kind for w in taken] == ["customer.send"]  # the dead worker's lane, taken over; never the room's
    assert [w.kind for w in await journal.outbox.lease_due("team-side", NOW + 302, NOW + 602, 10)] == ["team.post"]
    assert await journal.outbox.lease_due("x", NOW + 303, NOW + 603, 10, leave=("team_",)) == []  # "_" is no wildcard


async def test_a_close_for_silence_is_refused_once_the_customer_wrote_after_what_it_read(journal):
    opened = await _open(journal, "alice", "first")
    c, read = opened.conversation, opened.messages[-1].seq
    await journal.conversations.commit(UnitOfWork(messages=[_message("are you there?", conversation_id=c.id)]))
    closing = UnitOfWork(conversation=replace(c, status=ConversationStatus.CLOSED), quiet_after=(c.id, read))
    with pytest.raises(Conflict):
        await journal.conversations.commit(closing)
    assert (await journal.conversations.conversation(c.id)).is_open  # nothing of the refused unit stored
    newest = (await journal.conversations.messages(c.id))[-1].seq
    closing = UnitOfWork(conversation=replace(c, status=ConversationStatus.CLOSED), quiet_after=(c.id, newest))
    assert not (await journal.conversations.commit(closing)).conversation.is_open
