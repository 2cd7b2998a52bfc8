"""Which open console page gets what, decided by the rights of the moment.

Every change of the room book (a message, a room, a signal) is delivered in
order by one task: each page whose login may see that room now gets it; a
page whose login lost the right is told the room is gone and gets nothing
more of it. Rights also end without a word in the room (a revoke, or a change
made by another process), so every page's rooms are looked at again every
``SWEEP`` seconds. The room book's I/O runs on the store threads, never on the loop.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from backends.team.console.access import RoomAccess, RoomView
from backends.team.console.offload import StoreThreads
from backends.team.console.rooms import RoomBook

if TYPE_CHECKING:
    from backends.team.console.hub import Client

log = logging.getLogger(__name__)
GLANCE_DELAY = 0.3
SWEEP = 2.0  # seconds between two checks of every open page's rooms against the rights


class Membership:
    def __init__(self, book: RoomBook, access: RoomAccess, clients: set[Client],
                 loop: asyncio.AbstractEventLoop, store: StoreThreads) -> None:
        self.book, self.access, self.clients, self.loop, self.store = book, access, clients, loop, store
        self._glance: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._events: list[tuple[str, dict[str, Any]]] = []  # for the deliverer, in order
        self._deliverer: asyncio.Task[None] | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        self.on_events([(event, data)])

    def on_events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Events are delivered in order, by one task: who gets each is asked of the rights first."""
        self._events += events
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = self.loop.create_task(self._deliver())
        self.keep_sweeping()

    def keep_sweeping(self) -> None:
        """Rights also end without a word in the room (a revoke, another process): look again now and then."""
        if self._sweeper is None and self.clients:
            self._sweeper = self.loop.call_later(SWEEP, self._sweep_due)

    def _sweep_due(self) -> None:
        self._sweeper = None
        self.on_event("sweep", {})

    def _spawn(self, coro: Any) -> None:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self) -> None:
        while self._events:
            batch, self._events = self._events, []
            views: dict[str, RoomView] = {}  # read once per room for the batch: after all of it was published
            for event, data in batch:
                try:
                    await self._handle(event, data, views)
                except Exception:  # one event lost for the pages (they reload it); never the delivery task
                    log.exception("console event %s not delivered", event)

    def push_in_turn(self, client: Client, frame: dict[str, Any]) -> None:
        """``frame`` to one page once what was published before it was delivered (an ack after its message)."""
        self.on_event("push", {"client": client, "frame": frame})

    async def _handle(self, event: str, data: dict[str, Any], views: dict[str, RoomView]) -> None:
        if event == "sweep":
            return await self._sweep()
        if event == "push":
            data["client"].push(data["frame"])
            return None
        if not self.clients:  # no page open: nobody to tell (a page that opens reads the room book)
            return None
        key = data["name"] if event == "room" else data["room"]
        if event == "room":
            views.pop(key, None)  # its members may have changed
            if data.get("gone"):
                for client in list(self.clients):
                    await self.leave(client, key, gone=True)
                return self.glance_soon()
        if key not in views:
            views[key] = await self.view(key)
        view = views[key]
        for client in list(self.clients):
            if client.login not in view.allowed:
                await self.leave(client, key)
            elif key not in client.rooms:
                if view.lists(client.login) and event != "signal":
                    await self.join(client, key)  # its history holds this message
            elif event == "message":
                client.push_live(key, {"type": "message", **data})
            elif event == "signal":
                client.push({"type": data["kind"], "room": key, "who": "customer", **data["data"]})
            elif event == "room":
                client.push({"type": "room", **await self.summary(client.login, key)})
            if view.closed and key in client.rooms and key not in client.told_closed:
                client.told_closed.add(key)  # still readable on this page, no longer listed
                client.push({"type": "room_gone", "room": key, "closed": True})
        if self._glance is None and not key.startswith("@") and event != "signal":
            self.glance_soon()

    async def view(self, key: str, logins: set[str] | None = None) -> RoomView:
        room = self.book.get(key)
        if room is None:
            return RoomView(set())
        return await self.access.view(key, logins if logins is not None else {c.login for c in self.clients},
                                      room.members)

    async def join(self, client: Client, key: str) -> None:
        """The room shows on the page, with what was said before they were in it."""
        client.rooms.add(key)
        client.told_closed.discard(key)
        client.push({"type": "room", **await self.summary(client.login, key)})
        messages = await self.store.run(self.book.history, key)  # the deliverer waits: no message overtakes it
        client.push({"type": "history", "room": key, "messages": messages, "more": False})

    async def leave(self, client: Client, key: str, gone: bool = False) -> None:
        """Their right ended (or the room is gone): nothing more of it reaches them, and the page drops it."""
        if key not in client.rooms:
            return
        client.rooms.discard(key)
        client.push({"type": "room_gone", "room": key})
        if not gone and client.login in self.book.occupants(key):
            await self.store.run(self.book.remove, key, client.login)

    async def _sweep(self) -> None:
        """Every page's rooms against the rights of now: drop what they lost, add what they gained."""
        logins = {c.login for c in self.clients}
        listed = await self.access.listed(logins, {login: set(self.book.rooms_of(login)) for login in logins})
        for key in {key for c in self.clients for key in c.rooms if not key.startswith("@")}:
            view = await self.view(key, logins)
            for client in list(self.clients):
                if client.login not in view.allowed:
                    await self.leave(client, key)
                elif view.closed and key in client.rooms and key not in client.told_closed:
                    client.told_closed.add(key)
                    client.push({"type": "room_gone", "room": key, "closed": True})
        for client in list(self.clients):
            for key in sorted(listed.get(client.login, set()) - client.rooms):
                await self.join(client, key)

    def glance_soon(self) -> None:
        if self._glance is None:
            self._glance = self.loop.call_later(GLANCE_DELAY, lambda: self._spawn(self._send_glance()))

    async def _send_glance(self) -> None:
        self._glance = None
        glances = await self.access.glance({c.login for c in self.clients})
        for client in list(self.clients):
            if client.login in glances:
                client.push({"type": "glance", "conversations": glances[client.login]})

    async def summary(self, login: str, key: str) -> dict[str, Any]:
        kind, ref = await self.access.kind(key)
        unread = await self.store.run(self.book.unread, login, key)
        return {"room": key, "kind": kind, "topic": self.book.topic(key), "unread": unread,
                "conversation": ref if kind == "conversation" else None}

    async def listing(self, login: str) -> set[str]:
        """The rooms a page of ``login`` lists when it opens."""
        direct = f"@{login}"
        joined = set(self.book.rooms_of(login)) - {direct}
        listed = (await self.access.listed([login], {login: joined}))[login]
        for key in sorted(joined - listed):  # rooms that are not Open Lines' own: by membership
            if (await self.access.kind(key))[0] == "room" and (await self.view(key, {login})).lists(login):
                listed.add(key)
        return {direct, *listed}

    async def may_see(self, client: Client, room: str) -> bool:
        """Asked of the rights at every read: a right may have ended since the room was listed."""
        if (await self.view(room, {client.login})).allowed:
            return True
        await self.leave(client, room)
        return False

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
