"""Page comments: a thread is a conversation, its author a CRM lead; answers go public or private."""
from __future__ import annotations

import time

from backends.meta.parse import DELETED
from backends.meta.window import ALREADY_PRIVATE, reply_options
from bridge.model import Delivery, MessageKind
from tests.channels.contract import eventually
from tests.channels.meta_fixtures import MetaChannel, comments  # noqa: F401  (fixture)

CARLA, DAN = "7100000000001", "7100000000002"
POST_TEXT = "Summer sale: everything 20% off until Sunday, shipping included everywhere in Europe"
PERMALINK = "https://www.facebook.com/the.shop/posts/555"
DAY = 86400.0


async def opened(comments: MetaChannel, comment_id: str = "555_1001", text: str = "Do you ship to Lisbon?",
                 **kwargs) -> str:
    """Carla comments on the post: the id of the conversation that opens."""
    h = comments.harness
    h.graph.objects.setdefault(h.post_id, {"message": POST_TEXT, "permalink_url": PERMALINK})
    assert await h.comments(h.comment(CARLA, comment_id, text, **kwargs)) == 200
    return (await comments.thread(comment_id)).id


def sent_to_meta(comments: MetaChannel, edge: str):
    return comments.harness.graph.sends_to(edge)


async def test_a_new_comment_opens_a_conversation_with_the_post_and_a_crm_lead(comments: MetaChannel):
    conversation_id = await opened(comments)
    conversation = await comments.thread("555_1001")
    assert (conversation.customer_ref, conversation.customer_name) == (CARLA, "Carla Commenter")
    posted = await comments.wait_room(conversation_id, "Do you ship to Lisbon?")
    assert "🧵 on: “Summer sale: everything 20% off" in posted[0] and PERMALINK in posted[0]
    await comments.wait_room(conversation_id, "a lead was created in the CRM")
    crm = comments.runtime.app.crm
    assert crm is not None
    contact = crm.store.find_contact("fbcomments", CARLA)
    assert contact is not None and contact.name == "Carla Commenter" and crm.store.leads_of(contact.id)


async def test_a_reply_in_the_thread_joins_its_conversation_and_a_new_thread_opens_another(comments: MetaChannel):
    first = await opened(comments)
    h = comments.harness
    assert await h.comments(h.comment(DAN, "555_1002", "I'd like to know too", parent="555_1001",
                                      name="Dan Neighbour")) == 200
    await comments.wait_room(first, "I'd like to know too")
    inbound = await comments.messages(first, MessageKind.INBOUND)
    assert [m.text for m in inbound] == ["Do you ship to Lisbon?", "I'd like to know too"]
    second = await opened(comments, "555_1005", "And what about returns?")
    assert second != first
    assert len(await comments.conversations()) == 2


async def test_the_post_is_asked_for_once_and_the_pages_own_comments_are_not_customers(comments: MetaChannel):
    first = await opened(comments)
    h = comments.harness
    assert await h.comments(h.comment(h.account, "555_1003", "Yes we do!", parent="555_1001", name="The Shop"),
                            h.comment(DAN, "555_1004", "thanks", parent="555_1001")) == 200
    await comments.wait_room(first, "thanks")
    assert [m.text for m in await comments.messages(first, MessageKind.INBOUND)] == ["Do you ship to Lisbon?",
                                                                                     "thanks"]
    assert h.graph.reads.count(h.post_id) == 1


async def test_a_public_answer_is_a_reply_in_the_thread(comments: MetaChannel):
    conversation_id = await opened(comments)
    reply = await comments.reply_in(conversation_id, "Yes, we ship to Lisbon in 3 days.")
    calls = await eventually(lambda: [c for c in sent_to_meta(comments, "comments") if "Lisbon" in c.text],
                             "the public reply at Meta")
    assert calls[0].path == "555_1001/comments" and calls[0].payload == {"message": "Yes, we ship to Lisbon in 3 days."}
    await comments.settle()
    stored = next(m for m in await comments.messages(conversation_id) if m.seq == reply.seq)
    assert stored.delivery is Delivery.SENT and stored.external_id and stored.external_id.startswith("555_1001_")


