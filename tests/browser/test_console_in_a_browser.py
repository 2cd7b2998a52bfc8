"""The team console and the website chat in real Chromium pages, against the real run command:
one customer on the widget, two operators on the console."""
from __future__ import annotations

import json
import re

import pytest

from tests.support.artifacts import screenshots_dir
from tests.browser.cdp import Browser
from tests.browser.console_page import fill, open_room, write
from tests.support.console import FIRST_PASSWORD as PASSWORD
from tests.support.process import OpenLinesProcess

SHOTS = screenshots_dir()
CHAT = "document.getElementById('ol-list').innerText"
MESSAGES = "document.getElementById('messages').innerText"


@pytest.fixture
def bot(tmp_path):
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", OPENLINES_ADMINS="@operator,@kim")
    yield process
    process.stop()


@pytest.fixture
async def pages():
    opened: list[Browser] = []

    async def page(width: int = 1200, height: int = 760) -> Browser:
        b = Browser()
        await b.open()
        await b.size(width, height)
        opened.append(b)
        return b

    yield page
    for b in opened:
        await b.close()


async def _sees(page: Browser, text: str, timeout: float = 15) -> None:
    await page.wait_for(f"{MESSAGES}.includes({json.dumps(text)})", timeout)


async def test_a_customer_and_two_operators(bot, pages):
    url = f"http://127.0.0.1:{bot.port}"
    first_password = bot.wait_for(PASSWORD).group(1)

    # The admin signs in with the printed one-time password and chooses their own.
    ann = await pages()
    await ann.goto(f"{url}/team/")
    await ann.wait_for("!document.getElementById('signin').hidden")
    await fill(ann, {"login": "operator", "password": first_password}, "signin-button")
    await ann.wait_for("!document.getElementById('choose').hidden")
    await fill(ann, {"new-password": "ann's own long password"}, "choose-button")
    await ann.wait_for("!document.getElementById('app').hidden")

    # ... and adds a colleague, who signs in with the one-time link.
    await open_room(ann, "@operator")
    await write(ann, "!console add kim Kim Lane")
    await _sees(ann, "#welcome=")
    link = re.search(r"http://\S+#welcome=\S+", await ann.js(MESSAGES)).group(0)
    kim = await pages()
    await kim.goto(link)
    await kim.wait_for("!document.getElementById('choose').hidden")
    await fill(kim, {"new-password": "kim's own long password"}, "choose-button")
    await kim.wait_for("!document.getElementById('app').hidden")

    # A customer writes on the website chat.
    customer = await pages(480, 720)
    await customer.goto(f"{url}/webchat/support/")
    await customer.wait_for("document.getElementById('ol-status').dataset.state === 'online'")
    await customer.js("""(() => { const box = document.getElementById('ol-text');
        box.value = 'Hello, my order 1042 has not arrived.'; box.dispatchEvent(new Event('input', {bubbles: true}));
        document.getElementById('ol-send').click(); })()""")
    await customer.wait_for(f"{CHAT}.includes('an operator will answer you shortly')")

    # The announcement in the line's room, the conversation at a glance.
    await open_room(ann, "#support")
    await _sees(ann, "New conversation 1")
    await ann.wait_for("document.querySelector('#glance li.waiting') !== null")
    glance = await ann.js("document.getElementById('glance').innerText")
    assert "order 1042" in glance and "Support · Website chat" in glance  # the line, at a glance

    # Command completion, then the answer.
    await ann.js("""(() => { const box = document.getElementById('text'); box.value = '!ans';
        box.dispatchEvent(new Event('input', {bubbles: true})); })()""")
    await ann.wait_for("!document.getElementById('completion').hidden")
    assert "!answer" in await ann.js("document.getElementById('completion').innerText")
    await write(ann, "!answer 1")
    await _sees(ann, "You answer conversation 1")
    await open_room(ann, "#support-1")
    await ann.wait_for("document.querySelector('#messages li.customer') !== null")
    assert "order 1042" in await ann.js("document.querySelector('#messages li.customer').innerText")
    assert "Customer" in await ann.js("document.querySelector('#messages li.customer .tag').innerText")

    # The answer reaches the customer; the customer's reply reaches the room.
    await write(ann, "Sorry about that! Let me check with the courier.")
    await customer.wait_for(f"{CHAT}.includes('Let me check with the courier')")
    await customer.js("""(() => { const box = document.getElementById('ol-text'); box.value = 'Thank you!';
        box.dispatchEvent(new Event('input', {bubbles: true})); document.getElementById('ol-send').click(); })()""")
    await _sees(ann, "Thank you!")

    # A whisper: internal on the console, never on the customer's screen.
    await write(ann, "~ Kim, is DHL late again today?")
    await ann.wait_for("document.querySelector('#messages li.internal[data-kind=\"whisper\"]') !== null")
    await kim.wait_for("document.querySelector('#glance li[data-conversation=\"1\"]') !== null")
    await kim.js("document.querySelector('#glance li[data-conversation=\"1\"]').click()")
    await _sees(kim, "is DHL late again today?")

    # A transfer: Kim has it now, with the whole history; the customer notices nothing.
    await write(ann, "!transfer @kim")
    await _sees(ann, "is @kim's now")
    await _sees(kim, "Transferred to @kim by")

    await ann.screenshot(SHOTS / "console.png")
    await write(ann, "!close")
    await customer.wait_for(f"{CHAT}.includes('closed')")
    await customer.screenshot(SHOTS / "widget.png")
    assert "DHL" not in await customer.js(CHAT)
    await _sees(ann, "Conversation closed by @operator")

    # The closed conversation's room leaves the list once she moves on; its name still opens it.
    await open_room(ann, "#support")
    await ann.wait_for("document.querySelector('#rooms li[data-room=\"#support-1\"]') === null")
    await ann.goto(f"{url}/team/?again#room=%23support-1")  # a new page load, opened on that room
    await _sees(ann, "Conversation closed by @operator")
