"""The shared HTTP server's guards: header timeout, connections per address, accept errors, open files."""
from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import time
from pathlib import Path

import aiohttp
import pytest

from runtime.http_guard import AcceptErrorLog, raise_open_files_limit
from tests.support.process import OpenLinesProcess
from tests.support.runtime import Running
from tests.support.webchat import Tab

HALF_REQUEST = b"GET /webchat/support/ HTTP/1.1\r\nHost: x\r\nX-Slow: "


@pytest.fixture
def running(tmp_path: Path, request):
    made: list[Running] = []

    def make(**settings) -> Running:
        made.append(Running(tmp_path / f"data{len(made)}", **settings))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def _half_open(port: int, source: str = "127.0.0.2") -> socket.socket:
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(HALF_REQUEST)
    return s


def _closed_by_server(s: socket.socket, timeout: float) -> bool:
    s.settimeout(timeout)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


async def _chat(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        tab = Tab(await session.ws_connect(f"http://127.0.0.1:{port}/webchat/support/ws"))
        await tab.hello()
        await tab.say("still served")
        await tab.close()


def test_a_request_whose_headers_never_end_is_closed(running):
    runtime = running(header_timeout=1)
    s = _half_open(runtime.http_port)
    try:
        assert _closed_by_server(s, timeout=15)
    finally:
        s.close()


async def test_connections_over_an_addresses_share_are_closed_at_once_others_are_served(running):
    runtime = running(connections_per_ip=5)
    held = [_half_open(runtime.http_port) for _ in range(5)]
    extra = _half_open(runtime.http_port)
    try:
        assert _closed_by_server(extra, timeout=10)
        assert not _closed_by_server(held[0], timeout=0.2)  # the first ones are still served
        await _chat(runtime.http_port)  # another address is not affected
    finally:
        for s in [*held, extra]:
            s.close()


def test_accept_errors_are_logged_once_a_minute(caplog):
    now = [0.0]
    handler = AcceptErrorLog(clock=lambda: now[0])
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.ERROR, logger="runtime.http_guard"):
            for i in range(1000):
                now[0] = i * 0.01  # 1,000 failures in 10 s
                handler(loop, {"message": "socket.accept() out of system resource",
                               "exception": OSError(errno.EMFILE, "Too many open files")})
            now[0] = 61.0
            handler(loop, {"message": "again", "exception": OSError(errno.EMFILE, "Too many open files")})
    finally:
        loop.close()
    records = [r for r in caplog.records if r.name == "runtime.http_guard"]
    assert len(records) == 2 and not any(r.exc_info for r in records)
    assert "999 more" in records[1].getMessage()


def test_the_open_files_limit_is_raised_toward_the_hard_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        raised = raise_open_files_limit(4096)
        assert raised == min(4096, hard) == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_500_half_open_sockets_under_a_512_file_limit_do_not_lock_visitors_out(tmp_path):
    """The review's slowloris: 500 sockets from one address filled a 512-file process."""
    product = OpenLinesProcess(tmp_path / "data", open_files=512, OPENLINES_CONNECTIONS_PER_IP="100",
                               OPENLINES_HEADER_TIMEOUT="10")
    attack: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        for _ in range(500):
            try:
                attack.append(_half_open(product.port))
            except OSError:
                pass  # refused at once: that is the guard
            assert time.monotonic() < deadline
        assert product.health()["status"] == "ok"
        asyncio.run(_chat(product.port))
        log = (tmp_path / "data" / "errbot.log").read_text(errors="replace")
        assert "Too many open files" not in log
    finally:
        for s in attack:
            s.close()
        product.stop()
