"""What the three Meta channels share: credentials, the Graph session, the webhook, state, files."""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import replace
from typing import Any, Awaitable, Callable, ClassVar

from backends.base import CustomerStates, kept_file, raw_text
from backends.meta.graph import Graph
from backends.meta.kind import MetaSettings, PageSettings
from backends.meta.parse import Item
from bridge.channels import ChannelBackend, ChannelContext, InboundSink, OutboundMessage, SendResult
from bridge.errors import PermanentSendError
from bridge.model import Attachment, ChannelBinding

Part = Callable[[], Awaitable[str | None]]  # sends one piece of a message; returns Meta's id


class MetaBackend(ChannelBackend):
    settings_class: ClassVar[type[MetaSettings]] = PageSettings

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        super().__init__(binding, sink, context)
        self.settings = self.settings_class.of(binding.settings, binding.secrets)
        self.account = binding.key
        self._verify_token = self.settings.verify_token
        self._app_secret = self.settings.app_secret.encode()
        self.graph = Graph(self.settings.api_url, self.settings.page_token, binding.secrets.values())
        self.states = CustomerStates(context.state, binding.id)
        self.now: Callable[[], float] = time.time  # Meta's windows run on the wall clock

    async def start(self) -> None:
        missing = self.settings.missing()
        if missing:
            raise PermanentSendError(f"missing {', '.join(missing)}: connect the channel again with them")
        await self.graph.open()
        self.context.http.mount(self.kind, self.account, self)

    async def stop(self) -> None:
        self.context.http.unmount(self.kind, self.account)
        await self.graph.close()

    async def check(self) -> None:
        """Meta takes the token for this channel's page or account (also before the channel starts)."""
        async with self.graph.borrowed():
            await self.check_account()

    async def check_account(self) -> None:
        """The token works and belongs to the page this channel names."""
        me = await self.graph.get("me", fields="id,name")
        if str(me.get("id", "")) != self.account:
            raise PermanentSendError(f"the page token is another page's (id {str(me.get('id'))[:40]}), "
                                     f"not page_id={self.account}'s: use that page's token")

    def callback_url(self) -> str | None:
        public = (self.context.public_url or self.context.base_url).rstrip("/")
        return f"{public}/meta/{self.account}" if public else None

    # -- the webhook ----------------------------------------------------------------------------
    def signed(self, body: bytes, signature: str) -> bool:
        """Meta signs every call with the app secret: ``sha256=<hex hmac of the raw body>``."""
        if not self._app_secret or not signature.startswith("sha256="):
            return False
        expected = hmac.new(self._app_secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature[7:].strip().lower().encode(errors="replace"))

    def verifies(self, token: str) -> bool:
        return bool(self._verify_token) and hmac.compare_digest(self._verify_token.encode(), token.encode())

    async def take(self, item: Item) -> None:
        """One event of a signed envelope: completed (names, files, context), then durably accepted."""
        await self.sink.accept(self.binding, await self.complete(item))

    async def keep(self, what: str, reason: str, raw: Any) -> None:
        """An event of this page we cannot read: kept, and told to the line once per kind."""
        await self.sink.keep(self.binding, what, reason, raw_text(raw))

    async def complete(self, item: Item) -> Any:
        return item.event

    # -- per-customer state ----------------------------------------------------------------------
    async def state(self, customer_ref: str) -> dict[str, Any]:
        return await self.states.get(customer_ref)

    async def change_state(self, customer_ref: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        return await self.states.change(customer_ref, change)

    # -- files ------------------------------------------------------------------------------------
    async def keep_files(self, attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        """Meta's files copied into our store (its CDN links expire); a file that cannot be had
        keeps its Meta link, so the message is never held back by it."""
        kept = []
        for a in attachments:
            got = await self.graph.download(a.url) if a.kind != "link" and a.url else None
            if got is None:
                kept.append(a)
                continue
            data, name, content_type = got
            stored = await kept_file(self.context.files, data, name, content_type, a)
            kept.append(replace(stored, kind=a.kind if a.kind in ("video", "audio") else stored.kind))
        return tuple(kept)

    async def outgoing_file(self, attachment: Attachment) -> tuple[bytes, Attachment] | None:
        """Our own file's bytes, uploaded with the message: Meta then never needs to reach our
        server to fetch it. None for a file that is not ours: Meta fetches its URL."""
        return await self.context.files.get(attachment.url)

    # -- sending in parts ---------------------------------------------------------------------------
    async def deliver(self, message: OutboundMessage, parts: list[Part]) -> SendResult:
        """Send the parts in order; a retry after a part-way failure resumes after the last sent part."""
        if not parts:
            raise PermanentSendError("nothing to send")
        if len(parts) == 1:
            return SendResult(await parts[0]())
        progress = (await self.state(message.customer_ref)).get("sending") or {}
        done, first = (progress.get("done", 0), progress.get("first")) if progress.get("seq") == message.seq \
            else (0, None)
        for index in range(done, len(parts)):
            sent = await parts[index]()
            first = first or sent

            def record(state: dict[str, Any], done: int = index + 1, first: Any = first) -> None:
                state["sending"] = {"seq": message.seq, "done": done, "first": first}
            await self.change_state(message.customer_ref, record)
        await self.change_state(message.customer_ref, _forget_progress)
        return SendResult(first)


def _forget_progress(state: dict[str, Any]) -> None:
    state.pop("sending", None)


def chunks(text: str, limit: int) -> list[str]:
    """The text in pieces of at most ``limit`` characters, cut at a line or a space where it can be."""
    pieces = []
    text = text.strip()
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return pieces + ([text] if text else [])
