"""The console's HTTP side under /team/: the page, signing in and out, uploads and the WebSocket.

Every state-changing request and the WebSocket must come from the console's
own origin; the session cookie is HttpOnly and SameSite=Strict.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from backends.team.console.accounts import SESSION_MAX, AccountError, Accounts, Session
from backends.team.console.guard import Busy, PasswordChecks, Throttle, allowed_origins
from bridge.errors import StorageFull

COOKIE = "openlines_team"
STATIC = Path(__file__).with_name("static")
ASSETS = {"app.js": "application/javascript", "render.js": "application/javascript",
          "outbox.js": "application/javascript", "app.css": "text/css"}
MAX_UPLOAD = 10 * 1024 ** 2
SESSION_CHECK = 60.0  # seconds between checks that an open page's session still holds
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
Serve = Callable[[web.WebSocketResponse, Session], Awaitable[None]]


class ConsoleWeb:
    def __init__(self, accounts: Accounts, serve: Serve, files: Callable[[], Any], *, public_url: str,
                 http_host: str, throttle: Throttle | None = None, checks: PasswordChecks | None = None) -> None:
        self.accounts, self.serve, self.files = accounts, serve, files
        self.public_url, self.http_host = public_url, http_host
        self.throttle = throttle or Throttle()
        self.checks = checks or PasswordChecks()
        self._pages: dict[str, set[tuple[str, web.WebSocketResponse]]] = {}  # login -> (session token, socket)
        self.port = 0  # known once the server listens
        self._assets = {name: (STATIC / name).read_bytes() for name in [*ASSETS, "index.html"]}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/team", self.to_page), web.get("/team/", self.page),
                web.get("/team/static/{name}", self.asset), web.get("/team/me", self.me),
                web.post("/team/signin", self.sign_in), web.post("/team/redeem", self.redeem),
                web.post("/team/password", self.password), web.post("/team/signout", self.sign_out),
                web.post("/team/upload", self.upload), web.get("/team/ws", self.socket)]

    # -- gates ---------------------------------------------------------------------------
    def check_origin(self, request: web.Request) -> None:
        port = request.transport.get_extra_info("sockname")[1] if request.transport else self.port
        if request.headers.get("Origin") not in allowed_origins(self.public_url, self.http_host, port):
            raise web.HTTPForbidden(text="this request must come from the team console's own page\n")

    async def session(self, request: web.Request, *, ready: bool = True) -> tuple[str, Session]:
        token = request.cookies.get(COOKIE, "")
        found = await asyncio.to_thread(self.accounts.session, token) if token else None
        if found is None:
            raise web.HTTPUnauthorized(text="sign in first\n")
        if ready and found.must_change:
            raise web.HTTPForbidden(text="choose your password first\n")
        return token, found

    def _signed_in(self, token: str, session_info: dict[str, Any]) -> web.Response:
        response = web.json_response(session_info, headers=HEADERS)
        response.set_cookie(COOKIE, token, max_age=int(SESSION_MAX), path="/team", httponly=True, samesite="Strict",
                            secure=self.public_url.startswith("https://"))
        return response

    # -- pages ----------------------------------------------------------------------------------
    async def to_page(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/team/")

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=self._assets["index.html"], content_type="text/html", charset="utf-8",
                            headers=HEADERS)

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound(text="no such file\n")
        return web.Response(body=self._assets[name], content_type=ASSETS[name], charset="utf-8", headers=HEADERS)

    async def me(self, request: web.Request) -> web.Response:
        _, found = await self.session(request, ready=False)
        return web.json_response({"login": found.login, "name": found.name, "must_change": found.must_change},
                                 headers=HEADERS)

    # -- signing in and out -----------------------------------------------------------------
    async def _json(self, request: web.Request) -> dict[str, Any]:
        self.check_origin(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="send a JSON object\n")
        return body

    async def _checked(self, keys: tuple[str, ...], work: Callable[..., Any], *args: Any) -> Any:
        """``work`` (a password hash) on the password threads; over their queue a 503."""
        try:
            return await self.checks.run(work, *args)
        except Busy:
            self.throttle.refund(keys)
            raise web.HTTPServiceUnavailable(text="too many sign-ins at once: try again in a moment\n",
                                             headers={"Retry-After": str(Busy.retry_after)}) from None

    async def sign_in(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        login, password = str(body.get("login", ""))[:64].strip().removeprefix("@"), str(body.get("password", ""))
        wait, keys = self.throttle.attempt(request.remote, login)
        if wait > 0:
            raise web.HTTPTooManyRequests(text=f"too many failed sign-ins: try again in {wait:.0f} s\n",
                                          headers={"Retry-After": str(int(wait) + 1)})
        token = await self._checked(keys, self.accounts.sign_in, login, password[:1024])
        if token is None:
            raise web.HTTPUnauthorized(text="wrong login or password\n")
        self.throttle.succeeded(keys)
        found = await asyncio.to_thread(self.accounts.session, token)
        assert found is not None
        return self._signed_in(token, {"login": found.login, "must_change": found.must_change})

    async def redeem(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        wait, keys = self.throttle.attempt(request.remote)
        if wait > 0:
            raise web.HTTPTooManyRequests(text="too many failed attempts\n",
                                          headers={"Retry-After": str(int(wait) + 1)})
        token = await asyncio.to_thread(self.accounts.redeem, str(body.get("token", ""))[:128])
        if token is None:
            raise web.HTTPUnauthorized(text="this sign-in link was used already or has expired: ask an admin "
                                            "for a new one\n")
        self.throttle.succeeded(keys)
        found = await asyncio.to_thread(self.accounts.session, token)
        assert found is not None
        return self._signed_in(token, {"login": found.login, "must_change": True})

    async def password(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        token, found = await self.session(request, ready=False)
        try:
            await self._checked((), self.accounts.set_password, found.login, str(body.get("password", ""))[:1024],
                                token)
        except AccountError as exc:
            raise web.HTTPBadRequest(text=f"{exc}\n") from None
        for other, ws in list(self._pages.get(found.login, ())):  # their sessions ended: their pages too
            if other != token:
                await ws.close(code=4401, message=b"session ended")
        return web.json_response({"login": found.login, "must_change": False}, headers=HEADERS)

    async def sign_out(self, request: web.Request) -> web.Response:
        self.check_origin(request)
        token = request.cookies.get(COOKIE, "")
        if token:
            await asyncio.to_thread(self.accounts.sign_out, token)
        response = web.json_response({"signed_out": True}, headers=HEADERS)
        response.del_cookie(COOKIE, path="/team")
        return response

    # -- working --------------------------------------------------------------------------------
    async def upload(self, request: web.Request) -> web.Response:
        self.check_origin(request)
        await self.session(request)
        files = self.files()
        if files is None:
            raise web.HTTPServiceUnavailable(text="Open Lines is starting: try again in a moment\n")
        data = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > MAX_UPLOAD:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=len(data))
        name = request.query.get("name", "file")[:200]
        try:
            attachment = await files.put(bytes(data), name, request.headers.get("Content-Type", ""))
        except StorageFull:
            raise web.HTTPInsufficientStorage(
                text="the server's disk is nearly full: files cannot be stored now\n") from None
        return web.json_response({"token": attachment.ref, "url": attachment.url, "name": attachment.name,
                                  "kind": attachment.kind, "size": attachment.size,
                                  "content_type": attachment.content_type}, headers=HEADERS)

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        self.check_origin(request)
        token, found = await self.session(request)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
        await ws.prepare(request)
        watch = asyncio.ensure_future(self._watch(token, ws))
        page = (token, ws)
        self._pages.setdefault(found.login, set()).add(page)
        try:
            await self.serve(ws, found)
        finally:
            watch.cancel()
            pages = self._pages.get(found.login, set())
            pages.discard(page)
            if not pages:
                self._pages.pop(found.login, None)
        return ws

    async def _watch(self, token: str, ws: web.WebSocketResponse) -> None:
        """An open page ends with its session (expired or revoked), not only when it reconnects."""
        while not ws.closed:
            await asyncio.sleep(SESSION_CHECK)
            if await asyncio.to_thread(self.accounts.session, token) is None:
                await ws.close(code=4401, message=b"session ended")
