"""A small aiohttp server on 127.0.0.1 for the fakes of outside platforms."""
from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from typing import Any, Coroutine, TypeVar

from aiohttp import web

T = TypeVar("T")


async def serve(routes: list[web.RouteDef], *, max_body: int = 1024 ** 2) -> tuple[web.AppRunner, str]:
    """Start serving ``routes`` on a free port; the runner (to clean up) and the base URL."""
    app = web.Application(client_max_size=max_body)
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)  # a hanging fake must not hold teardown
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class LoopThread:
    """An asyncio loop on its own thread: fakes for synchronous tests (a real Errbot) run there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-platform", daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
        # A connection the product opened to a fake as it shut down can outlive the fake's
        # cleanup; collected in some later test, its "unclosed transport" warning would fail
        # that test (warnings are errors). It is the fake's socket, not the product's: collect
        # it here, where it belongs, without the warning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
