"""The chat page and the widget in a real headless Chromium against the real runtime."""
from __future__ import annotations

from aiohttp import web

from tests.browser.cdp import Browser

TEXTS = "document.getElementById('ol-list').innerText"


async def _type_and_send(browser: Browser, text: str) -> None:
    await browser.js(f"""(() => {{
        const box = document.getElementById('ol-text');
        box.value = {text!r};
        box.dispatchEvent(new Event('input', {{bubbles: true}}));
        document.getElementById('ol-send').click();
    }})()""")


async def test_a_visitor_chats_with_an_operator_and_a_reload_resumes(runtime, browser):
    url = f"http://127.0.0.1:{runtime.http_port}/webchat/support/"
    await browser.goto(url)
    await browser.wait_for("document.getElementById('ol-status').dataset.state === 'online'")
    await _type_and_send(browser, "Hello from Chromium")

    await browser.wait_for(f"{TEXTS}.includes('an operator will answer you shortly')")
    assert "Hello from Chromium" in runtime.team.customer_texts()
    await runtime.run(runtime.app.actions.reply("1", "alice", "Hi! How can I help?"))
    await browser.wait_for(f"{TEXTS}.includes('Hi! How can I help?')")

    await browser.goto(url)  # a reload: the same visitor, the same conversation
    await browser.wait_for(f"{TEXTS}.includes('Hi! How can I help?')")
    texts = await browser.js(TEXTS)
    assert texts.count("Hello from Chromium") == 1
    assert await browser.js("localStorage.getItem('openlines:support:token') !== null")


async def test_the_widget_embeds_the_chat_on_another_site(runtime, browser):
    host_page = (f'<html><body><h1>Shop</h1><script src="http://127.0.0.1:{runtime.http_port}'
                 f'/webchat/support/widget.js" async></script></body></html>')
    async def shop(request: web.Request) -> web.Response:
        return web.Response(text=host_page, content_type="text/html")

    app = web.Application()
    app.add_routes([web.get("/", shop)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await browser.goto(f"http://127.0.0.1:{runner.addresses[0][1]}/")
        await browser.wait_for("window.OpenLinesWidget !== undefined")
        await browser.js("window.OpenLinesWidget.open()")
        src = await browser.wait_for("""(() => {
            const host = document.querySelector('[id^="openlines"], [class^="openlines"]');
            const root = host && host.shadowRoot ? host.shadowRoot : document;
            const frame = root.querySelector('iframe');
            return frame ? frame.src : null;
        })()""")
        assert src.startswith(f"http://127.0.0.1:{runtime.http_port}/webchat/support/")
    finally:
        await runner.cleanup()
