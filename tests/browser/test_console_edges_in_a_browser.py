"""The team console at its edges, in real Chromium against the real run command: the server killed and
restarted while an operator writes, labels that say where a message went, and what a signed-out page shows."""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.browser.cdp import Browser
from tests.browser.console_page import fill, open_room, write
from tests.support.console import FIRST_PASSWORD as PASSWORD
from tests.support.artifacts import screenshots_dir
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

SHOTS = screenshots_dir()
MESSAGES = "document.getElementById('messages').innerText"
OFFLINE = "!document.getElementById('offline').hidden"


@pytest.fixture
def console(tmp_path):
    """The run command with the web console; ``restart`` starts it again on the same port and data."""
    running = [OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", OPENLINES_ADMINS="@operator")]

    def restart() -> OpenLinesProcess:
        running.append(OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", OPENLINES_ADMINS="@operator",
                                        OPENLINES_HTTP_PORT=str(running[0].port)))
        return running[-1]

    yield running[0], restart
    for process in running:
        process.stop()


@pytest.fixture
async def pages():
    opened: list[Browser] = []

    async def page() -> Browser:
        b = Browser()
        await b.open()
        await b.size(1200, 760)
        opened.append(b)
        return b

    yield page
    for b in opened:
        await b.close()


async def _signed_in(page: Browser, bot: OpenLinesProcess) -> None:
    await page.goto(f"http://127.0.0.1:{bot.port}/team/")
    await page.wait_for("!document.getElementById('signin').hidden")
    await fill(page, {"login": "operator", "password": bot.wait_for(PASSWORD).group(1)}, "signin-button")
    await page.wait_for("!document.getElementById('choose').hidden")
    await fill(page, {"new-password": "the operator's own password"}, "choose-button")
    await page.wait_for("!document.getElementById('app').hidden")


def _count(text: str) -> str:
    """How many messages on the page hold ``text``."""
    return f"[...document.querySelectorAll('#messages li')].filter(li => li.innerText.includes({json.dumps(text)})).length"


def _customer_texts(customer: Customer, until: str) -> list[str]:
    """Everything the customer receives after a reconnect, until ``until`` arrived."""
    _, missed = customer.connect("Lee")
    texts = [m["text"] for m in missed["messages"]]
    while until not in texts:
        texts.append(customer.next_message(timeout=30)["text"])
    return texts


async def test_a_restart_while_the_operator_writes_loses_and_doubles_nothing(console, pages):
    bot, restart = console
    ann = await pages()
    await _signed_in(ann, bot)
    customer = Customer(bot.port)
    try:
        customer.connect("Lee")
        customer.say("Hello, my order 1042 has not arrived.")
        await open_room(ann, "#support")
        await ann.wait_for(f"{_count('New conversation 1')} > 0")
        assert await ann.js(_count("New conversation 1")) == 1  # a room of one message shows it once

        await write(ann, "!answer 1")
        await open_room(ann, "#support-1")
        await ann.wait_for(f"{MESSAGES}.includes('order 1042')")
        too_long = "x" * 4097  # refused on the page, and kept in the box with the reason
        await write(ann, too_long)
        assert await ann.js("document.getElementById('text').value.length") == 4097
        assert "4096" in await ann.js("document.getElementById('notice').innerText")
        await write(ann, "!whisper on")
        await ann.wait_for(f"{MESSAGES}.includes('Whisper mode is on')")
        await write(ann, "Kim, is DHL late again?")
        whisper = "[...document.querySelectorAll('#messages li')].find(li => li.innerText.includes('DHL late'))"
        await ann.wait_for(f"{whisper} !== undefined && !{whisper}.classList.contains('pending')")
        assert await ann.js(f"{whisper}.querySelector('.tag').innerText") == "Internal"
        await write(ann, "!whisper off")
        await ann.wait_for(f"{MESSAGES}.includes('Whisper mode is off')")

        bot.kill()
        down_at = time.monotonic()
        await ann.wait_for(OFFLINE)
        assert await ann.js("document.getElementById('offline').innerText") == "Disconnected — reconnecting…"
        await write(ann, "Sorry about that! Let me check with the courier.")
        await write(ann, "It left the warehouse this morning.")
        assert await ann.js("document.getElementById('text').value") == ""
        assert await ann.js("document.querySelectorAll('#messages li.pending').length") == 2
        assert "courier" in await ann.js("sessionStorage.getItem('openlines-console-outbox')")  # a reload keeps it
        await ann.screenshot(SHOTS / "console-offline.png")
        while time.monotonic() - down_at < 6:
            await ann.js("new Promise(r => setTimeout(r, 250))")
        restart()

        await ann.wait_for(f"!({OFFLINE}) && document.querySelectorAll('#messages li.pending').length === 0", 60)
        assert await ann.js(_count("Let me check with the courier")) == 1
        assert await ann.js(_count("It left the warehouse")) == 1
        texts = _customer_texts(customer, "It left the warehouse this morning.")
        assert texts.count("Sorry about that! Let me check with the courier.") == 1
        assert texts.count("It left the warehouse this morning.") == 1
        assert texts.index("Sorry about that! Let me check with the courier.") < texts.index(
            "It left the warehouse this morning.")
        assert "DHL" not in " ".join(texts)
        assert await ann.js("sessionStorage.getItem('openlines-console-outbox')") is None
    finally:
        customer.close()


async def test_a_signed_out_or_revoked_page_shows_only_the_sign_in_card(console, pages):
    bot, _ = console
    ann = await pages()
    await ann.goto(f"http://127.0.0.1:{bot.port}/team/")
    await ann.wait_for("!document.getElementById('signin').hidden")
    assert await ann.js("getComputedStyle(document.getElementById('app')).display") == "none"
    await _signed_in(ann, bot)
    await open_room(ann, "@operator")
    await write(ann, "!console add kim Kim Lane")
    await ann.wait_for(f"{MESSAGES}.includes('#welcome=')")
    link = re.search(r"http://\S+#welcome=\S+", await ann.js(MESSAGES)).group(0)

    kim = await pages()
    await kim.goto(link)
    await kim.wait_for("!document.getElementById('choose').hidden")
    assert await kim.js("getComputedStyle(document.getElementById('app')).display") == "none"
    await fill(kim, {"new-password": "kim's own long password"}, "choose-button")
    await kim.wait_for("!document.getElementById('app').hidden && document.querySelectorAll('#rooms li').length > 0")
    await write(kim, "!help")
    await kim.wait_for(f"{MESSAGES}.length > 20")

    await write(ann, "!console revoke kim")
    await kim.wait_for("!document.getElementById('signin').hidden", 15)
    assert await kim.js("getComputedStyle(document.getElementById('app')).display") == "none"
    assert await kim.js("document.getElementById('messages').children.length") == 0
    assert await kim.js("document.getElementById('rooms').children.length") == 0
    assert await kim.js("document.getElementById('offline').hidden")
