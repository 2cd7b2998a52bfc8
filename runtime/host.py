"""The process host: one asyncio loop in a thread and one HTTP server, shared by everything.

The OpenLines plugin runs the core on it; a team-chat backend of our own
(which Errbot starts before any plugin) can serve its pages from it; a
headless channel worker could run it alone. Whoever needs it first starts
it, with every route it will ever serve (aiohttp freezes its router).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Coroutine, TypeVar

from aiohttp import web

from backends.base import AiohttpMounts
from backends.registry import all_routes
from bridge.team_queries import TeamQueries
from runtime import redact
from runtime.files import DiskFiles
from runtime import ops
from runtime.http_guard import AcceptErrorLog, ConnectionGate, GuardedProtocol, raise_open_files_limit
from runtime.metrics import ProcessMetrics
from runtime.settings import Settings

if TYPE_CHECKING:
    from runtime.app import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")
Health = Callable[[bool], Awaitable[tuple[bool, dict[str, Any]]]]
RouteMaker = Callable[["Host"], list[web.RouteDef]]

_lock = threading.Lock()
_shared: "Host | None" = None


class Host:
    def __init__(self, settings: Settings, extra_routes: list[RouteMaker] | None = None) -> None:
        self.settings = settings
        self.mounts = AiohttpMounts()
        self.loop = asyncio.new_event_loop()
        self.http_port: int | None = None
        self.health: Health | None = None  # the core's, once it runs
        self.files: DiskFiles | None = None  # the core's file store, once it runs
        self.queries: TeamQueries | None = None  # the running Open Lines, for pages served beside it
        self.runtime: "Runtime | None" = None  # the same, for this process's own pages (/readyz, /metrics)
        self.metrics = ProcessMetrics()  # this process's, served at /metrics
        self.entrances: list[str] = []  # "what: URL" lines printed once ready (a team console adds its own)
        self._extra = list(extra_routes or [])
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run_loop, name="openlines-loop", daemon=True)

    # -- the one host of this process ----------------------------------------------------
    @classmethod
    def shared(cls, settings: Settings, extra_routes: list[RouteMaker] | None = None) -> "Host":
        """The process's host, started on first use (later route makers come too late: refused)."""
        global _shared
        with _lock:
            if _shared is None or not _shared.running:
                _shared = cls(settings, extra_routes)
                _shared.start()
            elif extra_routes:
                raise RuntimeError("the HTTP server already runs: routes must be given by its first user")
            return _shared

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> None:
        files = raise_open_files_limit()
        log.debug("open files limit: %d", files)
        self.loop.set_exception_handler(AcceptErrorLog())
        self._thread.start()
        try:
            self.call(self._serve(), timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        global _shared
        with _lock:
            if _shared is self:
                _shared = None
        if not self._thread.is_alive():
            return
        try:
            self.call(self._cleanup(), timeout)
        except Exception as exc:
            log.error("the HTTP server did not stop cleanly: %s", type(exc).__name__)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10) -> T:
        """Run a coroutine on the loop and wait for its result (from another thread)."""
        return self.submit(coro).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    # -- HTTP -----------------------------------------------------------------------------------
    async def _serve(self) -> None:
        app = web.Application(client_max_size=1024 ** 2)
        app.add_routes(all_routes(self.mounts))
        app.add_routes([web.get("/healthz", self._health), web.get("/files/{token}/{name}", self._file)])
        app.add_routes(ops.routes(self))
        for make in self._extra:
            app.add_routes(make(self))
        # aiohttp's keep-alive timer also runs until a request's headers are complete:
        # it is the header timeout that closes half-open (slowloris) connections.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5,
                                     keepalive_timeout=self.settings.header_timeout)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        gate = ConnectionGate(self.settings.connections_per_ip, self.settings.trusted_proxies)
        self._listener = await self.loop.create_server(lambda: GuardedProtocol(server, gate),
                                                       self.settings.http_host, self.settings.http_port)
        self.http_port = self._listener.sockets[0].getsockname()[1]
        log.info("Open Lines listens on http://%s:%s", self.settings.http_host, self.http_port)

    async def _cleanup(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()

    async def _file(self, request: web.Request) -> web.Response:
        if self.files is None:
            raise web.HTTPNotFound(text="no such file\n")
        return await self.files.serve(request)

    @property
    def base_url(self) -> str:
        """Where people reach this server: the public URL, else this machine's address."""
        shown = self.settings.http_host if self.settings.http_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return self.settings.public_url.rstrip("/") or f"http://{shown}:{self.http_port}"

    async def _health(self, request: web.Request) -> web.Response:
        if self.health is None:
            return web.json_response({"status": "starting"}, status=503)
        ok, details = await self.health(_trusted(request))
        return web.json_response({"status": "ok" if ok else "failing", **details}, status=200 if ok else 503)


def cannot_start(exc: BaseException, data_dir: str) -> str:
    """The one line said when Open Lines cannot start (a full disk, a read-only journal...)."""
    said = " ".join(str(exc).split())[:200]
    said = redact.install().redact(said) if said else ""
    return (f"Open Lines cannot start: {type(exc).__name__}{': ' + said if said else ''} — nothing is served; "
            f"the details are in {data_dir}/errbot.log")


def _trusted(request: web.Request) -> bool:
    """Details (channel failure types) only for this machine: a proxy in front hides the rest."""
    return request.remote in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers
