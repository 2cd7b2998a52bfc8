"""The team-adapter contract: every Errbot backend we support passes the same checks.

Identities are the backend's own and compared exactly; a room is known by the
key the backend gives it, never by its name; customer text renders as itself,
in linear time, whatever markup it holds.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from bridge.relay import TeamPost, render_team_post
from backends.team.adapters import adapter_for
from backends.team.markup import escape_plain, plain_text
from tests.support.errbot_backends import BACKENDS, BackendUnderTest
from tests.support.hostile import HOSTILE

SAMPLES = ["**bold** _it_ `code` [click](javascript:alert(1))", "<img src=x onerror=alert(1)> & &lt;",
           "# head", "- item", "1. one", "a|b", "\\* not a list", "> quoted"]


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    under_test = BACKENDS[request.param](tmp_path)
    yield under_test
    under_test.close()


def test_a_sender_is_the_same_person_in_a_room_in_private_and_when_typed(backend):
    adapter = adapter_for(backend.bot, backend.room_format)
    room = backend.bot.query_room(backend.room("support-1"))
    in_room = backend.message_in(room, "bob", "hi")
    assert adapter.person_id(in_room.frm) == adapter.person_id(backend.person("bob"))
    assert adapter.parse_person(backend.typed("bob")) == adapter.person_id(backend.person("bob"))
    assert adapter.person_id(backend.person("bob")) != adapter.person_id(backend.person("carol"))


def test_a_persons_identity_is_written_as_admins_and_grants_write_it(backend):
    """OPENLINES_ADMINS and !line grant hold identities as typed; on IRC the full nick!user@host."""
    adapter = adapter_for(backend.bot, backend.room_format)
    room = backend.bot.query_room(backend.room("support-1"))
    assert adapter.person_id(backend.person("bob")) == backend.typed("bob")
    assert adapter.person_id(backend.message_in(room, "bob", "hi").frm) == backend.typed("bob")


def test_identities_are_compared_exactly(backend):
    adapter = adapter_for(backend.bot, backend.room_format)
    plain = adapter.parse_person(backend.typed("operator"))
    assert adapter.parse_person(backend.typed("@operator")) != plain
    assert adapter.parse_person(" " + backend.typed("operator")) == plain  # typing space is not identity


def test_a_room_is_known_by_the_key_its_backend_gives_it(backend):
    adapter = adapter_for(backend.bot, backend.room_format)
    key = adapter.open_room("support-1", "a topic")
    other = adapter.open_room("release-1", "another")
    assert key != other
    room = backend.bot.query_room(key)
    assert adapter.room_key(backend.message_in(room, "bob", "hi").frm.room) == key


def test_posts_go_to_the_room_they_are_for(backend):
    adapter = adapter_for(backend.bot, backend.room_format)
    key = adapter.open_room("support-7", "topic")
    out = backend.output_of(lambda: adapter.send(key, "hello room"))
    assert "hello room" in out


def test_a_private_post_goes_to_the_person_it_is_for(backend):
    """``TeamChat.direct``: an employee's private chat with the bot, named by the person (no room key)."""
    adapter = adapter_for(backend.bot, backend.room_format)
    adapter.open_room("support-8", "topic")
    person = adapter.parse_person(backend.typed("bob"))
    post = TeamPost("notice", "for bob only")
    out = backend.output_of(lambda: adapter.send_direct(person, post, render_team_post(post, adapter.escape)))
    assert "for bob only" in out


@pytest.mark.parametrize("sample", SAMPLES)
def test_customer_text_renders_as_itself(backend, sample):
    adapter = adapter_for(backend.bot, backend.room_format)
    key = adapter.open_room("support-2", "topic")
    post = TeamPost("customer", sample, "Eve *admin*", "Website chat")
    out = backend.output_of(lambda: adapter.send(key, render_team_post(post, adapter.escape)))
    assert sample in out
    assert "Eve *admin*" in out


@pytest.mark.parametrize("char", ["`", "*", "_", "[", "<", "\\", "!["])
def test_rendering_customer_text_takes_linear_time(backend, char):
    """Python-Markdown's backtick pattern is cubic: 4,096 backticks froze the server for 199 s."""
    adapter = adapter_for(backend.bot, backend.room_format)
    key = adapter.open_room("support-3", "topic")

    def render(n: int) -> float:
        post = TeamPost("customer", (char * n)[:n], "Eve", "Website chat")
        text = render_team_post(post, adapter.escape)
        started = time.process_time()
        backend.output_of(lambda: adapter.send(key, text))
        return time.process_time() - started

    render(256)  # warm up
    small, large = min(render(512) for _ in range(5)), min(render(4096) for _ in range(5))
    # 8× the text: linear is ~8× the time, quadratic 64×, Markdown's cubic backticks 512×. This
    # process's CPU time, the fastest of five runs: other processes on a busy machine do not count.
    assert large < max(small, 0.0005) * 40, (small, large)


