"""The runtime: one asyncio loop in a thread, one aiohttp server, the core wired up.

It knows nothing of Errbot: the plugin hands it a TeamChat and calls in
through ``call``/``submit``; that keeps it testable and reusable.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import secrets
import threading
from typing import Any, Coroutine, TypeVar

from aiohttp import web

from backends.base import ChannelContext, HttpMounts
from backends.registry import all_routes, create_backend
from bridge.channels import ChannelBackend
from bridge.delivery import Dispatcher
from bridge.directory import Directory
from bridge.ports import Clock, SystemClock, TeamChat
from bridge.service import ConversationService
from bridge.sqlite_store import open_sqlite
from crm_store.base import CrmStore
from crm_store.factory import open_crm
from crm_store.port import AsyncCrm
from plugins.seed import seed_defaults
from plugins.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class Runtime:
    def __init__(self, settings: Settings, team: TeamChat, clock: Clock | None = None) -> None:
        self.settings = settings
        self.team = team
        self.clock = clock or SystemClock()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="openlines-loop", daemon=True)
        self._runner: web.AppRunner | None = None
        self.http_port: int | None = None
        self.crm_store: CrmStore | None = None
        self.service: ConversationService | None = None
        self.dispatcher: Dispatcher | None = None
        self.failed_channels: dict[str, str] = {}

    # -- lifecycle, called from Errbot's threads -------------------------------------
    def start(self, timeout: float = 30) -> None:
        self._thread.start()
        try:
            self.call(self._start(), timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self._stop(), timeout)
        except Exception:
            log.exception("Open Lines did not stop cleanly")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        """Run a coroutine on the loop and wait for its result (from another thread)."""
        return self.submit(coro).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    # -- on the loop -------------------------------------------------------------------
    async def _start(self) -> None:
        s = self.settings
        self._worker, journal, lines = await asyncio.to_thread(
            open_sqlite, s.path("journal.sqlite3"), synchronous=s.journal_sync)
        self.crm_store = await asyncio.to_thread(open_crm, s.path("crm.json"))
        await seed_defaults(lines, s.operators)
        directory = Directory.of(await lines.lines(), await lines.bindings())
        self.dispatcher = Dispatcher(journal=journal, team=self.team, crm=AsyncCrm(self.crm_store),
                                     directory=directory, clock=self.clock)
        self.service = ConversationService(journal=journal, directory=directory,
                                           dispatcher=self.dispatcher, clock=self.clock)
        mounts = HttpMounts()
        context = ChannelContext(http=mounts, secret=await asyncio.to_thread(self._secret),
                                 public_url=s.public_url)
        for binding in directory.bindings.values():
            try:
                self.dispatcher.backends[binding.id] = create_backend(binding, self.service, context)
            except Exception as exc:  # one broken channel must not take the others down
                self._channel_failed(binding.id, exc)
        # Owed work is queued first, so a restart keeps each conversation in order.
        await self.dispatcher.recover()
        for backend in list(self.dispatcher.backends.values()):
            await self._start_channel(backend)
        self.dispatcher.start()
        await self._serve(mounts)

    async def _start_channel(self, backend: ChannelBackend) -> None:
        try:
            await backend.start()
        except Exception as exc:
            self._channel_failed(backend.binding.id, exc)
            del self.dispatcher.backends[backend.binding.id]

    def _channel_failed(self, binding_id: str, exc: Exception) -> None:
        # The type only: an SDK's message may carry a token.
        log.error("channel %s did not start: %s", binding_id, type(exc).__name__)
        self.failed_channels[binding_id] = type(exc).__name__

    async def _serve(self, mounts: HttpMounts) -> None:
        app = web.Application(client_max_size=1024 ** 2)
        app.add_routes(all_routes(mounts))
        app.add_routes([web.get("/healthz", self._health)])
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        self.http_port = self._runner.addresses[0][1]
        log.info("Open Lines listens on http://%s:%s", self.settings.http_host, self.http_port)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "channels": sorted(self.dispatcher.backends),
                                  "failed_channels": self.failed_channels})

    async def _stop(self) -> None:
        # Channels first: they close their sockets, so the server need not wait for them.
        if self.dispatcher is not None:
            for backend in self.dispatcher.backends.values():
                try:
                    await backend.stop()
                except Exception:
                    log.exception("channel %s did not stop cleanly", backend.binding.id)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        if getattr(self, "_worker", None) is not None:
            await asyncio.to_thread(self._worker.close)
        if self.crm_store is not None:
            await asyncio.to_thread(self.crm_store.close)

    def _secret(self) -> bytes:
        """The install's signing secret, made once and kept in the data dir."""
        path = self.settings.path("secret.key")
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        with open(path) as f:
            return bytes.fromhex(f.read().strip())
