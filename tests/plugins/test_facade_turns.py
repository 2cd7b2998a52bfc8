"""Operator actions on one conversation run one at a time, in the order they were made."""
from __future__ import annotations

import asyncio

from plugins.facade import OpenLinesApi


async def test_an_action_arriving_while_another_waits_still_waits_its_turn():
    api = OpenLinesApi.__new__(OpenLinesApi)
    api._turns = {}
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    gate = asyncio.Event()

    async def action(name: str, wait: asyncio.Event | None = None) -> str:
        inside.append(name)
        if len(inside) > 1:
            overlaps.append(tuple(inside))
        if wait is not None:
            await wait.wait()
        for _ in range(5):
            await asyncio.sleep(0)
        inside.remove(name)
        return name

    first = asyncio.ensure_future(api._in_turn("17", action("first", gate)))
    second = asyncio.ensure_future(api._in_turn("17", action("second")))
    await asyncio.sleep(0)
    gate.set()
    await first  # "second" is woken but may not hold the turn yet: a third comes now
    third = asyncio.ensure_future(api._in_turn("17", action("third")))
    assert await asyncio.gather(second, third) == ["second", "third"]
    assert overlaps == [] and api._turns == {}
