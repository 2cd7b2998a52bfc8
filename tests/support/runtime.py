"""The real runtime (its own loop thread and HTTP server) with the recording team chat."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Coroutine, TypeVar

from bridge.ports import Clock
from runtime.app import Runtime
from runtime.host import Host
from runtime.settings import Settings
from tests.support.team import RecordingTeamChat

T = TypeVar("T")
OPERATOR = "alice"
# The webchat's limits out of the way: tests open many tabs from 127.0.0.1 at once.
# The tests of the limits themselves give their own.
LOOSE = dict(webchat_burst=100_000, webchat_messages_per_minute=100_000, webchat_new_visitors_per_minute=100_000,
             webchat_hellos_per_minute=100_000, webchat_sockets_per_visitor=10_000, webchat_sockets_per_ip=10_000)


class Running:
    """One Open Lines process, minus Errbot: what a browser and the channels see."""

    def __init__(self, data_dir: Path, team: RecordingTeamChat | None = None, clock: Clock | None = None,
                 leave: tuple[str, ...] = (), **settings: Any) -> None:
        """``leave``: work kinds another process runs (``("team.",)``: an intake worker's runtime)."""
        self.settings = Settings(data_dir=str(data_dir), http_port=0, operators=(OPERATOR,), admins=(OPERATOR,),
                                 **{**LOOSE, **settings})
        self.team = team or RecordingTeamChat()
        self.host = Host(self.settings)
        self.host.start()
        self.app = Runtime(self.settings, self.host, self.team, clock, leave=leave)
        try:
            self.app.start()
        except BaseException:
            self.host.stop()
            raise

    @property
    def http_port(self) -> int:
        assert self.host.http_port is not None
        return self.host.http_port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return self.host.call(coro, timeout)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """From a test's own loop: run on the runtime's loop and wait without blocking."""
        return await asyncio.wrap_future(self.host.submit(coro))

    def stop(self) -> None:
        self.app.stop()
        self.host.stop()
