"""The console's rooms, their members and their messages, kept in the console's SQLite file
(or PostgreSQL: ``backends.team.console.store``).

Thread-safe: Errbot sends from its command threads, the core from its pool, the pages from
the console's store threads (never the event loop: see ``offload``). Every change is written,
then handed to ``publish`` or ``publish_many`` (which must not block: the hub forwards it to
the loop). Two locks: the connection's, held across I/O; and the rooms in memory's, never
held across I/O, so reading a room's members or topic never waits for a slow write.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from backends.team.console.store import dialect, insert_messages, open_store

SCHEMA = """
create table if not exists rooms (name text primary key, topic text not null default '',
    members text not null default '[]', created real not null);
create table if not exists messages (id integer primary key, room text not null, body text not null);
create index if not exists messages_room on messages(room, id);
create table if not exists reads (login text not null, room text not null, seen integer not null,
    primary key (login, room));
create table if not exists said (login text not null, client_id text not null, message integer not null,
    primary key (login, client_id));
create table if not exists unhandled (message integer primary key, login text not null,
    client_id text not null, text text not null);
create table if not exists forgotten (login text primary key, at real not null);
"""
PAGE = 100


@dataclass
class RoomState:
    name: str
    topic: str = ""
    members: set[str] = field(default_factory=set)  # logins

    @property
    def direct(self) -> bool:
        """A direct chat between one employee and the bot is named ``@login``."""
        return self.name.startswith("@")


Publish = Callable[[str, dict[str, Any]], None]  # (event, data): "room" {name} or "message" {frame}
PublishMany = Callable[[list[tuple[str, dict[str, Any]]]], None]  # events in order, in one hand-over


class RoomBook:
    def __init__(self, path: str, publish: Publish | None = None, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()  # the connection's: taken first, held across I/O
        self._state = threading.Lock()  # ``_rooms``': taken inside ``_lock`` or alone, never across I/O
        self._db = open_store(path)
        self._db.executescript("pragma journal_mode=wal; pragma synchronous=normal;" + SCHEMA)
        # Who wrote a message, for the unread count: read out of its JSON frame, each dialect its way.
        self._author = ("body::jsonb #>> '{from,login}'" if dialect(self._db) == "postgresql"
                        else "json_extract(body, '$.from.login')")
        self.publish: Publish = publish or (lambda event, data: None)
        self.publish_many: PublishMany = self._publish_each  # the hub's takes a batch in one hand-over
        self.clock = clock
        self._rooms = {name: RoomState(name, topic, set(json.loads(members)))
                       for name, topic, members in self._db.execute("select name, topic, members from rooms")}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _publish_each(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event, data in events:
            self.publish(event, data)

    # -- rooms --------------------------------------------------------------------------
    def create(self, name: str) -> RoomState:
        """The room, made if new (and only then announced: pages re-read a room they are told of)."""
        room, made = self._room(name)
        if made:
            self.publish("room", {"name": name})
        return room

    def _room(self, name: str) -> tuple[RoomState, bool]:
        with self._state:
            room = self._rooms.get(name)
        if room is not None:
            return room, False
        with self._lock:
            with self._state:
                room = self._rooms.get(name)  # made by another thread while this one waited
            if room is not None:
                return room, False
            room = RoomState(name, members={name[1:]} if name.startswith("@") else set())
            self._db.execute("insert into rooms values(?,?,?,?)", (name, "", json.dumps(sorted(room.members)),
                                                                   self.clock()))
            with self._state:
                self._rooms[name] = room
            return room, True

    def exists(self, name: str) -> bool:
        with self._state:
            return name in self._rooms

    def get(self, name: str) -> RoomState | None:
        with self._state:
            room = self._rooms.get(name)
            return RoomState(room.name, room.topic, set(room.members)) if room else None

    def names(self) -> list[str]:
        with self._state:
            return sorted(self._rooms)

    def topic(self, name: str) -> str:
        with self._state:
            room = self._rooms.get(name)
            return room.topic if room else ""

    def set_topic(self, name: str, topic: str) -> None:
        with self._lock:
            room = self._room(name)[0]
            self._db.execute("update rooms set topic=? where name=?", (topic, name))
            with self._state:
                room.topic = topic
        self.publish("room", {"name": name})

    def occupants(self, name: str) -> list[str]:
        with self._state:
            room = self._rooms.get(name)
            return sorted(room.members) if room else []

    def add(self, name: str, login: str) -> None:
        self._members(name, lambda members: members.add(login))

    def remove(self, name: str, login: str) -> None:
        self._members(name, lambda members: members.discard(login))

    def _members(self, name: str, change: Callable[[set[str]], None]) -> None:
        with self._lock:
            room = self._room(name)[0]
            with self._state:
                members = set(room.members)
            change(members)  # on a copy: readers see the members before or after, never half-way
            self._db.execute("update rooms set members=? where name=?", (json.dumps(sorted(members)), name))
            with self._state:
                room.members = members
        self.publish("room", {"name": name})

    def leave_bot(self, name: str) -> None:
        """The bot is in every room it knows: leaving is destroying (Errbot's `!room leave`)."""
        self.destroy(name)

    def destroy(self, name: str) -> None:
        with self._lock:
            if not self.exists(name):
                return
            self._db.execute("delete from rooms where name=?", (name,))
            with self._state:
                self._rooms.pop(name, None)
        self.publish("room", {"name": name, "gone": True})

    def forget(self, login: str) -> None:
        """Everything the console kept of a removed account: its direct chat, where it was, what it read.
        A new account of the same login starts from nothing."""
        direct = f"@{login}"
        with self._lock:
            self._db.execute("begin immediate")
            try:
                self._db.execute("delete from messages where room=?", (direct,))
                self._db.execute("delete from rooms where name=?", (direct,))
                self._db.execute("delete from reads where login=?", (login,))
                self._db.execute("delete from said where login=?", (login,))
                self._db.execute("delete from unhandled where login=?", (login,))
                self._db.execute("insert into forgotten values(?,?) on conflict(login) do update set at=excluded.at",
                                 (login, self.clock()))
                with self._state:
                    theirs = [(r.name, set(r.members)) for r in self._rooms.values() if login in r.members]
                for name, members in theirs:
                    self._db.execute("update rooms set members=? where name=?",
                                     (json.dumps(sorted(members - {login})), name))
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
            with self._state:
                self._rooms.pop(direct, None)
                for room in self._rooms.values():
                    room.members = room.members - {login}
        self.publish("room", {"name": direct, "gone": True})

    def forgotten_at(self, login: str) -> float | None:
        """When an account of this login was removed (its conversations still name it), or None."""
        with self._lock:
            row = self._db.execute("select at from forgotten where login=?", (login,)).fetchone()
        return float(row[0]) if row else None

    def welcome_back(self, login: str) -> None:
        """The same person is given their login again."""
        with self._lock:
            self._db.execute("delete from forgotten where login=?", (login,))

    def rooms_of(self, login: str) -> list[str]:
        with self._state:
            return sorted(n for n, r in self._rooms.items() if login in r.members)

    # -- messages ---------------------------------------------------------------------------
    def append(self, name: str, frame: dict[str, Any], live: dict[str, Any] | None = None) -> dict[str, Any]:
        """Store a message frame in ``name`` (created if need be), give it an id and a time, publish it.
        ``live`` replaces fields of what the open pages get, never of what is stored: a sign-in
        link is shown once, to whoever is there, and kept masked."""
        return self.append_once(name, frame, live=live)[0]

    def append_once(self, name: str, frame: dict[str, Any], said_by: tuple[str, str] | None = None,
                    live: dict[str, Any] | None = None, unhandled: str | None = None) -> tuple[dict[str, Any], bool]:
        """``append``, once per ``said_by`` (login, the page's client id): a page resending what it never
        heard back about gets the stored message, and nothing is stored or published again.
        ``unhandled``: the text as typed, for Open Lines — kept until ``handled`` (see ``unhandled``).
        Returns (the message, whether it is new)."""
        with self._lock:
            if said_by is not None and (kept := self.said(*said_by)) is not None:
                return kept, False
            if not self.exists(name):
                self.create(name)
            frame = {**frame, "room": name, "ts": self.clock()}
            self._db.execute("begin")
            try:
                frame["id"] = self._db.execute("insert into messages(room, body) values(?, ?) returning id",
                                               (name, json.dumps(frame))).fetchone()[0]
                if said_by is not None:
                    self._db.execute("insert into said values(?,?,?)", (*said_by, frame["id"]))
                    if unhandled is not None:
                        self._db.execute("insert into unhandled values(?,?,?,?)", (frame["id"], *said_by, unhandled))
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        self.publish("message", {**frame, **(live or {})})
        return frame, True

    def append_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """``append`` for many messages (a round of posts): every row in one ``executemany`` in one
        transaction (all are stored, or none), then the pages told of them in one go."""
        with self._lock:
            with self._state:
                new = {name for name, _ in items} - self._rooms.keys()
            for name in sorted(new):  # made (and announced) before their messages
                self.create(name)
            now = self.clock()
            frames = [{**frame, "room": name, "ts": now} for name, frame in items]
            self._db.execute("begin immediate")  # the ids are taken and used in one write transaction
            try:
                ids = insert_messages(self._db, frames)
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
            for id_, frame in zip(ids, frames):
                frame["id"] = id_
        self.publish_many([("message", frame) for frame in frames])

    def said(self, login: str, client_id: str) -> dict[str, Any] | None:
        """The message ``login`` sent from a page with ``client_id``, if it was kept."""
        with self._lock:
            row = self._db.execute("select m.id, m.body from said s join messages m on m.id = s.message "
                                   "where s.login=? and s.client_id=?", (login, client_id)).fetchone()
        return {**json.loads(row[1]), "id": row[0]} if row else None

    def handled(self, message: int) -> None:
        """Open Lines dealt with the message (sent it, or told the room why not)."""
        with self._lock:
            self._db.execute("delete from unhandled where message=?", (message,))

    def unhandled(self) -> list[tuple[dict[str, Any], str, str]]:
        """Messages kept (and acknowledged to the page) that Open Lines may not have dealt with when the
        process stopped: (the message, the client id, the text as typed), oldest first."""
        with self._lock:
            rows = self._db.execute("select m.id, m.body, u.client_id, u.text from unhandled u "
                                    "join messages m on m.id = u.message order by m.id").fetchall()
        return [({**json.loads(body), "id": id_}, client_id, text) for id_, body, client_id, text in rows]

    def history(self, name: str, before: int | None = None, limit: int = PAGE) -> list[dict[str, Any]]:
        """The newest ``limit`` messages of the room before id ``before``, oldest first."""
        with self._lock:
            rows = self._db.execute("select id, body from messages where room=? and id<? order by id desc limit ?",
                                    (name, before or 2 ** 62, limit)).fetchall()
        return [{**json.loads(body), "id": id_} for id_, body in reversed(rows)]

    def mark_read(self, login: str, name: str, seen: int) -> None:
        with self._lock:
            self._db.execute("insert into reads values(?,?,?) on conflict(login, room) do update "
                             "set seen=case when excluded.seen > reads.seen then excluded.seen else reads.seen end",
                             (login, name, seen))

    def unread(self, login: str, name: str) -> int:
        """Messages in the room after what ``login`` last read, not counting their own (at most 99+)."""
        with self._lock:
            row = self._db.execute("select seen from reads where login=? and room=?", (login, name)).fetchone()
            seen = row[0] if row else 0
            return int(self._db.execute(
                "select count(*) from (select 1 from messages where room=? and id>? "
                f"and {self._author} is distinct from ? limit 100) mine", (name, seen, login)).fetchone()[0])
