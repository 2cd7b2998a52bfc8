"""What a person does on the team console's page in Chromium: fill a form, write a message, open a room."""
from __future__ import annotations

import json

from tests.browser.cdp import Browser


async def fill(page: Browser, values: dict[str, str], button: str) -> None:
    """Set the inputs (by id) and click ``button``."""
    await page.js(f"""(() => {{
        const values = {json.dumps(values)};
        for (const id in values) document.getElementById(id).value = values[id];
        document.getElementById({json.dumps(button)}).click();
    }})()""")


async def write(page: Browser, text: str) -> None:
    """Type ``text`` in the message box (as an input event: the page may complete commands) and send it."""
    await page.js(f"""(() => {{
        const box = document.getElementById('text');
        box.value = {json.dumps(text)};
        box.dispatchEvent(new Event('input', {{bubbles: true}}));
        document.getElementById('send').click();
    }})()""")


async def open_room(page: Browser, room: str) -> None:
    """Click the room in the list once it is listed, and wait until it is the current one."""
    item, current = json.dumps(f'#rooms li[data-room="{room}"]'), json.dumps(f'#rooms li.current[data-room="{room}"]')
    await page.wait_for(f"document.querySelector({item}) !== null")
    await page.js(f"document.querySelector({item}).click()")
    await page.wait_for(f"document.querySelector({current}) !== null")