async def test_a_private_answer_is_one_messenger_reply_to_the_customers_latest_comment(comments: MetaChannel):
    conversation_id = await opened(comments)
    h = comments.harness
    assert await h.comments(h.comment(CARLA, "555_1006", "Also, which carrier?", parent="555_1001")) == 200
    await comments.wait_room(conversation_id, "which carrier")
    await comments.reply_in(conversation_id, "I sent you our rates privately.", **reply_options("private"))
    calls = await eventually(lambda: sent_to_meta(comments, "messages"), "the private reply at Meta")
    assert calls[0].path == f"{h.account}/messages"
    assert calls[0].payload == {"recipient": {"comment_id": "555_1006"},
                                "message": {"text": "I sent you our rates privately."}}


async def test_a_second_private_reply_to_the_same_comment_is_refused_before_meta(comments: MetaChannel):
    conversation_id = await opened(comments)
    await comments.reply_in(conversation_id, "First private word.", visibility="private")
    await eventually(lambda: sent_to_meta(comments, "messages"), "the first private reply")
    await comments.settle()  # its send finished: the backend has noted it
    warning = await comments.preflight(CARLA, "Second private word.", "555_1001", visibility="private")
    assert warning == ALREADY_PRIVATE
    second = await comments.reply_in(conversation_id, "Second private word.", visibility="private")
    notice = await comments.wait_room(conversation_id, "Not delivered")
    assert "Second private word." in notice[0] and ALREADY_PRIVATE in notice[0]
    await comments.settle()
    assert len(sent_to_meta(comments, "messages")) == 1
    stored = next(m for m in await comments.messages(conversation_id) if m.seq == second.seq)
    assert stored.delivery is Delivery.FAILED and stored.error == ALREADY_PRIVATE
    # A public answer still goes, and a new comment of hers may be answered privately again.
    h = comments.harness
    assert await h.comments(h.comment(CARLA, "555_1007", "Got it, one more question", parent="555_1001")) == 200
    await comments.wait_room(conversation_id, "one more question")
    await comments.reply_in(conversation_id, "Answered privately again.", visibility="private")
    calls = await eventually(lambda: sent_to_meta(comments, "messages")[1:], "the private reply to the new comment")
    assert calls[0].recipient == {"comment_id": "555_1007"}


async def test_a_private_reply_past_seven_days_is_refused_before_meta(comments: MetaChannel):
    conversation_id = await opened(comments, at=time.time() - 8 * DAY)
    await comments.reply_in(conversation_id, "Too late to whisper.", visibility="private")
    notice = await comments.wait_room(conversation_id, "Not delivered")
    assert "within 7 days" in notice[0]
    await comments.settle()
    assert sent_to_meta(comments, "messages") == []
    await comments.reply_in(conversation_id, "But a public answer is fine.")
    await eventually(lambda: [c for c in sent_to_meta(comments, "comments") if "public answer" in c.text],
                     "the public answer")


async def test_edits_and_removals_of_comments_reach_the_room(comments: MetaChannel):
    conversation_id = await opened(comments)
    h = comments.harness
    assert await h.comments(h.comment(CARLA, "555_1001", "Do you ship to Porto?", verb="edited")) == 200
    assert await h.comments(h.comment(CARLA, "555_1001", "", verb="remove")) == 200
    await comments.wait_room(conversation_id, DELETED)
    edits = [m for m in await comments.messages(conversation_id) if m.edit_of]
    assert [m.text for m in edits] == ["Do you ship to Porto?", DELETED]
    assert await h.comments(h.comment(CARLA, "555_1001", "Do you ship to Porto?", verb="edited")) == 200  # again
    await comments.settle()
    assert len([m for m in await comments.messages(conversation_id) if m.edit_of]) == 2


async def test_a_picture_goes_up_with_the_public_answer_and_other_files_are_refused(comments: MetaChannel):
    conversation_id = await opened(comments)
    picture = await comments.put_file(b"\x89PNG\r\n\x1a\n map", "map.png", "image/png")
    await comments.runtime.run(comments.runtime.app.actions.reply(conversation_id, "alice", "Our shop:",
                                                                   attachments=(picture,)))
    calls = await eventually(lambda: [c for c in sent_to_meta(comments, "comments") if c.files], "the picture")
    assert calls[0].path == "555_1001/comments" and calls[0].files == (b"\x89PNG\r\n\x1a\n map",)
    pdf = await comments.put_file(b"%PDF", "terms.pdf", "application/pdf")
    await comments.runtime.run(comments.runtime.app.actions.reply(conversation_id, "alice", "Terms:",
                                                                   attachments=(pdf,)))
    notice = await comments.wait_room(conversation_id, "Not delivered")
    assert "pictures only" in notice[0]
