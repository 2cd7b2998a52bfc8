"""Reading the work over the real core: open lists, transcripts by page, CRM records, statistics; rights on each."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bridge import rules
from bridge.errors import NotFound, Refused
from bridge.model import Attachment, Line, MessageKind
from bridge.reports import Only, Reports
from bridge.store import UnitOfWork
from bridge.transcripts import PAGE, Transcripts
from crm_store.port import AsyncCrm
from crm_store.unavailable import UnavailableCrm


@pytest.fixture
async def two_lines(app):
    """Support (ann, bob operators; sue supervisor) and Sales (carl operator) with a conversation each."""
    app.services.directory.put_line(replace(app.line, supervisors=("sue",)))
    sales = Line(id="sales", name="Sales", operators=("carl",))
    app.services.directory.put_line(sales)
    return app


def _reports(app) -> Reports:
    return Reports(app.services.admin)


async def _on_sales(app, cid: str) -> None:
    await app.services.core.decide(cid, lambda c: UnitOfWork(conversation=replace(c, line_id="sales")))


async def test_the_open_list_is_oldest_first_and_only_of_ones_lines(two_lines):
    app = two_lines
    first = (await app.say("My order is late", ref="a", name="Alice")).conversation_id
    app.clock.advance(60)
    second = (await app.say("Do you ship to Mars", ref="b", name="Bruno")).conversation_id
    third = (await app.say("Prices please", ref="c", name="Chloe")).conversation_id
    await _on_sales(app, third)
    await app.actions.answer(second, "bob")

    mine = await _reports(app).open_conversations("ann", None)
    assert [c.id for c in mine] == [first, second]
    assert mine[0].preview == "My order is late"
    assert [c.id for c in await _reports(app).open_conversations("ann", None, Only.WAITING)] == [first]
    assert [c.id for c in await _reports(app).open_conversations("bob", None, Only.MINE)] == [second]
    assert [c.id for c in await _reports(app).open_conversations("carl", None)] == [third]
    assert len(await _reports(app).open_conversations("root", None)) == 3
    assert len(await _reports(app).open_conversations("sue", "support")) == 2


async def test_closed_conversations_leave_the_list(two_lines):
    app = two_lines
    cid = (await app.say("hi")).conversation_id
    await app.actions.close(cid, "ann")
    assert await _reports(app).open_conversations("ann", None) == []


async def test_a_marked_spammers_kept_messages_are_not_waiting(two_lines):
    app = two_lines
    app.set_line(spam_minutes=60)
    cid = (await app.say("buy cheap watches", ref="s")).conversation_id
    await app.services.moves.spam(cid, "ann")
    kept = (await app.say("more cheap watches", ref="s")).conversation_id
    listed = await _reports(app).open_conversations("ann", None)
    assert [c.id for c in listed] == [kept] and listed[0].spam  # still findable, marked
    assert await _reports(app).open_conversations("ann", None, Only.WAITING) == []


@pytest.mark.parametrize("who, line, why", [("mallory", None, "no role on any line"),
                                            ("carl", "Support", "no role on line Support"),
                                            ("ann", "Nowhere", "no line “Nowhere”")])
async def test_the_open_list_refuses_strangers(two_lines, who, line, why):
    with pytest.raises((Refused, NotFound), match=why):
        await _reports(two_lines).open_conversations(who, line)


# -- transcripts ------------------------------------------------------------------------------
async def _busy_conversation(app, messages: int) -> str:
    cid = (await app.say("message 0")).conversation_id
    for n in range(1, messages):
        await app.say(f"message {n}")
    return cid


async def test_page_one_is_the_newest_and_pages_reach_the_beginning(app):
    cid = await _busy_conversation(app, 70)  # and the welcome auto-reply, the CRM's notice
    await app.settle()
    total = len(await app.messages(cid))
    assert 70 < total <= 3 * PAGE
    reader = Transcripts(app.services.core)
    one = await reader.page(cid, "ann", 1)
    assert [m.text for m in one.messages][-1] == "message 69" and len(one.messages) == PAGE
    assert one.older and one.pages is None
    three = await reader.page(cid, "ann", 3)
    assert len(three.messages) == total - 2 * PAGE and three.messages[0].text == "message 0"
    assert not three.older and three.pages == 3
    seen = [m.seq for n in (3, 2, 1) for m in (await reader.page(cid, "ann", n)).messages]
    assert seen == sorted(seen) and len(set(seen)) == total
    with pytest.raises(Refused, match="has 3 page"):
        await reader.page(cid, "ann", 4)
    with pytest.raises(Refused, match="--page"):
        await reader.page(cid, "ann", 0)


async def test_the_transcript_keeps_internal_messages_and_files(app):
    cid = (await app.say("here is the invoice", attachments=(Attachment("file", "https://f/inv.pdf", "inv.pdf"),))
           ).conversation_id
    await app.actions.answer(cid, "ann")
    await app.actions.whisper(cid, "ann", "~ check the warehouse")
    page = await Transcripts(app.services.core).page(cid, "ann")
    kinds = [m.kind for m in page.messages]
    assert MessageKind.WHISPER in kinds and MessageKind.NOTICE in kinds and MessageKind.AUTO in kinds
    assert page.messages[0].attachments[0].name == "inv.pdf"


async def test_rights_to_read(two_lines):
    app = two_lines
    cid = (await app.say("hi")).conversation_id
    reader = Transcripts(app.services.core)
    assert (await reader.page(cid, "bob")).messages  # waiting: the line's operators may look
    await app.actions.answer(cid, "ann")
    for allowed in ("ann", "sue", "root"):
        assert (await reader.page(cid, allowed)).messages
    for refused in ("bob", "carl", "mallory"):
        with pytest.raises(Refused, match="not yours to read"):
            await reader.page(cid, refused)
    with pytest.raises(NotFound, match="no conversation 999"):
        await reader.page("999", "ann")


async def test_a_colleague_invited_without_history_reads_only_what_followed(app):
    cid = (await app.say("before the invitation")).conversation_id
    await app.actions.answer(cid, "ann")
    await app.settle()
    last = (await app.messages(cid))[-1].seq
    await app.services.core.decide(cid, lambda c: UnitOfWork(conversation=rules.invited(c, "carol", last)))
    await app.say("after the invitation")
    page = await Transcripts(app.services.core).page(cid, "carol")
    assert [m.text for m in page.messages] == ["after the invitation"] and page.since_seq == last
    assert "before the invitation" in [m.text for m in (await Transcripts(app.services.core).page(cid, "ann")).messages]


# -- CRM records --------------------------------------------------------------------------------
async def test_the_record_shows_contact_lead_and_past_conversations(app):
    first = (await app.say("first visit")).conversation_id
    await app.settle()
    await app.actions.close(first, "ann")
    second = (await app.say("back again")).conversation_id
    await app.settle()
    contact_id = (await app.conversation(second)).contact_id
    app.store.tag_contact(contact_id, "vip")

    record = await Transcripts(app.services.core, AsyncCrm(app.store)).record(second, "ann")
    assert record.card is not None and record.problem == ""
    assert (record.card.name, record.card.tags, len(record.card.leads)) == ("Alice", ("vip",), 1)
    assert record.card.leads[0].title.endswith("Alice") and record.card.activities == 1  # the first transcript
    assert [c.id for c in record.past] == [first] and record.past_total == 1


async def test_a_record_that_cannot_be_read_is_said_not_crashed(app):
    cid = (await app.say("hi")).conversation_id
    await app.settle()
    broken = Transcripts(app.services.core, AsyncCrm(UnavailableCrm("OSError")))
    record = await broken.record(cid, "ann")
    assert record.card is None and "cannot be read right now (CrmUnavailable)" in record.problem


async def test_a_line_without_crm_says_so(app):
    app.set_line(crm="off")
    cid = (await app.say("hi")).conversation_id
    await app.settle()
    record = await Transcripts(app.services.core, AsyncCrm(app.store)).record(cid, "ann")
    assert record.card is None and "crm is off" in record.problem


async def test_the_record_needs_the_right_to_read(app):
    cid = (await app.say("hi")).conversation_id
    await app.actions.answer(cid, "ann")
    with pytest.raises(Refused, match="not yours to read"):
        await Transcripts(app.services.core, AsyncCrm(app.store)).record(cid, "bob")


# -- statistics ---------------------------------------------------------------------------------------
async def test_statistics_count_the_window_and_need_supervision(two_lines):
    app = two_lines
    old = (await app.say("long ago", ref="old")).conversation_id
    await app.actions.close(old, "ann")
    app.clock.advance(10 * 86400)
    answered = (await app.say("hello", ref="a")).conversation_id
    app.clock.advance(40)
    await app.actions.answer(answered, "ann")
    missed = (await app.say("anyone", ref="b")).conversation_id
    await app.actions.close(missed, "bob")

    week = await _reports(app).statistics("sue", "Support", 7)
    assert (week.report.total.conversations, week.report.total.answered, week.report.total.missed) == (2, 1, 1)
    assert week.report.total.first_answer_median == 40 and list(week.report.operators) == ["ann"]
    assert (await _reports(app).statistics("sue", None, 30)).report.total.conversations == 3
    assert [line.id for line in (await _reports(app).statistics("root", None, 7)).lines] == ["sales", "support"]
    for who, line, why in (("ann", "Support", "only a supervisor or admin"), ("ann", None, "you supervise no line"),
                           ("sue", "Sales", "only a supervisor or admin")):
        with pytest.raises(Refused, match=why):
            await _reports(app).statistics(who, line, 7)
    with pytest.raises(Refused, match="--days"):
        await _reports(app).statistics("sue", "Support", 0)


async def test_statistics_read_in_chunks_count_everything_once_and_say_when_cut(app, monkeypatch):
    from bridge import reports

    for n in range(7):
        await app.say(f"hello {n}", ref=f"r{n}")
    monkeypatch.setattr(reports, "CHUNK", 2)
    whole = await _reports(app).statistics("root", "Support", 7)
    assert whole.report.total.conversations == 7 and not whole.cut
    monkeypatch.setattr(reports, "MAX_STATS", 5)
    cut = await _reports(app).statistics("root", "Support", 7)
    assert cut.report.total.conversations == 5 and cut.cut
