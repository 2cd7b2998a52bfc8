"""Several rooms' posts in one hop to the team chat's thread, over the real Errbot backends."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Iterator

import pytest

from bridge.model import Attachment
from bridge.relay import TeamPost
from backends.team.adapters import adapter_for
from backends.team.chat import ErrbotTeamChat, joined
from tests.support.errbot_backends import BackendUnderTest, console_backend, text_backend


@pytest.fixture(params=["Text", "Console"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    under_test = {"Text": text_backend, "Console": console_backend}[request.param](tmp_path)
    yield under_test
    under_test.close()


def _customer(text: str) -> TeamPost:
    return TeamPost("customer", text, "Eve", "Website chat")


def test_each_post_of_a_round_shows_once_in_order_in_its_room(backend):
    chat = ErrbotTeamChat(adapter_for(backend.bot, backend.room_format))
    try:
        keys = [chat.adapter.open_room(f"support-{n}", "topic") for n in range(3)]
        rooms = [(key, [_customer(f"m{n}.{i}") for i in range(4)]) for n, key in enumerate(keys)]
        out = backend.output_of(lambda: asyncio.run(_post(chat, rooms)))
    finally:
        chat.close()
    shown = re.findall(r"m\d\.\d", out)
    assert shown == [f"m{n}.{i}" for n in range(3) for i in range(4)]


async def _post(chat: ErrbotTeamChat, rooms: list[tuple[str, list[TeamPost]]]) -> None:
    assert await chat.post_many(rooms) == [None] * len(rooms)


def test_customer_posts_in_a_row_are_joined_within_the_adapters_limits():
    posts = [_customer("a" * 10), _customer("b" * 10), TeamPost("notice", "note"), _customer("c" * 10),
             _customer("d" * 10), _customer("e" * 10)]
    assert [len(g) for g in joined(posts, 2, 1000)] == [2, 1, 2, 1]  # at most 2, a notice goes alone
    assert [len(g) for g in joined(posts, 20, 25)] == [2, 1, 2, 1]  # at most 25 characters
    assert [len(g) for g in joined(posts, 1, 1000)] == [1] * 6  # an adapter that joins nothing


def test_the_text_terminal_prints_each_post_once_as_it_is(tmp_path):
    """Errbot's Text backend rendered every post through Markdown to ANSI (~150 µs a post) to show the
    same characters, ran joined posts together (a leading space, a reset code) and let a control
    character in a file's name reach the terminal. Each post is one ``[#room] …`` line, as written."""
    backend = text_backend(tmp_path)
    chat = ErrbotTeamChat(adapter_for(backend.bot, backend.room_format))
    hostile = Attachment("file", "https://example.test/f/1", name="a\x1b[2Jb.pdf")
    posts = [_customer("**one** <b> & 1. \\*"), _customer("two\nlines_x_"),
             TeamPost("customer", "see", "Eve", "Website chat", (hostile,)), TeamPost("notice", "**note**")]
    try:
        key = chat.adapter.open_room("support-1", "topic")
        out = backend.output_of(lambda: asyncio.run(_post(chat, [(key, posts)])))
    finally:
        chat.close()
    assert out.splitlines() == [
        "[#support-1] 👤 Eve (customer · Website chat): **one** <b> & 1. \\*",
        "[#support-1] 👤 Eve (customer · Website chat): two",
        "│ lines_x_",
        "[#support-1] 👤 Eve (customer · Website chat): see",
        "📎 a[2Jb.pdf https://example.test/f/1",
        "[#support-1] ℹ️ **note**"]
