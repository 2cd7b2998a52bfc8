"""The website chat's HTTP side: the page, widget.js, unknown widgets and the Origin check."""
from __future__ import annotations

import aiohttp
import pytest



async def test_page_is_html(session, base_url):
    async with session.get(f"{base_url}/webchat/support/") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        assert '<script src="page.js">' in await resp.text()
    async with session.get(f"{base_url}/webchat/support/page.js") as resp:
        assert resp.status == 200
        assert "here('ws')" in await resp.text()  # the page opens its own socket


async def test_widget_js_is_javascript(session, base_url):
    async with session.get(f"{base_url}/webchat/support/widget.js") as resp:
        assert resp.status == 200
        assert resp.content_type in ("application/javascript", "text/javascript")
        assert "OpenLinesWidget" in await resp.text()


@pytest.mark.parametrize("path", ["/webchat/nope/", "/webchat/nope/widget.js"])
async def test_unknown_widget_page_and_script_are_404(session, base_url, path):
    async with session.get(base_url + path) as resp:
        assert resp.status == 404


async def test_unknown_widget_socket_is_404(connect):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect("nope")
    assert refused.value.status == 404


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example", "http://127.0.0.1:1", "null"])
async def test_foreign_origin_is_refused_at_the_handshake(connect, origin):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(headers={"Origin": origin})
    assert refused.value.status == 403


async def test_same_host_origin_is_allowed(connect, runtime):
    tab = await connect(headers={"Origin": f"http://127.0.0.1:{runtime.http_port}"})
    welcome, _ = await tab.hello()
    assert welcome["visitor_token"]


async def test_no_origin_header_is_allowed(connect):
    # aiohttp's client sends no Origin unless given one: a non-browser client.
    tab = await connect()
    assert "Origin" not in tab.ws._response.request_info.headers
    welcome, _ = await tab.hello()
    assert welcome["visitor_token"]


async def test_the_socket_declines_deflate_a_browser_offers_and_still_speaks_the_protocol(connect):
    # Browsers offer permessage-deflate; its zlib state cost ~100 KB of server memory per open chat.
    tab = await connect(compress=15)
    assert tab.ws.compress == 0  # the handshake's answer: no extension taken up
    await tab.hello()
    ack = await tab.say("hello without deflate")
    assert ack["type"] == "ack" and ack["seq"] > 0
