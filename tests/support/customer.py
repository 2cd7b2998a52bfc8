"""A website-chat customer for synchronous tests: the shared Tab client on a loop of its own."""
from __future__ import annotations

from typing import Any, Callable, Coroutine, TypeVar

import aiohttp

from tests.support.loopback import LoopThread
from tests.support.webchat import Tab

T = TypeVar("T")


class Customer:
    """Runs its own event loop in a thread so Errbot tests can stay synchronous."""

    def __init__(self, port: int, widget: str = "support") -> None:
        self.url = f"http://127.0.0.1:{port}/webchat/{widget}/ws"
        self.token: str | None = None
        self.last_seq = 0
        self._thread = LoopThread()
        self._session: aiohttp.ClientSession | None = None
        self._tab: Tab | None = None

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return self._thread.call(coro, timeout)

    def connect(self, name: str = "Alice Customer", **hello: Any) -> tuple[dict, dict]:
        """Say hello (more fields of it: ``language="fr-FR"``); returns the welcome and history frames."""
        return self._call(self._connect(name, hello))

    async def _connect(self, name: str, hello: dict[str, Any]) -> tuple[dict, dict]:
        self._session = self._session or aiohttp.ClientSession()
        self._tab = Tab(await self._session.ws_connect(self.url))
        welcome, history = await self._tab.hello(self.token, self.last_seq, name=name, **hello)
        self.token = welcome["visitor_token"]
        for frame in history["messages"]:
            self.last_seq = max(self.last_seq, frame["seq"])
        return welcome, history

    @property
    def tab(self) -> Tab:
        assert self._tab is not None, "connect first"
        return self._tab

    def call_tab(self, action: Callable[[Tab], Coroutine[Any, Any, T]]) -> T:
        """Anything else the page does (``lambda tab: tab.send(type="typing", on=True)``)."""
        return self._call(action(self.tab))

    def say(self, text: str, client_id: str | None = None) -> dict:
        """Send a message; returns its ack frame."""
        return self._call(self.tab.say(text, client_id))

    def next_message(self, timeout: float = 10) -> dict:
        """The next message frame pushed by the server."""
        frame = self._call(self.tab.expect("message", timeout=timeout), timeout + 5)
        self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    def close(self) -> None:
        async def _close() -> None:
            if self._tab is not None:
                await self._tab.close()
            if self._session is not None:
                await self._session.close()

        self._call(_close())
        self._thread.stop()
