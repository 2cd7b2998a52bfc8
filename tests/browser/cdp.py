"""Headless Chromium driven over the DevTools protocol (no browser download needed)."""
from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-site-isolation-trials", "--hide-scrollbars", "--window-size=480,720"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class Browser:
    """One headless Chromium with one page."""

    def __init__(self, *flags: str) -> None:
        self._port = _free_port()
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)  # Chromium helpers linger
        self._process = subprocess.Popen(
            [chromium_path(), *FLAGS, *flags, f"--user-data-dir={self._profile.name}",
             f"--remote-debugging-port={self._port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def open(self) -> None:
        self._session = aiohttp.ClientSession()
        deadline = time.monotonic() + 20
        while True:
            try:
                async with self._session.get(f"http://127.0.0.1:{self._port}/json") as response:
                    pages = [t for t in await response.json() if t["type"] == "page"]
                    break
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        self._ws = await self._session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.command("Page.enable")

    async def command(self, method: str, **params: Any) -> dict:
        self._id += 1
        await self._ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            reply = await self._ws.receive_json(timeout=20)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def goto(self, url: str) -> None:
        await self.command("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def js(self, expression: str) -> Any:
        result = await self.command("Runtime.evaluate", expression=expression, awaitPromise=True,
                                    returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def frame_js(self, url_part: str, expression: str) -> Any:
        """Evaluate in the (same-process) frame whose URL contains ``url_part``: an isolated world
        that shares the frame's DOM, so clicks and input events reach the frame's own script."""
        tree = (await self.command("Page.getFrameTree"))["frameTree"]
        frames = [child["frame"] for child in tree.get("childFrames", []) if url_part in child["frame"]["url"]]
        if not frames:
            return None
        world = await self.command("Page.createIsolatedWorld", frameId=frames[0]["id"], worldName="tests")
        result = await self.command("Runtime.evaluate", expression=expression, awaitPromise=True,
                                    returnByValue=True, contextId=world["executionContextId"])
        if "exceptionDetails" in result:
            raise AssertionError(f"frame error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def set_files(self, selector: str, *paths: Path) -> None:
        root = await self.command("DOM.getDocument")
        node = await self.command("DOM.querySelector", nodeId=root["root"]["nodeId"], selector=selector)
        await self.command("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(p) for p in paths])

    async def screenshot(self, path: Path) -> None:
        shot = await self.command("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    async def wait_for(self, expression: str, timeout: float = 10, frame: str | None = None) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = await (self.frame_js(frame, expression) if frame else self.js(expression))
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"never true: {expression}")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        self._process.terminate()
        self._process.wait(10)
        self._profile.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
