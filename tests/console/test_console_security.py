"""The console's gates over real HTTP: sign-in, sessions, origins, throttling, and the accounts file."""
from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backends.team.console.accounts import SESSION_IDLE, SESSION_MAX, AccountError, Accounts
from backends.team.console.guard import FREE_FAILURES, Throttle, allowed_origins
from backends.team.console.web import COOKIE, ConsoleWeb
from tests.console.conftest import Clock


@pytest.fixture
async def console(accounts: Accounts, clock: Clock):
    async def serve(ws: web.WebSocketResponse, session) -> None:
        await ws.send_json({"type": "hello", "login": session.login})
        await ws.close()

    site = ConsoleWeb(accounts, serve, lambda: None, public_url="", http_host="127.0.0.1", throttle=Throttle(clock))
    app = web.Application()
    app.add_routes(site.routes())
    client = TestClient(TestServer(app, host="127.0.0.1"), cookie_jar=aiohttp.CookieJar(unsafe=True))
    await client.start_server()
    client.origin = f"http://127.0.0.1:{client.port}"  # type: ignore[attr-defined]
    yield client
    await client.close()


async def _sign_in(client, login: str, password: str, origin: str | None = None) -> aiohttp.ClientResponse:
    return await client.post("/team/signin", json={"login": login, "password": password},
                             headers={"Origin": origin or client.origin})


async def _ready(accounts: Accounts, login: str = "ann", password: str = "ann's long password") -> str:
    await asyncio.to_thread(accounts.invite, login)
    await asyncio.to_thread(accounts.set_password, login, password)
    return password


async def test_a_wrong_password_or_login_is_refused(console, accounts):
    password = await _ready(accounts)
    assert (await _sign_in(console, "ann", "wrong")).status == 401
    assert (await _sign_in(console, "nobody", password)).status == 401
    ok = await _sign_in(console, "ann", password)
    assert ok.status == 200
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/team" in cookie
    assert (await console.get("/team/me")).status == 200


async def test_repeated_failures_slow_down_even_the_right_password(console, accounts, clock):
    password = await _ready(accounts)
    for _ in range(FREE_FAILURES):
        assert (await _sign_in(console, "ann", "guess")).status == 401
    slowed = await _sign_in(console, "ann", password)
    assert slowed.status == 429 and int(slowed.headers["Retry-After"]) >= 1
    clock.now += 2  # the wait doubles with each further failure: after it, the right password works again
    assert (await _sign_in(console, "ann", password)).status == 200


async def test_a_cross_origin_form_post_or_socket_is_refused(console, accounts):
    password = await _ready(accounts)
    assert (await _sign_in(console, "ann", password, origin="http://evil.example")).status == 403
    assert (await console.post("/team/signin", json={"login": "ann", "password": password})).status == 403  # none
    assert (await _sign_in(console, "ann", password)).status == 200
    for path in ("/team/signout", "/team/password", "/team/upload"):
        assert (await console.post(path, data=b"{}", headers={"Origin": "https://evil.example"})).status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await console.ws_connect("/team/ws", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403
    ws = await console.ws_connect("/team/ws", headers={"Origin": console.origin})
    assert (await ws.receive_json())["login"] == "ann"
    await ws.close()


async def test_expired_and_revoked_sessions_are_refused(console, accounts, clock):
    password = await _ready(accounts)
    assert (await _sign_in(console, "ann", password)).status == 200
    clock.now += SESSION_IDLE + 1
    assert (await console.get("/team/me")).status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await console.ws_connect("/team/ws", headers={"Origin": console.origin})

    assert (await _sign_in(console, "ann", password)).status == 200
    for _ in range(int(SESSION_MAX // SESSION_IDLE) + 1):  # in use all along, yet it ends after SESSION_MAX
        clock.now += SESSION_IDLE - 60
        (await console.get("/team/me")).close()
    assert (await console.get("/team/me")).status == 401

    assert (await _sign_in(console, "ann", password)).status == 200
    assert await asyncio.to_thread(accounts.revoke_all, "ann") >= 1
    assert (await console.get("/team/me")).status == 401


async def test_a_sign_in_link_works_once_and_then_a_password_must_be_chosen(console, accounts, clock):
    token = await asyncio.to_thread(accounts.invite, "kim", "Kim")
    redeem = await console.post("/team/redeem", json={"token": token}, headers={"Origin": console.origin})
    assert redeem.status == 200 and (await redeem.json())["must_change"] is True
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await console.ws_connect("/team/ws", headers={"Origin": console.origin})
    assert refused.value.status == 403
    again = await console.post("/team/redeem", json={"token": token}, headers={"Origin": console.origin})
    assert again.status == 401
    late = await asyncio.to_thread(accounts.invite, "lee")
    clock.now += 2 * 24 * 3600
    assert await asyncio.to_thread(accounts.redeem, late) is None


async def test_no_session_no_console(console):
    assert (await console.get("/team/me")).status == 401
    assert (await console.get("/team/")).status == 200  # the page itself: it shows the sign-in form
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await console.ws_connect("/team/ws", headers={"Origin": console.origin})
    assert refused.value.status == 401
    forged = {COOKIE: "made-up"}
    assert (await console.get("/team/me", cookies=forged)).status == 401


def test_accounts_keep_only_hashes_in_a_private_file(tmp_path: Path):
    path = tmp_path / "console.sqlite3"
    store = Accounts(str(path))
    try:
        password = store.create_with_password("operator", "operator")
        token = store.invite("kim")
        session = store.sign_in("operator", password)
        assert session is not None
        raw = path.read_bytes()
        for secret in (password, token, session):
            assert secret.encode() not in raw
        assert path.stat().st_mode & 0o777 == 0o600
        with pytest.raises(AccountError):
            store.set_password("operator", "short")
        with pytest.raises(AccountError):
            store.invite("../etc")
    finally:
        store.close()


def test_origins_are_compared_by_scheme_host_and_port():
    assert allowed_origins("https://chat.example.com/", "0.0.0.0", 8080) == frozenset({"https://chat.example.com"})
    local = allowed_origins("", "127.0.0.1", 8080)
    assert "http://127.0.0.1:8080" in local and "http://localhost:8080" in local
    assert "https://127.0.0.1:8080" not in local and "http://127.0.0.1:8081" not in local
