"""Missed replies by email, through a real SMTP server on 127.0.0.1 (aiosmtpd)."""
from __future__ import annotations

import asyncio
import email
import socket
import sqlite3
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.support.runtime import OPERATOR


class Inbox:
    def __init__(self) -> None:
        self.mails: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mailing(make_runtime, smtp):
    inbox, port = smtp
    runtime = make_runtime(smtp_url=f"smtp://127.0.0.1:{port}", mail_from="Support <support@shop.example>",
                           public_url="https://chat.shop.example")
    directory = runtime.app.services.directory
    line = directory.line("support")
    directory.put_line(replace(line, settings=replace(line.settings, offline_email_seconds=1)))
    return runtime, inbox


def _timers(runtime) -> int:
    count = "SELECT count(*) FROM work WHERE kind = 'mail.missed'"
    if runtime.settings.database_url:
        with psycopg.connect(runtime.settings.database_url) as pg:
            return pg.execute(count).fetchone()[0]
    with sqlite3.connect(runtime.settings.path("journal.sqlite3")) as db:
        return db.execute(count).fetchone()[0]


async def _until(predicate, timeout: float = 15) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_burst_of_replies_to_an_absent_customer_is_one_email(mailing, connect):
    runtime, inbox = mailing
    tab = await connect(port=runtime.http_port)
    welcome, _ = await tab.hello(name="Ann", email="ann@example.com")
    assert welcome["line"]["email_replies"] is True
    ack = await tab.say("Can you call me back?")
    await tab.close()
    backend = runtime.app.channels.get("webchat:support")
    await _until(lambda: not backend.tabs)
    for text in ("Sure.", "Tomorrow at **10**?", "Or Friday."):
        await runtime.run(runtime.app.actions.reply(ack["conversation_id"], OPERATOR, text))
    await runtime.run(runtime.app.services.core.outbox.idle())
    assert _timers(runtime) == 1  # one timer, moved by each reply
    await _until(lambda: inbox.mails)
    await runtime.run(runtime.app.services.core.outbox.idle())
    assert len(inbox.mails) == 1 and _timers(runtime) == 0
    mail = inbox.mails[0]
    body = mail.get_payload(decode=True).decode()
    assert mail["To"] == "ann@example.com" and "3 new replies" in mail["Subject"]
    assert all(t in body for t in ("Sure.", "Tomorrow at **10**?", "Or Friday."))
    assert "https://chat.shop.example/webchat/support/" in body


async def test_no_email_while_a_tab_is_open(mailing, connect):
    runtime, inbox = mailing
    tab = await connect(port=runtime.http_port)
    await tab.hello(name="Ann", email="ann@example.com")
    ack = await tab.say("I am here")
    reply = await runtime.run(runtime.app.actions.reply(ack["conversation_id"], OPERATOR, "Hello Ann"))
    await tab.expect("message", seq=reply.seq)
    await runtime.run(runtime.app.services.core.outbox.idle())
    assert _timers(runtime) == 0 and inbox.mails == []


async def test_replies_read_before_the_quiet_period_ends_are_not_mailed(mailing, connect):
    runtime, inbox = mailing
    directory = runtime.app.services.directory
    line = directory.line("support")
    directory.put_line(replace(line, settings=replace(line.settings, offline_email_seconds=3)))
    tab = await connect(port=runtime.http_port)
    await tab.hello(name="Ann", email="ann@example.com")
    ack = await tab.say("Back soon")
    await tab.close()
    backend = runtime.app.channels.get("webchat:support")
    await _until(lambda: not backend.tabs)
    reply = await runtime.run(runtime.app.actions.reply(ack["conversation_id"], OPERATOR, "Noted"))
    await runtime.run(runtime.app.services.core.outbox.idle())
    assert _timers(runtime) == 1
    back = await connect(port=runtime.http_port)
    await back.hello(tab.token, last_seq=ack["seq"])
    await back.send(type="read", seq=reply.seq)
    await back.close()
    await _until(lambda: _timers(runtime) == 0)  # the timer fired and found nothing unread
    assert inbox.mails == []


async def test_a_visitor_who_gave_only_an_email_is_not_greeted_with_their_label(mailing, connect):
    runtime, inbox = mailing
    tab = await connect(port=runtime.http_port)
    await tab.hello(email="nameless@example.com")  # the away form asks only for an email
    ack = await tab.say("Please write back")
    await tab.close()
    backend = runtime.app.channels.get("webchat:support")
    await _until(lambda: not backend.tabs)
    await runtime.run(runtime.app.actions.reply(ack["conversation_id"], OPERATOR, "Done."))
    await _until(lambda: inbox.mails)
    body = inbox.mails[0].get_payload(decode=True).decode()
    assert body.startswith("Hello,") and "Visitor" not in body
