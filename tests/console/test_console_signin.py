"""Signing in under attack, over real HTTP: the one-time password, password changes, the throttle."""
from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backends.team.console.accounts import FIRST_PASSWORD_TTL, Accounts
from backends.team.console.guard import Busy, PasswordChecks, Throttle, address_key
from backends.team.console.web import ConsoleWeb
from tests.console.conftest import Clock

PASSWORD = "ann's long password"


@pytest.fixture
async def site(accounts: Accounts, clock: Clock):
    """The console's HTTP side, whose pages stay open until the server closes them (the throttle's
    clock stands still: a slow machine lets no wait run out)."""
    async def serve(ws: web.WebSocketResponse, session) -> None:
        await ws.send_json({"type": "hello", "login": session.login})
        async for _ in ws:
            pass

    console = ConsoleWeb(accounts, serve, lambda: None, public_url="", http_host="127.0.0.1", throttle=Throttle(clock))
    app = web.Application()
    app.add_routes(console.routes())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def _browser(server: TestServer, source: str = "127.0.0.1") -> aiohttp.ClientSession:
    """Someone's browser, from the address ``source`` (any 127.0.0.0/8 address reaches the server)."""
    return aiohttp.ClientSession(f"http://127.0.0.1:{server.port}",
                                 headers={"Origin": f"http://127.0.0.1:{server.port}"},
                                 cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 connector=aiohttp.TCPConnector(local_addr=(source, 0)))


async def _sign_in(browser: aiohttp.ClientSession, login: str, password: str) -> int:
    async with browser.post("/team/signin", json={"login": login, "password": password}) as r:
        return r.status


async def _me(browser: aiohttp.ClientSession) -> tuple[int, dict | None]:
    async with browser.get("/team/me") as r:
        return r.status, await r.json() if r.status == 200 else None


async def test_the_first_password_signs_in_once_and_choosing_one_upgrades_only_that_session(site, accounts):
    first = await asyncio.to_thread(accounts.create_with_password, "operator", "operator")
    async with _browser(site) as admin, _browser(site) as spy:
        assert await _sign_in(spy, "operator", first) == 200  # whoever glimpsed the terminal came first...
        assert await _sign_in(admin, "operator", first) == 401  # ...so the one-time password is spent
        assert await _sign_in(spy, "operator", first) == 401
        # The admin resets it from the terminal (a link), and chooses a password.
        link = await asyncio.to_thread(accounts.invite, "operator")
        async with admin.post("/team/redeem", json={"token": link}) as r:
            assert r.status == 200
        async with admin.post("/team/password", json={"password": PASSWORD}) as r:
            assert r.status == 200
        assert (await _me(admin))[1]["must_change"] is False
        assert (await _me(spy))[0] == 401  # the spy's session ended: it did not become an admin's


async def test_the_first_password_expires(accounts, clock):
    first = await asyncio.to_thread(accounts.create_with_password, "operator", "operator")
    clock.now += FIRST_PASSWORD_TTL + 1
    assert await asyncio.to_thread(accounts.sign_in, "operator", first) is None


async def test_a_password_change_ends_every_other_session_and_closes_its_pages(site, accounts):
    await asyncio.to_thread(accounts.invite, "ann")
    await asyncio.to_thread(accounts.set_password, "ann", PASSWORD)
    async with _browser(site) as laptop, _browser(site) as stolen:
        assert await _sign_in(laptop, "ann", PASSWORD) == 200
        assert await _sign_in(stolen, "ann", PASSWORD) == 200
        page = await stolen.ws_connect("/team/ws")
        assert (await page.receive_json())["type"] == "hello"
        mine = await laptop.ws_connect("/team/ws")
        await mine.receive_json()
        async with laptop.post("/team/password", json={"password": "ann's new long password"}) as r:
            assert r.status == 200
        closed = await asyncio.wait_for(page.receive(), 5)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4401
        assert (await _me(stolen))[0] == 401
        assert (await _me(laptop))[0] == 200 and not mine.closed  # the page that changed it stays
        await mine.close()
        await page.close()


