"""Facebook page comments (kind ``fbcomments``): each top-level comment thread is a conversation.

A comment's author is the customer (the core links them to the CRM as for
any channel); replies in the thread join its conversation. The operator
answers publicly (a reply in the thread) or privately (Meta's private reply:
one Messenger message per comment, within 7 days), chosen per message by
``OutboundMessage.options["visibility"]`` — see ``meta.window.reply_options``.

Per customer the state keeps, for each thread, their latest comment and when
(the comment a private reply answers) and the comments already answered
privately.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from backends.meta.base import MetaBackend, Part, chunks
from backends.meta.kind import PageSettings
from backends.meta.graph import node
from backends.meta.parse import Item
from backends.meta.window import last_comment, private_reply_refusal, visibility_of
from bridge import relay
from bridge.channels import ChannelContext, InboundComment, InboundSink, OutboundMessage, SendResult
from bridge.errors import PermanentSendError, SendError
from bridge.model import Attachment, ChannelBinding

COMMENT_LIMIT = 8000
PRIVATE_LIMIT = 2000
THREADS_KEPT = 50  # per customer: the newest threads they commented in
PRIVATE_KEPT = 200
POSTS_CACHED = 256
CONTEXT_TIMEOUT = 5.0


class CommentsBackend(MetaBackend):
    kind = "fbcomments"
    settings_class = PageSettings

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self._posts: OrderedDict[str, str] = OrderedDict()  # post id -> its context line

    # -- inbound ----------------------------------------------------------------------------------
    async def complete(self, item: Item) -> Any:
        event = item.event
        if not isinstance(event, InboundComment):
            return event
        at = min(item.at or self.now(), self.now())

        def commented(state: dict[str, Any]) -> None:
            threads: dict[str, Any] = state.setdefault("threads", {})
            known = threads.get(event.thread) or {}
            if at >= float(known.get("at") or 0):
                threads[event.thread] = {"comment": event.external_id, "at": at}
            for old in sorted(threads, key=lambda t: float(threads[t].get("at") or 0))[:-THREADS_KEPT]:
                del threads[old]
        await self.change_state(event.customer_ref, commented)
        return replace(event, customer_name=event.customer_name or "Facebook user",
                       context=await self._context(item.post_id, item.permalink),
                       attachments=await self.keep_files(event.attachments))

    async def _context(self, post_id: str, permalink: str) -> str:
        """The post's opening words and address, asked once per post: what operators need to answer."""
        if post_id in self._posts:
            self._posts.move_to_end(post_id)
            return self._posts[post_id]
        try:
            post = await self.graph.get(node(post_id), timeout=CONTEXT_TIMEOUT, fields="message,story,permalink_url")
        except SendError:
            return f"a post: {permalink}" if permalink else f"post {post_id}"  # asked again next time
        words = relay.preview(str(post.get("message") or post.get("story") or ""), 100)
        link = str(post.get("permalink_url") or permalink)
        context = " ".join(part for part in (f"“{words}”" if words else "", link) if part) or f"post {post_id}"
        self._posts[post_id] = context
        if len(self._posts) > POSTS_CACHED:
            self._posts.popitem(last=False)
        return context

    # -- outbound ---------------------------------------------------------------------------------
    async def preflight(self, message: OutboundMessage) -> str | None:
        """Only a private reply can be known refused: once per comment, within 7 days."""
        if visibility_of(message.options) != "private" or not message.thread:
            return None
        state = await self.state(message.customer_ref)
        comment, at = last_comment(state, message.thread)
        return private_reply_refusal(comment, at, state.get("private", ()), self.now())

    async def send(self, message: OutboundMessage) -> SendResult:
        if not message.thread:
            raise PermanentSendError("this conversation is not a comment thread")
        if visibility_of(message.options) == "private":
            return await self._private(message, message.thread)
        return await self._public(message, message.thread)

    async def _public(self, message: OutboundMessage, thread: str) -> SendResult:
        """Replies in the thread: the text, then each picture (comments carry pictures only)."""
        if any(not _picture(a) for a in message.attachments):
            raise PermanentSendError("a comment can carry pictures only: send other files in a private reply "
                                     "or once the customer writes on Messenger")
        parts = [self._comment(thread, {"message": piece}) for piece in chunks(message.text, COMMENT_LIMIT)]
        parts += [self._picture(thread, a) for a in message.attachments]
        return await self.deliver(message, parts)

    def _comment(self, thread: str, payload: dict[str, Any]) -> Part:
        async def send() -> str | None:
            return _id(await self.graph.post(node(thread, "comments"), payload))
        return send

    def _picture(self, thread: str, attachment: Attachment) -> Part:
        async def send() -> str | None:
            local = await self.outgoing_file(attachment)
            if local is None:
                return _id(await self.graph.post(node(thread, "comments"), {"attachment_url": attachment.url}))
            data, stored = local
            return _id(await self.graph.upload(f"{thread}/comments", {}, data, stored.name, stored.content_type,
                                               field="source"))
        return send

    async def _private(self, message: OutboundMessage, thread: str) -> SendResult:
        """Meta's private reply: one Messenger message answering the customer's latest comment."""
        if message.attachments:
            raise PermanentSendError("a private reply carries text only (Meta allows one message per comment)")
        if len(message.text) > PRIVATE_LIMIT:
            raise PermanentSendError(f"a private reply is limited to {PRIVATE_LIMIT} characters")
        state = await self.state(message.customer_ref)
        comment, at = last_comment(state, thread)
        refusal = private_reply_refusal(comment, at, state.get("private", ()), self.now())
        if refusal:
            raise PermanentSendError(refusal)
        sent = await self.graph.post(node(self.account, "messages"), {"recipient": {"comment_id": comment},
                                                                  "message": {"text": message.text}})

        def replied(state: dict[str, Any]) -> None:
            state["private"] = [*state.get("private", []), comment][-PRIVATE_KEPT:]
        await self.change_state(message.customer_ref, replied)
        message_id = sent.get("message_id")
        return SendResult(message_id if isinstance(message_id, str) else None)


def _picture(attachment: Attachment) -> bool:
    return attachment.kind == "image" or attachment.content_type.startswith("image/")


def _id(sent: dict[str, Any]) -> str | None:
    value = sent.get("id")
    return value if isinstance(value, str) else None
