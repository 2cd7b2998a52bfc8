"""The security review's webchat findings, one test each: Origin, headers, tokens per widget, expiry, forgetting."""
from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest

from backends.webchat.tokens import DAY, ref_of
from bridge.model import ChannelBinding

PORT = "{port}"


async def _refused(connect, **kwargs) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(**kwargs)
    return refused.value.status


@pytest.mark.parametrize("origin", [
    "https://127.0.0.1:{port}", "ws://127.0.0.1:{port}", "javascript://127.0.0.1:{port}",  # another scheme
    "HTTP://127.0.0.1:{port}", "http://127.0.0.1:{port}/", "http://127.0.0.1:{port}/chat",  # not as browsers send
    "http://127.0.0.1:{port}.evil.example", "http://user@127.0.0.1:{port}",
])
async def test_origins_that_only_look_like_the_server_are_refused(connect, runtime, origin):
    assert await _refused(connect, headers={"Origin": origin.format(port=runtime.http_port)}) == 403


async def test_the_host_header_is_never_trusted(connect):
    # A DNS-rebinding page: its Origin and the Host it sends both name the attacker's site.
    status = await _refused(connect, headers={"Origin": "http://evil.example:8080", "Host": "evil.example:8080"})
    assert status == 403


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_servers_own_address_is_allowed(connect, runtime, host):
    tab = await connect(headers={"Origin": f"http://{host}:{runtime.http_port}"})
    welcome, _ = await tab.hello()
    assert welcome["visitor_token"]


async def test_the_public_url_and_allowed_origins_are_compared_by_scheme_host_and_port(make_runtime, session):
    runtime = make_runtime(public_url="https://chat.example")
    await _set_widget(runtime, allowed_origins=["https://shop.example"])
    url = f"http://127.0.0.1:{runtime.http_port}/webchat/support/ws"
    for good in ("https://chat.example", "https://chat.example:443", "https://shop.example"):
        ws = await session.ws_connect(url, headers={"Origin": good})
        await ws.close()
    for bad in ("http://chat.example", "https://chat.example:8443", "http://shop.example", "https://shop.example.evil"):
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url, headers={"Origin": bad})


async def test_the_page_sends_the_web_security_headers(session, base_url):
    async with session.get(f"{base_url}/webchat/support/") as resp:
        policy = resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'self'" in policy and "default-src 'none'" in policy
    for asset in ("page.js", "page.css", "i18n.js", "markdown.js", "widget.js"):
        async with session.get(f"{base_url}/webchat/support/{asset}") as resp:
            assert resp.status == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_frame_ancestors_are_the_widgets_allowed_origins(runtime, session, base_url):
    await _set_widget(runtime, allowed_origins=["https://shop.example", "https://blog.example:8443"])
    async with session.get(f"{base_url}/webchat/support/") as resp:
        policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example https://blog.example:8443" in policy


async def test_a_404_does_not_echo_what_was_asked(session, base_url):
    async with session.get(f"{base_url}/webchat/%3Cscript%3Ealert(1)%3C%2Fscript%3E/") as resp:
        assert resp.status == 404
        assert "script" not in await resp.text()


async def test_a_token_is_a_new_visitor_at_another_widget(runtime, connect):
    await runtime.run(runtime.app.services.directory.put_binding(ChannelBinding(
        line_id="support", kind="webchat", key="sales", label="Website chat", settings={"widget": "sales"})))
    tab = await connect()
    await tab.hello()
    await tab.say("my address is 1 Main St")
    elsewhere = await connect("sales")
    welcome, history = await elsewhere.hello(tab.token, last_seq=0)
    assert welcome["visitor_token"] != tab.token and history["messages"] == []
    assert ref_of(welcome["visitor_token"]) != ref_of(tab.token)


async def test_a_token_unused_for_months_opens_nothing(runtime, connect):
    tab = await connect()
    await tab.hello()
    await tab.say("private")
    state = runtime.app.journal.state
    ref = ref_of(tab.token)
    old = await runtime.run(state.get("webchat:support", ref))
    await runtime.run(state.put("webchat:support", ref, {**old, "seen": old["seen"] - 91 * DAY}))
    welcome, history = await (await connect()).hello(tab.token, last_seq=0)
    assert welcome["visitor_token"] != tab.token and history["messages"] == []


async def test_forget_this_chat_revokes_the_token(connect):
    tab = await connect()
    await tab.hello()
    await tab.say("my card ends with 4242")
    other_tab = await connect()
    await other_tab.hello(tab.token)
    await tab.send(type="forget")
    assert (await tab.expect("forgotten"))["type"] == "forgotten"
    await other_tab.expect("forgotten")
    welcome, history = await (await connect()).hello(tab.token, last_seq=0)
    assert welcome["visitor_token"] != tab.token and history["messages"] == []


async def _set_widget(runtime, **settings) -> None:
    directory = runtime.app.services.directory
    binding = directory.binding("webchat:support")
    await runtime.run(directory.put_binding(replace(binding, settings={**binding.settings, **settings})))
