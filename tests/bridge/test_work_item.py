"""A work item carrying the message its unit stored: the same item in every other field."""
from __future__ import annotations

import dataclasses

from bridge.model import Message, MessageKind
from bridge.store import WorkItem


def test_about_keeps_every_field_and_adds_the_message():
    # Every field away from its default: a field ``about`` lost would show.
    item = WorkItem(7, "team_post", "c:1", "c1", {"seq": 3}, 12.5, attempts=2, recovered=True, begun=True,
                    held=False)
    message = Message(3, "c1", MessageKind.INBOUND, "Ann", "hello", 12.0)
    carried = item.about(message)
    assert carried.message is message
    for f in dataclasses.fields(WorkItem):
        if f.name != "message":
            assert getattr(carried, f.name) == getattr(item, f.name), f.name
    assert dataclasses.replace(item, message=message) == carried
