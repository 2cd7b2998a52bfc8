"""What the runtime gives every channel backend over aiohttp: shared routes, context."""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Protocol

from aiohttp import web

from bridge.channels import ChannelBackend, ChannelContext, CustomerState, FileStore
from bridge.errors import Refused, StorageFull
from bridge.leases import Leases
from bridge.model import Attachment

log = logging.getLogger(__name__)
MAX_RETRY = 60.0  # seconds between tries of a platform that is away, at most


class AiohttpMounts:
    """Which backend answers for a key under a kind's URL prefix.

    aiohttp freezes its router once it serves, so each kind declares its
    routes once and finds the backend per request: a channel can then be
    added or removed while the server runs.
    """

    def __init__(self) -> None:
        self._mounts: dict[tuple[str, str], ChannelBackend] = {}

    def mount(self, kind: str, key: str, backend: ChannelBackend) -> None:
        self._mounts[(kind, key)] = backend

    def unmount(self, kind: str, key: str) -> None:
        self._mounts.pop((kind, key), None)

    def get(self, kind: str, key: str) -> ChannelBackend | None:
        return self._mounts.get((kind, key))

    def keys(self, kind: str) -> list[str]:
        return sorted(key for k, key in self._mounts if k == kind)

    def find(self, kind: str, key: str) -> ChannelBackend:
        backend = self._mounts.get((kind, key))
        if backend is None:
            raise web.HTTPNotFound(text=f"no such {kind} channel\n")
        return backend


@dataclass
class RuntimeContext:
    """Implements ``bridge.channels.ChannelContext``."""

    http: AiohttpMounts
    secret: bytes
    state: CustomerState
    files: FileStore
    public_url: str = ""
    base_url: str = ""  # where this server is reached: the public URL, else its own address
    # Each kind's process-wide knobs by kind, built by its own class (``registry.tuning``): the web
    # chat's limits. A kind finds none here in a test that builds the context bare: its defaults.
    tuning: Mapping[str, object] = field(default_factory=dict)
    # Other processes holding this install's chat tabs (``backends.webchat.peers.Peers``); None: this one alone.
    peers: Any = None
    leases: Leases | None = None  # the journal's: long polling runs in one process of those sharing it


def webhook_routes(mounts: AiohttpMounts, kind: str, path: str) -> list[web.RouteDef]:
    """One POST route whose ``{key}`` picks the mounted backend; its ``webhook(request)`` answers."""
    async def handle(request: web.Request) -> web.StreamResponse:
        backend: Any = mounts.find(kind, request.match_info["key"])
        response: web.StreamResponse = await backend.webhook(request)
        return response
    return [web.post(path, handle)]


async def keep_trying(what: str, attempt: Callable[[], Awaitable[object]],
                      errors: tuple[type[BaseException], ...], backend: ChannelBackend | None = None,
                      problem: Callable[[BaseException], str] = lambda _: "the platform could not be reached",
                      ) -> None:
    """Retry ``attempt`` with backoff until it succeeds (a platform may be away when a channel starts);
    meanwhile the backend says why it does not work (``problem``) and when it tries again."""
    for n in itertools.count():
        try:
            await attempt()
            if backend is not None:
                backend.troubled(None)
            return
        except errors as exc:
            wait = min(MAX_RETRY, (backend.first_retry if backend and backend.first_retry else 1.0) * 2.0 ** n)
            log.warning("%s failed: %s", what, type(exc).__name__)  # the type only: texts can hold tokens
            if backend is not None:
                backend.troubled(problem(exc), wait)
            await asyncio.sleep(wait)


async def cancelled(task: "asyncio.Task[None] | None") -> None:
    """Cancel a background task and wait for it to end."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class Closable(Protocol):
    async def close(self) -> None: ...


async def released(context: ChannelContext, kind: str, key: str, task: "asyncio.Task[None] | None",
                   *held: Closable | None) -> None:
    """A platform channel's ``stop``: its webhook route unmounted, its background task (webhook
    upkeep or polling) ended, then what it ``held`` closed in order (None: never opened)."""
    context.http.unmount(kind, key)
    await cancelled(task)
    for thing in held:
        if thing is not None:
            await thing.close()


def reachable_url(context: ChannelContext) -> str:
    """Where platforms call this server: the public URL, else the server's own address."""
    return (context.public_url or getattr(context, "base_url", "")).rstrip("/")


async def kept_file(files: FileStore, data: bytes, name: str, content_type: str, platforms: Attachment) -> Attachment:
    """A customer's file in our store; the platform's own reference while the store keeps its
    free-disk floor, so the message (and its text) still goes through."""
    try:
        return await files.put(data, name, content_type)
    except StorageFull:
        log.warning("a customer's file was not stored: the disk is nearly full")
        return platforms


class CustomerStates:
    """One binding's per-customer state. A change reads, changes and writes one customer's record
    in one transaction of the store (whichever process makes it), keeping every key it does not
    touch (the core keeps its own there too), and writes nothing when nothing changed."""

    def __init__(self, store: CustomerState, binding_id: str) -> None:
        self._store = store
        self._binding_id = binding_id

    async def get(self, customer_ref: str) -> dict[str, Any]:
        return dict(await self._store.get(self._binding_id, customer_ref))

    async def change(self, customer_ref: str, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        def changed(state: dict[str, Any]) -> dict[str, Any]:
            change(state)  # the store hands a copy: changes may reach into nested values
            return state

        return await self._store.update(self._binding_id, customer_ref, changed)


async def stored_or_retry(what: str, store: Awaitable[object], keep: Callable[[str], Awaitable[object]]) -> None:
    """Store one platform event behind a webhook. One the core refuses (a rule of ours: a retry
    would not help) is kept as unreadable with ``keep(reason)``, never only logged; any other
    failure answers 503, so the platform delivers it again, and its id makes that count once."""
    try:
        try:
            await store
        except Refused as exc:
            log.warning("%s refused: %s; kept as unreadable", what, exc)
            await keep(str(exc))
    except Exception as exc:  # the type only: texts can hold tokens
        log.error("%s not stored (%s): asking for it again", what, type(exc).__name__)
        raise web.HTTPServiceUnavailable(text="not stored; deliver again\n") from None


async def kept_or_retry(what: str, keep: Awaitable[object]) -> None:
    """Keep an event the channel could not read; if the journal cannot, answer 503 (the platform retries)."""
    await stored_or_retry(what, keep, _never)


async def _never(reason: str) -> None:
    raise RuntimeError(f"keeping an unreadable event was refused: {reason}")


def refused_kind(event: object) -> str:
    """How a kept event the core refused is named: "message refused", "edit refused"…"""
    return f"{type(event).__name__.removeprefix('Inbound').lower()} refused"


def raw_text(raw: Any) -> str:
    """A platform's event as text to keep: its body as sent, or its JSON."""
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8", "replace")
    if isinstance(raw, str):
        return raw
    try:
        return json.dumps(raw, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return f"(a {type(raw).__name__} that cannot be written as JSON)"