def test_a_person_is_known_only_where_the_backend_can_tell(backend):
    """The console has accounts; XMPP knows whom it has seen (its roster, its rooms' occupants); Errbot's
    Text and Test backends have no directory at all. None is "cannot tell", never "no"."""
    adapter = adapter_for(backend.bot, backend.room_format)
    stranger = adapter.parse_person(backend.typed("nobody-here"))
    assert adapter.knows(stranger) is (False if backend.name == "Console" else None)
    if backend.name == "Console":
        assert adapter.knows(adapter.parse_person(backend.typed("openlines"))) is False  # the bot itself
        backend.bot.accounts.invite("bob")
        assert adapter.knows(adapter.parse_person(backend.typed("bob"))) is True
    if backend.name == "XMPP":
        from tests.support.xmpp import XmppPerson

        key = adapter.open_room("support-9", "topic")
        carol = XmppPerson("carol")
        try:
            assert adapter.knows(adapter.parse_person(backend.typed("carol"))) is None
            adapter.invite(key, adapter.parse_person(backend.typed("carol")))  # rooms are members-only
            carol.join(key)
            deadline = time.monotonic() + 10
            while adapter.knows(adapter.parse_person(backend.typed("carol"))) is None:
                assert time.monotonic() < deadline, "carol, in the bot's room, is still unknown"
                time.sleep(0.1)
        finally:
            carol.close()


def test_a_plain_text_team_chat_gets_hostile_texts_back_as_written():
    """XMPP's renderer: the bot's bold and fences go, customer text (escaped for it) stays exactly."""
    for text in [*HOSTILE, "a\\*b", "ends with \\", "```json", "**x**"]:
        reply = f"**Conversation 1** · {escape_plain(text)}\n```\n{{}}\n```\n**done**"
        assert plain_text(reply) == f"Conversation 1 · {text}\n{{}}\ndone"


def test_posts_from_many_rooms_at_once_each_come_out_once_intact(backend):
    """The team side posts for many rooms at once; Errbot's stock backends render through one shared
    Markdown converter, which garbled and doubled posts when called from several threads."""
    import asyncio
    import re

    from backends.team.chat import ErrbotTeamChat

    adapter = adapter_for(backend.bot, backend.room_format)
    team = ErrbotTeamChat(adapter)
    rooms, each = 64, 40
    filler = " ".join(f"word{n}" for n in range(40))  # longer renders overlap more (IRC splits at 510)

    async def post_all() -> None:
        keys = [await team.open_room(f"load-{r}", "topic") for r in range(rooms)]

        async def lane(r: int) -> None:  # one lane per room, in batches, as the outbox runs them
            for batch in range(0, each, 10):
                await team.post(keys[r], [TeamPost("customer", f"load r{r} m{i} {filler} **end**", "Lee",
                                                   "Website chat") for i in range(batch, batch + 10)])
        await asyncio.gather(*(lane(r) for r in range(rooms)))

    try:
        out = backend.output_of(lambda: asyncio.run(post_all()))
    finally:
        team.close()
    seen = re.findall(r"load r(\d+) m(\d+) " + filler + r" \*\*end\*\*", out)
    expected = {(str(r), str(i)) for r in range(rooms) for i in range(each)}
    assert len(seen) == len(expected) and set(seen) == expected


def test_irc_keeps_serving_when_its_socket_is_above_descriptor_1023(tmp_path):
    """A process serving many customers holds over a thousand sockets: the irc library's select() could
    not watch a reconnection's descriptor above 1023 and its loop died."""
    import os
    import resource

    backend = BACKENDS["IRC"](tmp_path)  # with runtime.irc_poll installed, as config.py installs it
    adapter = adapter_for(backend.bot, backend.room_format)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 2048), hard), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        conn = backend.bot.conn

        def reconnect_high() -> None:  # on the reactor's thread; the freed low descriptor stays taken
            conn.connection.disconnect("again")
            held.append(os.open(os.devnull, os.O_RDONLY))
            conn._connect()
        conn.reactor.scheduler.execute_after(0, reconnect_high)
        deadline = time.monotonic() + 10
        while not (conn.connection.is_connected() and conn.connection.socket.fileno() > 1023):
            assert time.monotonic() < deadline, "the IRC backend did not reconnect"
            time.sleep(0.05)
        time.sleep(0.5)  # registered
        key = adapter.open_room("high-fd", "topic")
        assert backend.bot.query_room(key).joined  # the server's confirmation was read
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        backend.close()


if "IRC" not in BACKENDS:  # needs ngIRCd (OPENLINES_IRC_TESTS=1): not collected without it
    del test_irc_keeps_serving_when_its_socket_is_above_descriptor_1023
