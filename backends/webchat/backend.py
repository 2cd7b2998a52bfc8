"""Website live chat: a page, an embeddable widget.js, a WebSocket per visitor tab, uploads.

This module is the channel (sending, signals, who has a tab open); ``kind``
declares its settings and limits, ``routes`` its routes, ``socket`` speaks the
protocol on one socket, ``upload`` takes files, ``pages`` serves the page with
its headers, ``limits`` and ``tokens`` keep visitors within bounds.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any

from aiohttp import web

from backends.webchat.frames import FrameError, message_frame
from backends.webchat.kind import NAME as KIND
from backends.webchat.kind import WebchatLimits, WebchatSettings
from backends.webchat.limits import Throttle, wait_seconds
from backends.webchat.peers import Peers
from backends.webchat.tokens import VisitorTokens, visitor_label
from bridge.channels import (ChannelBackend, ChannelContext, InboundMessage, InboundSink, OutboundMessage,
                             SendResult, Signal)
from bridge.errors import Refused
from bridge.model import Attachment, ChannelBinding

log = logging.getLogger(__name__)
TYPING_EVERY = 2.0  # an operator's "typing" reaches a customer at most this often
EVENTS = ("joined", "transferred", "closed")
FORGOTTEN: dict[str, Any] = {"type": "forgotten"}  # told to every tab of a forgotten visitor, then it closes
PUSHED_KEPT = 4096  # (visitor, seq) of the messages last pushed here, for a redone send to find


class WebchatBackend(ChannelBackend):
    kind = KIND
    rates_with_buttons = True  # the page shows 👍/👎 on a rating_request

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self._http = context.http
        self.settings = WebchatSettings.of(binding.settings, binding.secrets)
        tuned = getattr(context, "tuning", {}).get(KIND)  # the process's limits, built by the runtime
        self.limits = tuned if isinstance(tuned, WebchatLimits) else WebchatLimits()
        self.throttle = Throttle(self.limits)
        self.tokens = VisitorTokens(context.secret, binding.key, binding.id, context.state, self.limits.token_days)
        self.tabs: dict[str, tuple[web.WebSocketResponse, ...]] = {}  # a visitor's open sockets here
        self.current: dict[str, str | None] = {}  # customer -> open conversation, while they have a tab
        self._typing_sent: dict[str, float] = {}
        # Messages pushed to tabs here lately: a send redone after a crash (or told by a peer that
        # redid it) reaches a tab that already has it once only.
        self._pushed: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.allowed = list(self.settings.allowed_origins)
        self.peers: Peers | None = getattr(context, "peers", None)  # other processes' tabs, on a shared database

    async def start(self) -> None:
        self._http.mount(KIND, self.binding.key, self)

    async def stop(self) -> None:
        self._http.unmount(KIND, self.binding.key)
        sockets = [ws for tabs in self.tabs.values() for ws in tabs]
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    def chat_url(self) -> str | None:
        base = (self.context.public_url or self.context.base_url).rstrip("/")
        return f"{base}/webchat/{self.binding.key}/" if base else None

    # -- toward the customer ------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> SendResult:
        # The journal keeps every message: a visitor with no tab open gets it in the
        # history frame when they come back, so this never fails.
        frame = message_frame(message.seq, False, message.author, message.text, message.ts,
                              message.attachments, message.conversation_id)
        present = bool(self.tabs.get(message.customer_ref))
        if self._first_push(message.customer_ref, frame):
            await self.fan_out(message.customer_ref, frame)
        await self._tell_peers(message.customer_ref, frame)
        return SendResult(f"webchat-{message.seq}", customer_present=present)

    async def signal(self, signal: Signal) -> None:
        ref = signal.customer_ref
        if ref not in self.tabs and self.peers is None:
            return  # nobody to show it to; nothing of it is kept
        frame: dict[str, Any] | None = None
        if signal.kind == "typing":
            frame = self._typing(ref, bool(signal.data.get("on")), str(signal.data.get("author", "")))
        elif signal.kind == "read" and isinstance(signal.data.get("seq"), int):
            frame = {"type": "read", "seq": signal.data["seq"]}
        elif signal.kind in EVENTS:
            frame = {"type": "event", "event": signal.kind, "author": str(signal.data.get("author", ""))}
            if signal.kind == "closed" and ref in self.current:
                self.current[ref] = None
        elif signal.kind == "rating_request":
            frame = {"type": "rating_request", "conversation_id": signal.conversation_id}
        if frame is not None:
            await self.fan_out(ref, frame)
            await self._tell_peers(ref, frame)

    async def forget(self, ref: str) -> None:
        """"Forget this chat": the token is revoked and every tab of the visitor, in any process, closed."""
        await self.tokens.revoke(ref)
        await self._tell_peers(ref, FORGOTTEN)
        await self._close_tabs(ref)

    async def _close_tabs(self, ref: str) -> None:
        await self.fan_out(ref, FORGOTTEN)
        for ws in list(self.tabs.get(ref, ())):
            await ws.close()

    async def deliver(self, customer_ref: str, frame: dict[str, Any]) -> None:
        """A frame another process pushed to its tabs of this visitor: pushed to ours."""
        if frame == FORGOTTEN:  # revoked there, in the shared database: these tabs close as its own did
            await self._close_tabs(customer_ref)
            return
        if frame.get("type") == "event" and frame.get("event") == "closed" and customer_ref in self.current:
            self.current[customer_ref] = None
        if self._first_push(customer_ref, frame):
            await self.fan_out(customer_ref, frame)

    def _first_push(self, customer_ref: str, frame: dict[str, Any]) -> bool:
        seq = frame.get("seq") if frame.get("type") == "message" else None
        if not isinstance(seq, int) or customer_ref not in self.tabs:
            return True  # no tab: a tab opened later reads it in its history
        if (customer_ref, seq) in self._pushed:
            return False
        self._pushed[(customer_ref, seq)] = None
        if len(self._pushed) > PUSHED_KEPT:
            self._pushed.popitem(last=False)
        return True

    async def _tell_peers(self, customer_ref: str, frame: dict[str, Any]) -> None:
        if self.peers is not None:
            await self.peers.tell(self.binding.id, customer_ref, frame)

    def _typing(self, ref: str, on: bool, author: str) -> dict[str, Any] | None:
        now = time.monotonic()
        if on and now - self._typing_sent.get(ref, -TYPING_EVERY) < TYPING_EVERY:
            return None  # throttled: the page keeps showing it for a while anyway
        if on:
            self._typing_sent[ref] = now
        else:
            self._typing_sent.pop(ref, None)
        frame: dict[str, Any] = {"type": "typing", "from": "agent", "on": on}
        if author:
            frame["author"] = author
        return frame

    async def fan_out(self, customer_ref: str, frame: dict, skip: web.WebSocketResponse | None = None) -> None:
        others = [ws for ws in self.tabs.get(customer_ref, ()) if ws is not skip and not ws.closed]
        if not others:
            return  # the sender's own tab alone (the common case): nothing to encode
        data = json.dumps(frame)
        for ws in others:
            if not ws.closed:
                try:
                    await ws.send_str(data)
                except (ConnectionError, RuntimeError):
                    pass  # the tab went away; it resumes from history

    # -- from the customer (sockets and uploads) -------------------------------------------------
    def admit(self, ref: str, ip: str, client_id: str) -> None:
        """Within the limits, or FrameError(rate_limited): checked before anything is stored."""
        wait = self.throttle.messages.take(ref)
        if not wait and self.current.get(ref) is None:  # this message opens a conversation
            wait = self.throttle.new_conversations.take(ip)
        if wait:
            raise FrameError("rate_limited", "too many messages: wait a moment", client_id, wait_seconds(wait))

    async def accept(self, ref: str, client_id: str, text: str, name: str, email: str | None,
                     attachments: tuple[Attachment, ...] = (), skip: web.WebSocketResponse | None = None,
                     language: str | None = None) -> dict:
        """Store an admitted customer message; the ack frame, or FrameError."""
        inbound = InboundMessage(customer_ref=ref, external_id=client_id, text=text, attachments=attachments,
                                 customer_name=name or visitor_label(ref), name_given=bool(name),
                                 customer_email=email, language=language)
        try:
            receipt = await self.sink.accept(self.binding, inbound)
        except Refused as exc:
            raise FrameError("refused", f"the message was not accepted: {exc}", client_id) from None
        except Exception as exc:  # the journal is away: the page keeps it and sends it again
            log.warning("could not store a webchat message: %s", type(exc).__name__)
            receipt = None
        if receipt is None:
            raise FrameError("unavailable", "the message could not be stored; send it again", client_id)
        if ref in self.tabs:
            self.current[ref] = receipt.conversation_id
        if not receipt.duplicate and (self.peers is not None or self._other_tabs(ref, skip)):
            # An upload's own tab hears of it here too (skip is None): the client_id settles its copy.
            frame = message_frame(receipt.seq, True, receipt.author, text, receipt.ts, attachments,
                                  receipt.conversation_id, client_id if skip is None else None)
            self._first_push(ref, frame)
            await self.fan_out(ref, frame, skip=skip)
            await self._tell_peers(ref, frame)
        return {"type": "ack", "client_id": client_id, "seq": receipt.seq, "conversation_id": receipt.conversation_id}

    def _other_tabs(self, ref: str, skip: web.WebSocketResponse | None) -> bool:
        """Whether a tab of ``ref`` other than ``skip`` is open here. Without one (and no peers) a
        customer's message goes to nobody: no frame to build, and none to note as pushed (only
        sends and peers' frames, of other seqs, look there)."""
        tabs = self.tabs.get(ref)
        if not tabs:
            return False
        return skip is None or len(tabs) > 1 or skip not in tabs

    def public_config(self) -> dict[str, Any]:
        """What the page and widget.js are told about this widget (nothing secret)."""
        return dict(self.settings.shown())
