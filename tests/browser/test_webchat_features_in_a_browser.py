"""The chat customers like, in a real headless Chromium against the real runtime.

Each test also writes a screenshot of what it checked (OPENLINES_SCREENSHOTS, see tests/browser/conftest.py).
"""
from __future__ import annotations

import asyncio
import json
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.artifacts import screenshots_dir
from tests.browser.cdp import Browser
from tests.support.runtime import OPERATOR, Running

ROOT = Path(__file__).resolve().parents[2]
SHOTS = screenshots_dir()
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
TEXTS = "document.getElementById('ol-list').innerText"
ONLINE = "document.getElementById('ol-status').dataset.state === 'online'"


def chat_url(runtime: Running) -> str:
    return f"http://127.0.0.1:{runtime.http_port}/webchat/support/"


async def type_and_send(browser: Browser, text: str, frame: str | None = None) -> None:
    script = f"""(() => {{
        const box = document.getElementById('ol-text');
        box.value = {json.dumps(text)};
        box.dispatchEvent(new Event('input', {{bubbles: true}}));
        document.getElementById('ol-send').click();
        return true;
    }})()"""
    await (browser.frame_js(frame, script) if frame else browser.js(script))


async def set_line(runtime: Running, **settings) -> None:
    directory = runtime.app.services.directory
    line = directory.line("support")
    directory.put_line(replace(line, settings=replace(line.settings, **settings)))


async def set_widget(runtime: Running, **settings) -> None:
    directory = runtime.app.services.directory
    binding = directory.binding("webchat:support")
    await runtime.run(directory.put_binding(replace(binding, settings={**binding.settings, **settings})))


async def axe_violations(browser: Browser) -> list[dict]:
    """axe-core (from the npm registry) injected into the page: serious and critical violations."""
    await browser.js(AXE.read_text())
    result = await browser.js("axe.run(document, {resultTypes: ['violations']})"
                              ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
                              " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))")
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def start_chat(runtime: Running, browser: Browser, text: str = "Hello, I have a question") -> str:
    await browser.goto(chat_url(runtime))
    await browser.wait_for(ONLINE)
    await type_and_send(browser, text)
    await browser.wait_for(f"{TEXTS}.includes('an operator will answer you shortly')")
    return "1"


async def test_typing_names_markdown_and_read_receipts(runtime, browser):
    cid = await start_chat(runtime, browser)
    await runtime.run(runtime.app.actions.answer(cid, OPERATOR))
    await browser.wait_for(f"{TEXTS}.includes('Alice joined the conversation')")
    conversation = await runtime.run(runtime.app.journal.conversations.conversation(cid))
    await runtime.run(runtime.app.services.core.signal(conversation, "typing", on=True, author="Alice Martin"))
    await browser.wait_for("!document.getElementById('ol-typing').hidden && "
                           "document.getElementById('ol-typing').innerText.includes('Alice Martin is typing')")
    await runtime.run(runtime.app.actions.reply(
        cid, OPERATOR, "Sure! Your order is **on its way**:\n- tracking: `FR123`\n- details: [your order](https://shop.example/o/1)\n<img src=x onerror=alert(1)>",
        name="Alice Martin"))
    await browser.wait_for("document.querySelector('.ol-agent strong') !== null")
    assert await browser.js("document.querySelector('.ol-agent strong').textContent") == "on its way"
    assert await browser.js("document.querySelector('.ol-agent code').textContent") == "FR123"
    assert await browser.js("document.querySelector('.ol-agent a').href") == "https://shop.example/o/1"
    assert await browser.js("document.querySelectorAll('.ol-bubble img').length") == 0  # text, not markup
    assert "Alice Martin" in await browser.js(TEXTS)
    await browser.wait_for("document.querySelector('.ol-seen') !== null")  # the reply means they read it
    await browser.screenshot(SHOTS / "chat-conversation.png")
    assert await axe_violations(browser) == []


