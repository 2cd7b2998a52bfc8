"""Fetching platforms' files: the platform's own host or public addresses only, on every redirect."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from backends.platform_files import FileFetcher, public
from tests.channels.channel import internal_service
from tests.support.loopback import serve


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fd00:ec2::254", "fe80::1",
                                     "::ffff:127.0.0.1", "224.0.0.1", "192.0.2.1"])
def test_inside_addresses_are_not_public(address):
    assert not public(address)


def test_public_addresses_are():
    assert public("93.184.216.34") and public("2606:2800:220:1:248:1893:25c8:1946")


@pytest.fixture
async def platform():
    """The platform's configured API root (on 127.0.0.1, like every fake), which redirects as told."""
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def file(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * int(request.query.get("size", "10")), content_type="image/png")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=b"late")

    runner, url = await serve([web.get("/redirect", redirect), web.get("/file", file), web.get("/slow", slow)])
    yield url
    await runner.cleanup()


async def test_the_platforms_own_host_is_fetched_even_on_loopback(platform):
    fetcher = FileFetcher("Test", own=(platform + "/api",))
    try:
        assert await fetcher.fetch(f"{platform}/file", 100, 5) == (b"x" * 10, "image/png")
        assert await fetcher.fetch(f"{platform}/redirect?to=/file", 100, 5) is not None  # to itself: fine
        assert await fetcher.fetch(f"{platform}/file?size=101", 100, 5) is None  # over the size limit
        assert await fetcher.fetch(f"{platform}/slow", 100, 0.3) is None  # over the time limit
    finally:
        await fetcher.close()


async def test_a_redirect_inside_our_network_is_refused(platform):
    fetcher = FileFetcher("Test", own=(platform,))
    try:
        async with internal_service() as (internal, asked):
            port = internal.rsplit(":", 1)[1]
            for inside in (f"{internal}/secret", f"http://localhost:{port}/secret", f"http://[::1]:{port}/secret",
                           f"http://[::ffff:127.0.0.1]:{port}/secret", f"http://2130706433:{port}/secret"):
                assert await fetcher.fetch(f"{platform}/redirect?to={inside}", 100, 5) is None
                assert await fetcher.fetch(inside, 100, 5) is None
            assert await fetcher.fetch("file:///etc/passwd", 100, 5) is None
            assert asked == []
    finally:
        await fetcher.close()
