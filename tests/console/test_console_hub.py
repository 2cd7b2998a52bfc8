"""The console backend serving its pages in-process: signals, files from plugins, sends from many threads."""
from __future__ import annotations

import io
import threading

import pytest

from backends.team.adapters import adapter_for
from tests.console.conftest import signed_in


@pytest.fixture
def served(console_host):
    member = signed_in(console_host, "operator")
    yield console_host, member
    member.close()


def test_the_customer_typing_shows_in_the_conversations_room(served):
    bot, member = served
    adapter = adapter_for(bot, "#{name}")
    key = adapter.open_room("support-1", "a conversation")
    adapter.invite(key, "@operator")
    assert key in [r["room"] for r in member.connect()["rooms"]]
    adapter.signal(key, "typing", {"on": True})
    typing = member.wait(lambda f: f["type"] == "typing")
    assert (typing["room"], typing["who"], typing["on"]) == (key, "customer", True)


def test_a_plugins_png_chart_is_stored_and_shown_in_place(served):
    bot, member = served
    member.connect()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    stream = bot.send_stream_request(bot.build_identifier("@operator"), io.BytesIO(png), "chart.png", len(png),
                                     "image/png")
    assert stream.status == "success"
    shown = member.wait(lambda f: f["type"] == "message" and f["room"] == "@operator" and f.get("files"))
    assert shown["files"][0]["content_type"] == "image/png"
    status, body = member.get(shown["files"][0]["url"].split(str(bot.host.http_port), 1)[1])
    assert status == 200


def test_sends_from_many_threads_arrive_whole_and_in_order(served):
    """Errbot's Text and Test backends share one Markdown converter and garble replies under load."""
    bot, member = served
    member.connect()
    room = bot.build_identifier("#busy")
    bot.book.add("#busy", "operator")
    member.wait(lambda f: f["type"] == "room" and f["room"] == "#busy")

    def burst(n: int) -> None:
        for i in range(200):
            bot.send(room, f"**thread {n}** message `{i}` " + "x" * (i % 50))

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    member.wait(lambda f: sum(1 for g in member.frames if g["type"] == "message") >= 1600, timeout=30)
    texts = [f["text"] for f in member.frames if f["type"] == "message"]
    for n in range(8):
        mine = [t for t in texts if t.startswith(f"**thread {n}** ")]
        assert mine == [f"**thread {n}** message `{i}` " + "x" * (i % 50) for i in range(200)]


def test_a_deeply_nested_frame_gets_an_error_frame_and_the_page_stays(served, caplog):
    bot, member = served
    member.connect()
    member.send_raw("[" * 5000 + "]" * 5000)
    error = member.wait(lambda f: f["type"] == "error")
    assert error["code"] == "bad_frame"
    member.send({"type": "history", "room": "@operator"})
    member.wait(lambda f: f["type"] == "history")  # the socket still answers
    assert not any(f["type"] == "closed" for f in member.frames)
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_events_published_while_the_loop_is_busy_reach_it_in_one_wake_up_in_order():
    import asyncio

    from backends.team.console.hub import Hub

    loop = asyncio.new_event_loop()
    try:
        hub = Hub(None, None, None, loop)  # type: ignore[arg-type]  # only the hand-over is used
        got: list[tuple[str, dict]] = []
        hub.rooms.on_events = got.extend  # type: ignore[method-assign]
        wakes = []
        call_soon_threadsafe = loop.call_soon_threadsafe
        loop.call_soon_threadsafe = lambda *a: wakes.append(a) or call_soon_threadsafe(*a)  # type: ignore[method-assign]

        def burst(n: int) -> None:
            for i in range(100):
                hub.publish("message", {"thread": n, "i": i})

        threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [] and len(wakes) == 1  # the loop has not run yet: asked once for all 400
        loop.run_until_complete(asyncio.sleep(0))
        for n in range(4):
            assert [d["i"] for _, d in got if d["thread"] == n] == list(range(100))
        hub.publish("room", {"name": "#next"})  # taken: the next event asks again
        loop.run_until_complete(asyncio.sleep(0))
        assert len(wakes) == 2 and got[-1] == ("room", {"name": "#next"})
    finally:
        loop.close()
        hub.store.close()
    hub.publish("room", {"name": "#late"})  # a closed loop: dropped, no error