async def test_a_file_is_sent_and_shown_on_both_sides(runtime, browser, tmp_path):
    await start_chat(runtime, browser)
    picture = tmp_path / "receipt.png"
    picture.write_bytes(_png(48, 32))
    await browser.set_files("#ol-file", picture)
    await browser.wait_for("document.querySelector('.ol-me img[alt=\"receipt.png\"]') !== null"
                           " && !document.querySelector('.ol-pending')")
    runtime.team.wait_for(lambda team: any("receipt.png" in r for r in team.rendered("support-1")))
    order = tmp_path / "order.pdf"  # a file alone, no text: its own chip must be readable
    order.write_bytes(b"%PDF-1.4 order")
    await browser.set_files("#ol-file", order)
    await browser.wait_for("document.querySelector('.ol-me .ol-file') !== null && !document.querySelector('.ol-pending')")
    assert await browser.js(_CONTRAST.replace("SELECTOR", ".ol-me .ol-file")) >= 4.5
    store = runtime.app.host.files
    attachment = await runtime.run(store.put(b"%PDF-1.4 invoice", "invoice.pdf", "application/pdf"))
    await runtime.run(runtime.app.actions.reply("1", OPERATOR, "Here is your invoice", attachments=(attachment,)))
    await browser.wait_for("[...document.querySelectorAll('.ol-agent .ol-file')]"
                           ".some(a => a.textContent.includes('invoice.pdf'))")
    await browser.screenshot(SHOTS / "chat-files.png")


async def test_the_end_screen_and_a_rating(runtime, browser):
    await set_line(runtime, ratings="on")
    cid = await start_chat(runtime, browser)
    await runtime.run(runtime.app.actions.reply(cid, OPERATOR, "Glad I could help!"))
    await runtime.run(runtime.app.actions.close(cid, OPERATOR))
    await browser.wait_for("!document.getElementById('ol-end').hidden && !document.getElementById('ol-rating').hidden")
    assert "Conversation ended" in await browser.js("document.querySelector('.ol-divider').textContent")
    await browser.screenshot(SHOTS / "chat-end-rating.png")
    assert await axe_violations(browser) == []
    await browser.js("document.getElementById('ol-rate-good').click()")
    await browser.wait_for("document.getElementById('ol-end-text').textContent.includes('Thank you')")
    conversation = await runtime.run(runtime.app.journal.conversations.conversation(cid))
    assert conversation.customer_rating == "good"
    await browser.js("document.getElementById('ol-new').click()")
    await type_and_send(browser, "One more thing")
    await browser.wait_for("[...document.querySelectorAll('.ol-divider')].some(d => d.textContent === 'New conversation')")
    await browser.wait_for("!document.querySelector('.ol-pending')")
    assert await browser.js("document.getElementById('ol-end').hidden")
    await browser.wait_for(f"{TEXTS}.includes('an operator will answer you shortly')")
    dividers = "[...document.querySelectorAll('.ol-divider')].map(d => d.textContent)"
    assert await browser.js(dividers) == ["Conversation ended", "New conversation"]


async def test_french_strings_under_a_french_browser(runtime, tmp_path):
    french = Browser("--lang=fr-FR", "--accept-lang=fr-FR,fr")
    await french.open()
    try:
        await french.command("Emulation.setLocaleOverride", locale="fr-FR")
        await set_line(runtime, prechat="name")
        await runtime.run(runtime.app.services.admin.set(OPERATOR, "Support", "welcome_text.fr",
                                                          "Bonjour ! Un conseiller vous répond dans un instant."))
        await french.goto(chat_url(runtime))
        await french.wait_for(ONLINE)
        assert await french.js("document.documentElement.lang") == "fr"
        assert await french.js("document.getElementById('ol-text').placeholder") == "Écrivez un message…"
        assert await french.js("document.getElementById('ol-send').textContent") == "Envoyer"
        await french.wait_for("!document.getElementById('ol-prechat').hidden")
        assert "Avant de commencer" in await french.js("document.getElementById('ol-prechat').innerText")
        await french.screenshot(SHOTS / "chat-prechat-fr.png")
        assert await axe_violations(french) == []
        await french.js("""(() => { document.getElementById('ol-pre-name').value = 'Camille';
            document.querySelector('#ol-prechat button').click(); })()""")
        await french.wait_for(f"document.getElementById('ol-prechat').hidden && {ONLINE}")
        await type_and_send(french, "Bonjour !")
        # The line's own texts in the page's language too: the page says it in its hello.
        await french.wait_for(f"{TEXTS}.includes('Un conseiller vous répond dans un instant')")
        conversation = await runtime.run(runtime.app.journal.conversations.conversation("1"))
        assert (conversation.customer_name, conversation.customer_language) == ("Camille", "fr-FR")
    finally:
        await french.close()


