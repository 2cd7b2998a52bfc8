"""An employee on the web team console, for synchronous tests: real HTTP, real cookies, a real WebSocket."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Callable, Coroutine, TypeVar

import aiohttp

from tests.support.inbox import Inbox
from tests.support.loopback import LoopThread

T = TypeVar("T")
Frame = dict[str, Any]
FIRST_PASSWORD = re.compile(r"as “operator” with the one-time password (\S+) ")  # printed at a first start
OWN_PASSWORD = "correct horse battery"


class TeamMember:
    """Signs in at /team/ and keeps every frame the console pushes, in order."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.inbox: Inbox[Frame] = Inbox(f"the console at {self.base}")
        self._thread = LoopThread()
        self._session: aiohttp.ClientSession = self._call(self._new_session())
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def _new_session(self) -> aiohttp.ClientSession:
        # unsafe: the console runs at an IP address (127.0.0.1), whose cookies aiohttp drops by default
        return aiohttp.ClientSession(headers={"Origin": self.base}, cookie_jar=aiohttp.CookieJar(unsafe=True))

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return self._thread.call(coro, timeout)

    # -- HTTP ------------------------------------------------------------------------------
    def post(self, path: str, body: Any, **headers: str) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            async with self._session.post(self.base + path, json=body, headers=headers) as r:
                return r.status, await r.text()
        return self._call(go())

    def get(self, path: str) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            async with self._session.get(self.base + path) as r:
                return r.status, (await r.read()).decode(errors="replace")
        return self._call(go())

    def upload(self, name: str, data: bytes, content_type: str) -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            async with self._session.post(f"{self.base}/team/upload?name={name}", data=data,
                                          headers={"Content-Type": content_type}) as r:
                return r.status, await r.json() if r.status == 200 else await r.text()
        return self._call(go())

    def sign_in(self, login: str, password: str) -> int:
        return self.post("/team/signin", {"login": login, "password": password})[0]

    def sign_in_first(self, process: Any, password: str = OWN_PASSWORD) -> None:
        """As the first admin (@operator) of ``process`` (an ``OpenLinesProcess``): with the one-time
        password it printed, then ``password`` chosen."""
        assert self.sign_in("operator", process.wait_for(FIRST_PASSWORD).group(1)) == 200
        assert self.choose_password(password) == 200

    def redeem(self, link: str) -> int:
        return self.post("/team/redeem", {"token": link.split("#welcome=", 1)[-1]})[0]

    def choose_password(self, password: str) -> int:
        return self.post("/team/password", {"password": password})[0]

    # -- the socket --------------------------------------------------------------------------
    def connect(self, origin: str | None = None) -> Frame:
        """Open the WebSocket; returns the hello frame."""
        async def go() -> None:
            self._ws = await self._session.ws_connect(f"{self.base}/team/ws",
                                                      headers={"Origin": origin or self.base})
            self._reader = asyncio.ensure_future(self._read(self._ws))
        self._call(go())
        return self.wait(lambda f: f["type"] == "hello")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for raw in ws:
            if raw.type is not aiohttp.WSMsgType.TEXT:
                break
            self.inbox.add(raw.json())
        self.inbox.add({"type": "closed"})

    def send(self, frame: Frame) -> None:
        assert self._ws is not None, "connect first"
        self._call(self._ws.send_json(frame))

    def send_raw(self, text: str) -> None:
        assert self._ws is not None, "connect first"
        self._call(self._ws.send_str(text))

    def say(self, room: str, text: str, files: list[str] | None = None) -> None:
        self.send({"type": "say", "room": room, "text": text, "files": files or []})

    @property
    def frames(self) -> list[Frame]:
        return list(self.inbox.items)

    def wait(self, predicate: Callable[[Frame], bool], timeout: float = 15, start: int = 0) -> Frame:
        return self.inbox.wait(predicate, timeout, start)

    def message(self, room: str, fragment: str, timeout: float = 15) -> Frame:
        """The first message in ``room`` whose text holds ``fragment``."""
        def found(f: Frame) -> list[Frame]:
            listed = [f] if f["type"] == "message" else f["messages"] if f["type"] == "history" else []
            return [m for m in listed if m["room"] == room and fragment in m["text"]]

        return found(self.wait(lambda f: bool(found(f)), timeout))[0]

    def mark(self) -> int:
        return len(self.inbox)

    def close(self) -> None:
        async def go() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._reader is not None:
                await self._reader
            await self._session.close()
        self._call(go())
        self._thread.stop()


def first_admin(process: Any, password: str = OWN_PASSWORD) -> TeamMember:
    """The first admin of a running Open Lines (``OpenLinesProcess``), signed in; not connected yet."""
    admin = TeamMember(process.port)
    admin.sign_in_first(process, password)
    return admin
