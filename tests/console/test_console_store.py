"""The console's rooms store, the same contract on its SQLite file and on PostgreSQL."""
from __future__ import annotations

import pytest

from backends.team.console.rooms import RoomBook


def frame(login: str, text: str) -> dict[str, object]:
    return {"from": {"login": login, "name": login.title(), "bot": False}, "text": text, "format": "plain"}


def test_rooms_members_and_topics_survive_a_reopen(console_db: str) -> None:
    book = RoomBook(console_db)
    book.create("#sales")
    book.add("#sales", "ann")
    book.add("#sales", "kim")
    book.set_topic("#sales", "Q4 leads")
    book.create("@ann")
    book.close()
    book = RoomBook(console_db)
    try:
        assert book.names() == ["#sales", "@ann"]
        assert book.occupants("#sales") == ["ann", "kim"] and book.topic("#sales") == "Q4 leads"
        assert book.rooms_of("ann") == ["#sales", "@ann"]
    finally:
        book.close()


def test_history_pages_oldest_first_and_unread_skips_ones_own(console_db: str) -> None:
    book = RoomBook(console_db)
    try:
        ids = [book.append("#sales", frame("ann" if n % 2 else "kim", f"m{n}"))["id"] for n in range(6)]
        assert [m["text"] for m in book.history("#sales")] == [f"m{n}" for n in range(6)]
        assert [m["text"] for m in book.history("#sales", before=ids[3], limit=2)] == ["m1", "m2"]
        assert book.unread("ann", "#sales") == 3  # kim's three
        book.mark_read("ann", "#sales", ids[2])
        book.mark_read("ann", "#sales", ids[0])  # an older mark (another tab) never moves it back
        assert book.unread("ann", "#sales") == 1
        book.append("#sales", {"from": {"login": "openlines", "name": "Open Lines", "bot": True}, "text": "x"})
        book.append("#sales", {"text": "a frame without an author counts too"})
        assert book.unread("ann", "#sales") == 3
    finally:
        book.close()


def test_a_forgotten_login_leaves_nothing_behind_and_can_come_back(console_db: str) -> None:
    book = RoomBook(console_db)
    try:
        book.add("#sales", "ann")
        book.append("@ann", frame("ann", "hello bot"))
        book.append_once("#sales", frame("ann", "hi"), ("ann", "tab:1"))
        book.forget("ann")
        assert book.rooms_of("ann") == [] and not book.exists("@ann") and book.said("ann", "tab:1") is None
        assert book.forgotten_at("ann") is not None
        book.welcome_back("ann")
        assert book.forgotten_at("ann") is None
    finally:
        book.close()
    reopened = RoomBook(console_db)
    try:
        assert reopened.history("@ann") == [] and reopened.rooms_of("ann") == []
    finally:
        reopened.close()


def test_a_round_of_posts_is_stored_in_order_all_or_none_and_published_in_one_go(console_db: str) -> None:
    """``append_many`` (a round of the team lane) takes its ids with one ``executemany``: they follow the
    ones single messages take, in the round's order within each room, and a round that fails leaves nothing."""
    book = RoomBook(console_db)
    told: list[list[tuple[str, dict[str, object]]]] = []
    book.publish_many = lambda events: told.append(events)
    try:
        first = book.append("#a", frame("ann", "before"))["id"]
        book.append_many([("#a", frame("bot", "a1")), ("#b", frame("bot", "b1")), ("#a", frame("bot", "a2"))])
        last = book.append("#b", frame("kim", "after"))["id"]
        assert [m["text"] for m in book.history("#a")] == ["before", "a1", "a2"]
        assert [m["text"] for m in book.history("#b")] == ["b1", "after"]
        ids = [m["id"] for m in book.history("#a")] + [m["id"] for m in book.history("#b")]
        assert first < ids[1] < ids[2] and ids[1] < ids[3] < last and len(set(ids)) == 5
        assert [[(e, d["text"], d["id"]) for e, d in events] for events in told] == \
            [[("message", "a1", ids[1]), ("message", "b1", ids[3]), ("message", "a2", ids[2])]]
        with pytest.raises(TypeError):  # not JSON: the round fails
            book.append_many([("#a", frame("bot", "kept?")), ("#b", {"text": object()})])
        assert [m["text"] for m in book.history("#a")][-1] == "a2" and len(told) == 1
        assert book.append("#a", frame("ann", "still writable"))["id"] > last
    finally:
        book.close()