async def test_a_burst_of_wrong_passwords_is_counted_before_it_is_hashed(site, accounts):
    await asyncio.to_thread(accounts.invite, "ann")
    await asyncio.to_thread(accounts.set_password, "ann", PASSWORD)
    async with _browser(site) as attacker:
        statuses = await asyncio.gather(*[_sign_in(attacker, "ann", f"guess {n}") for n in range(1000)])
    assert statuses.count(429) == 995 and statuses.count(401) == 5, {s: statuses.count(s) for s in set(statuses)}


async def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(site, accounts):
    await asyncio.to_thread(accounts.invite, "ann")
    await asyncio.to_thread(accounts.set_password, "ann", PASSWORD)
    async with _browser(site, "127.0.0.2") as attacker, _browser(site, "127.0.0.1") as owner:
        for n in range(8):
            assert await _sign_in(attacker, "ann", f"guess {n}") in (401, 429)
        assert await _sign_in(attacker, "ann", PASSWORD) == 429  # the attacker's address waits
        assert await _sign_in(owner, "ann", PASSWORD) == 200


def test_the_throttle_counts_an_ipv6_64_as_one_address():
    clock = Clock()
    throttle = Throttle(clock)
    for n in range(5):
        assert throttle.attempt(f"2001:db8:1:2::{n + 1:x}", "ann")[0] == 0
    assert throttle.attempt("2001:db8:1:2:ffff::9", "ann")[0] > 0  # another address of the same /64
    assert throttle.attempt("2001:db8:1:3::1", "ann")[0] == 0  # another /64 that never failed on ann
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"


async def test_password_checks_have_their_own_threads_and_a_bounded_queue():
    checks = PasswordChecks(threads=2, queue=3)
    release = threading.Event()
    names: list[str] = []

    def slow() -> None:
        names.append(threading.current_thread().name)
        release.wait(5)

    try:
        running = [asyncio.ensure_future(checks.run(slow)) for _ in range(5)]
        await asyncio.sleep(0.2)
        with pytest.raises(Busy):  # two running, three queued: the sixth is refused at once
            await checks.run(slow)
        started = time.monotonic()
        await asyncio.to_thread(lambda: None)  # asyncio's own pool is free meanwhile
        assert time.monotonic() - started < 1
        release.set()
        await asyncio.gather(*running)
        assert all(n.startswith("openlines-scrypt") for n in names)
    finally:
        release.set()
        checks.close()


async def test_a_full_queue_answers_503_with_retry_after(accounts):
    await asyncio.to_thread(accounts.invite, "ann")
    await asyncio.to_thread(accounts.set_password, "ann", PASSWORD)
    checks = PasswordChecks(threads=1, queue=0)
    console = ConsoleWeb(accounts, lambda ws, s: asyncio.sleep(0), lambda: None, public_url="",
                         http_host="127.0.0.1", checks=checks)
    app = web.Application()
    app.add_routes(console.routes())
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    release = threading.Event()
    try:
        taken = asyncio.ensure_future(checks.run(release.wait, 5))  # the one thread is busy
        await asyncio.sleep(0.05)
        origin = {"Origin": f"http://127.0.0.1:{client.port}"}
        busy = await client.post("/team/signin", json={"login": "ann", "password": PASSWORD}, headers=origin)
        assert busy.status == 503 and busy.headers["Retry-After"] == "2"
        release.set()
        await taken
        ok = await client.post("/team/signin", json={"login": "ann", "password": PASSWORD}, headers=origin)
        assert ok.status == 200  # the refused attempt was not counted as a failure
    finally:
        release.set()
        await client.close()
        checks.close()


async def test_a_dropped_request_keeps_its_place_until_its_hash_is_done():
    checks = PasswordChecks(threads=1, queue=1)
    release = threading.Event()
    try:
        running = asyncio.ensure_future(checks.run(release.wait, 5))
        queued = asyncio.ensure_future(checks.run(release.wait, 5))
        await asyncio.sleep(0.1)
        running.cancel()  # the asker went away: its hash still runs on the thread
        await asyncio.sleep(0.1)
        with pytest.raises(Busy):
            await checks.run(lambda: None)
        queued.cancel()  # not started: taken off the queue, its place is free at once
        await asyncio.sleep(0.1)
        later = asyncio.ensure_future(checks.run(lambda: 42))
        await asyncio.sleep(0.1)
        with pytest.raises(Busy):  # the running one still holds the thread, the later one the queue
            await checks.run(lambda: None)
        release.set()
        assert await later == 42
    finally:
        release.set()
        checks.close()
