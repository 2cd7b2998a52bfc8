"""Website live chat: a page, an embeddable widget.js and a WebSocket per visitor tab."""
from __future__ import annotations

import asyncio
import functools
import json
import logging
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from backends.base import AiohttpMounts
from backends.webchat_frames import (
    MAX_FRAME,
    FrameError,
    Hello,
    HistoryPage,
    Say,
    Typing,
    VisitorTokens,
    message_frame,
    parse,
)
from bridge.channel_settings import SettingSpec, origins
from bridge.channels import ChannelBackend, ChannelContext, InboundMessage, InboundSink, OutboundMessage, SendResult
from bridge.errors import Refused
from bridge.model import ChannelBinding, MessageKind

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("webchat_static")
KIND = "webchat"
HISTORY_PAGE = 100


class _Visitor:
    """One open tab: its socket and who it speaks for once it said hello."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.customer_ref: str | None = None
        self.name = ""
        self.email: str | None = None


class WebchatBackend(ChannelBackend):
    kind = KIND
    label = "Website chat"
    settings_schema = (
        SettingSpec("widget", "the widget id in the chat's URL: /webchat/<widget>/", required=True),
        SettingSpec("allowed_origins", "sites that may embed the chat: https://shop.example,…", parse=origins),
    )

    @classmethod
    def binding_key(cls, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> str:
        return str(settings["widget"])

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self._http = context.http
        self._tokens = VisitorTokens(context.secret)
        self._tabs: dict[str, set[web.WebSocketResponse]] = {}
        self._origins = {o.rstrip("/").lower() for o in binding.settings.get("allowed_origins", [])}

    async def start(self) -> None:
        self._http.mount(KIND, self.binding.key, self)

    async def stop(self) -> None:
        self._http.unmount(KIND, self.binding.key)
        sockets = [ws for tabs in self._tabs.values() for ws in tabs]
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    async def send(self, message: OutboundMessage) -> SendResult:
        # The journal keeps every message: a visitor with no tab open gets it
        # in the history frame when they come back, so this never fails.
        frame = message_frame(message.seq, False, message.author, message.text, message.ts)
        await self._fan_out(message.customer_ref, frame)
        return SendResult(f"webchat-{message.seq}")

    async def _fan_out(self, customer_ref: str, frame: dict, skip: web.WebSocketResponse | None = None) -> None:
        data = json.dumps(frame)
        for ws in list(self._tabs.get(customer_ref, ())):
            if ws is not skip and not ws.closed:
                try:
                    await ws.send_str(data)
                except (ConnectionError, RuntimeError):
                    pass  # the tab went away; it resumes from history

    # -- HTTP -------------------------------------------------------------------
    @classmethod
    def routes(cls, mounts: AiohttpMounts) -> list[web.RouteDef]:
        def handler(name: str) -> Any:
            async def handle(request: web.Request) -> web.StreamResponse:
                backend = mounts.find(KIND, request.match_info["widget"])
                response: web.StreamResponse = await getattr(backend, name)(request)
                return response
            return handle

        async def add_slash(request: web.Request) -> web.Response:
            mounts.find(KIND, request.match_info["widget"])
            raise web.HTTPPermanentRedirect(f"/webchat/{request.match_info['widget']}/")

        return [
            web.get("/webchat/{widget}", add_slash),
            web.get("/webchat/{widget}/", handler("page")),
            web.get("/webchat/{widget}/widget.js", handler("widget_js")),
            web.get("/webchat/{widget}/ws", handler("socket")),
        ]

    async def page(self, request: web.Request) -> web.Response:
        return _static("page.html", "text/html")

    async def widget_js(self, request: web.Request) -> web.Response:
        return _static("widget.js", "application/javascript")

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None or "*" in self._origins:
            return True  # not a browser, or the widget may be embedded anywhere
        if origin.rstrip("/").lower() in self._origins:
            return True
        return urlsplit(origin).netloc.lower() == request.host.lower()

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        if not self.origin_allowed(request):
            raise web.HTTPForbidden(text="this origin may not use the chat\n")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        visitor = _Visitor(ws)
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(visitor, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await ws.send_json(FrameError("bad_frame", "frames are JSON text").frame())
        finally:
            self._forget(visitor)
        return ws

    def _forget(self, visitor: _Visitor) -> None:
        ref = visitor.customer_ref
        tabs = self._tabs.get(ref or "")
        if ref is not None and tabs is not None:
            tabs.discard(visitor.ws)
            if not tabs:
                del self._tabs[ref]

    async def _on_frame(self, visitor: _Visitor, raw: str) -> None:
        try:
            frame = parse(raw)
            if isinstance(frame, Hello):
                await self._hello(visitor, frame)
            elif visitor.customer_ref is None:
                raise FrameError("hello_first", "say hello first")
            elif isinstance(frame, Say):
                await self._say(visitor, visitor.customer_ref, frame)
            elif isinstance(frame, HistoryPage):
                await self._older(visitor, visitor.customer_ref, frame.before_seq)
            elif isinstance(frame, Typing):
                pass  # accepted; shown to operators where the team side can show it
        except FrameError as exc:
            await visitor.ws.send_json(exc.frame())

    async def _hello(self, visitor: _Visitor, hello: Hello) -> None:
        token = hello.visitor_token
        ref = self._tokens.customer_ref(token)
        if ref is None:
            token = self._tokens.issue()
            ref = self._tokens.customer_ref(token)
        assert ref is not None
        self._forget(visitor)
        visitor.customer_ref, visitor.name, visitor.email = ref, hello.name, hello.email
        conversation_id = await self.sink.current_conversation(self.binding, ref)
        await visitor.ws.send_json({"type": "welcome", "visitor_token": token, "conversation_id": conversation_id})
        # Live frames only after welcome; one landing before the history query
        # comes twice (live and in history) with one seq, and the page keeps one.
        self._tabs.setdefault(ref, set()).add(visitor.ws)
        await self._history(visitor, ref, after_seq=hello.last_seq)

    async def _older(self, visitor: _Visitor, ref: str, before_seq: int) -> None:
        await self._history(visitor, ref, before_seq=before_seq)

    async def _history(self, visitor: _Visitor, ref: str, *, after_seq: int = 0,
                       before_seq: int | None = None) -> None:
        """The newest page of the range, and whether older messages are left to ask for."""
        page = await self.sink.history(self.binding, ref, after_seq=after_seq, before_seq=before_seq,
                                       limit=HISTORY_PAGE + 1)
        more = len(page) > HISTORY_PAGE
        frame: dict[str, Any] = {
            "type": "history", "more": more,
            "messages": [message_frame(m.seq, m.kind is MessageKind.INBOUND, author, m.text, m.ts)
                         for m, author in page[-HISTORY_PAGE:]]}
        if before_seq is not None:
            frame["before_seq"] = before_seq
        await visitor.ws.send_json(frame)

    async def _say(self, visitor: _Visitor, ref: str, say: Say) -> None:
        inbound = InboundMessage(customer_ref=ref, external_id=say.client_id, text=say.text,
                                 customer_name=visitor.name or "Website visitor", customer_email=visitor.email)
        try:
            receipt = await self.sink.accept(self.binding, inbound)
        except Refused as exc:
            raise FrameError("refused", f"the message was not accepted: {exc}", say.client_id) from None
        except Exception:
            log.exception("could not store a webchat message")
            raise FrameError("unavailable", "the message could not be stored; send it again",
                             say.client_id) from None
        if receipt is None:
            raise FrameError("unavailable", "the message could not be stored; send it again", say.client_id)
        await visitor.ws.send_json({"type": "ack", "client_id": say.client_id, "seq": receipt.seq,
                                    "conversation_id": receipt.conversation_id})
        if not receipt.duplicate:
            frame = message_frame(receipt.seq, True, receipt.author, say.text, receipt.ts)
            await self._fan_out(ref, frame, skip=visitor.ws)


@functools.cache
def _static_bytes(name: str) -> bytes:
    return (STATIC / name).read_bytes()  # part of the install: read once, not per visitor


def _static(name: str, content_type: str) -> web.Response:
    return web.Response(body=_static_bytes(name), content_type=content_type, charset="utf-8",
                        headers={"Cache-Control": "no-cache"})

