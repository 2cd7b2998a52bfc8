"""Lines and bindings changed by another process made live here: a cheap poll of the config version.

Every change of a line or binding moves a counter in the same transaction
(``ConfigStore.version``). Each process reads that one row every
``CONFIG_POLL_SECONDS``; when it moved, it reloads lines and bindings and the
directory tells its listeners what changed (the runtime starts, restarts or
stops those channels). A notification may shorten the wait; this poll alone
keeps every process right.
"""
from __future__ import annotations

import asyncio
import logging

from bridge.directory import Directory
from bridge.model import ChannelBinding, Line
from bridge.store import ConfigStore

log = logging.getLogger(__name__)
CONFIG_POLL_SECONDS = 0.5  # a change elsewhere is live here within this, plus a reload


class ConfigWatch:
    def __init__(self, config: ConfigStore, directory: Directory, seen: int | None,
                 interval: float = CONFIG_POLL_SECONDS) -> None:
        """``seen``: the version read before the directory was loaded (None: unknown, the first check reloads)."""
        self.config, self.directory, self.interval = config, directory, interval
        self.seen = seen
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def check(self) -> bool:
        """Reload when the version moved; whether it did."""
        version = await self.config.version()
        if version == self.seen:
            return False

        async def load() -> tuple[list[Line], list[ChannelBinding]]:
            # Read after the version: a change committed meanwhile moves it again, and the next check reloads.
            return await self.config.lines(), await self.config.bindings()

        await self.directory.sync(load)
        self.seen = version
        return True

    async def _watch(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the journal away for a moment: the next check catches up
                log.warning("line changes not checked: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)