async def test_the_unread_badge_and_preview_survive_a_navigation(runtime, browser):
    shop = await _shop_site()
    try:
        origin = f"http://127.0.0.1:{shop.addresses[0][1]}"
        await set_widget(runtime, allowed_origins=[origin], color="#0f766e", title="Acme support")
        await browser.goto(f"{origin}/")
        await browser.wait_for("window.OpenLinesWidget !== undefined")
        await browser.js("window.OpenLinesWidget.open()")
        await browser.wait_for(ONLINE, timeout=20, frame="/webchat/support/")
        await type_and_send(browser, "Is my parcel late?", frame="/webchat/support/")
        await browser.wait_for(f"{TEXTS}.includes('an operator will answer you shortly')", frame="/webchat/support/")
        await browser.js("window.OpenLinesWidget.close()")
        await runtime.run(runtime.app.actions.reply("1", OPERATOR, "It left our warehouse this morning."))
        badge = "document.querySelector('.openlines-host').shadowRoot"
        await browser.wait_for(f"{badge}.querySelector('.openlines-root').classList.contains('openlines-unread')")
        await browser.goto(f"{origin}/other-page")  # a navigation: the badge and the preview are still there
        await browser.wait_for(f"{badge} && {badge}.querySelector('.openlines-badge').textContent === '1'")
        preview = await browser.js(f"{badge}.querySelector('.openlines-preview').textContent")
        assert preview == "It left our warehouse this morning."
        await browser.screenshot(SHOTS / "widget-unread.png")
        await browser.js("window.OpenLinesWidget.open()")
        await browser.wait_for(f"!{badge}.querySelector('.openlines-root').classList.contains('openlines-unread')")
        await browser.wait_for(f"{TEXTS}.includes('It left our warehouse')", frame="/webchat/support/")
        await asyncio.sleep(0.5)  # the panel's opening animation, for the picture only
        await browser.screenshot(SHOTS / "widget-open.png")
    finally:
        await shop.cleanup()


async def test_the_widget_takes_a_short_colour_as_the_readme_writes_it(runtime, browser):
    shop = await _shop_site()
    try:
        origin = f"http://127.0.0.1:{shop.addresses[0][1]}"
        await set_widget(runtime, allowed_origins=[origin])
        await browser.goto(f"{origin}/?color=%230a7")
        launcher = "document.querySelector('.openlines-host').shadowRoot.querySelector('.openlines-launcher')"
        await browser.wait_for(f"document.querySelector('.openlines-host') !== null && {launcher} !== null")
        assert await browser.js(f"getComputedStyle({launcher}).backgroundColor") == "rgb(0, 170, 119)"
    finally:
        await shop.cleanup()


# The contrast ratio (WCAG) of an element's text on its own background, over the page's white.
_CONTRAST = r"""(() => {
    const e = document.querySelector('SELECTOR'), style = getComputedStyle(e);
    const rgba = (c) => { const v = c.match(/[\d.]+/g).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
    const [r, g, b, a] = rgba(style.backgroundColor);
    const over = [r, g, b].map((x) => x * a + 255 * (1 - a));
    const lum = (c) => { const l = c.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                         return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
    const [l1, l2] = [lum(rgba(style.color).slice(0, 3)), lum(over)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
})()"""


async def _shop_site() -> web.AppRunner:
    async def page(request: web.Request) -> web.Response:
        port = _current_port[0]
        color = f' data-color="{request.query["color"]}"' if "color" in request.query else ""
        return web.Response(content_type="text/html", text=(
            '<!doctype html><html lang="en"><head><title>Acme shop</title></head><body style="font-family:sans-serif;'
            'background:#f4f4f5;margin:0;padding:32px"><h1>Acme shop</h1><p>Our best parcels.</p>'
            f'<script src="http://127.0.0.1:{port}/webchat/support/widget.js"{color} async></script></body></html>'))

    app = web.Application()
    app.add_routes([web.get("/", page), web.get("/other-page", page)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


_current_port: list[int] = [0]


@pytest.fixture(autouse=True)
def _chat_port(runtime):
    _current_port[0] = runtime.http_port


def _png(width: int, height: int) -> bytes:
    import struct
    rows = b"".join(b"\x00" + bytes([15, 118, 110, 255]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
