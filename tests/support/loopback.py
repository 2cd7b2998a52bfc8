"""A small aiohttp server on 127.0.0.1 for the fakes of outside platforms."""
from __future__ import annotations

from aiohttp import web


async def serve(routes: list[web.RouteDef], *, max_body: int = 1024 ** 2) -> tuple[web.AppRunner, str]:
    """Start serving ``routes`` on a free port; the runner (to clean up) and the base URL."""
    app = web.Application(client_max_size=max_body)
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)  # a hanging fake must not hold teardown
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
