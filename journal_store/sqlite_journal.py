"""The embedded journal: one SQLite file in WAL mode, a writer thread and a reader thread."""
from __future__ import annotations

import os
import sqlite3
from functools import partial
from urllib.parse import quote
from typing import Any, Awaitable, Callable, Sequence

from bridge.model import Conversation, Message, MessageKind
from bridge.store import Committed, KeptEvent, RoomEntry, UnitOfWork
from journal_store import sqlite_reads as q
from journal_store.leases import StoreLeases
from journal_store.lifecycle import ThreadedJournal
from journal_store.sqlite_config import Sealer, SqliteConfig, SqliteState
from journal_store.sqlite_outbox import SqliteOutbox
from journal_store.sqlite_schema import create_schema
from journal_store.sqlite_units import apply_unit
from journal_store.sqlite_worker import SqliteWorker


class SqliteConversations:
    def __init__(self, writer: SqliteWorker, reader: SqliteWorker,
                 apply: Callable[[UnitOfWork, Any], Committed] = apply_unit) -> None:
        self._read, self._apply = reader.run, apply
        # A commit awaits the writer's future itself (SqliteWorker.submit: one coroutine layer less per
        # message); PgConversations passes its pool of workers, whose run() is awaited the same way.
        self._write: Callable[[Any], Awaitable[Any]] = getattr(writer, "submit", writer.run)

    async def commit(self, unit: UnitOfWork) -> Committed:
        committed: Committed = await self._write(partial(self._apply, unit))  # the future itself: no run() layer
        return committed

    async def conversation(self, conversation_id: str) -> Conversation:
        found: Conversation = await self._read(partial(q.conversation, conversation_id))
        return found

    async def inbound_state(self, dedupe_key: str, open_key: str) -> tuple[Message | None, Conversation | None]:
        state: tuple[Message | None, Conversation | None] = await self._read(
            partial(q.inbound_state, dedupe_key, open_key))
        return state

    async def message(self, seq: int) -> Message:
        found: Message = await self._read(partial(q.message, seq))
        return found

    async def messages_by_seq(self, seqs: Sequence[int]) -> list[Message]:
        found: list[Message] = await self._read(partial(q.messages_by_seq, list(seqs)))
        return found

    async def message_by_external(self, conversation_id: str, external_id: str) -> Message | None:
        found: Message | None = await self._read(partial(q.message_by_external, conversation_id, external_id))
        return found

    async def messages(self, conversation_id: str, *, after_seq: int = 0, before_seq: int | None = None,
                       limit: int = 100, kinds: frozenset[MessageKind] | None = None) -> list[Message]:
        found: list[Message] = await self._read(partial(
            q.messages, q.IN_CONVERSATION, (q._id(conversation_id),), after_seq, before_seq, limit, kinds))
        return found

    async def customer_messages(self, binding_id: str, customer_ref: str, *, after_seq: int = 0,
                                before_seq: int | None = None, limit: int = 100,
                                kinds: frozenset[MessageKind] | None = None) -> list[Message]:
        found: list[Message] = await self._read(partial(
            q.messages, q.OF_CUSTOMER, (binding_id, customer_ref), after_seq, before_seq, limit, kinds))
        return found

    async def conversations(self, *, line_ids: Sequence[str] | None = None, open_only: bool = True,
                            since: float | None = None, customer: tuple[str, str] | None = None,
                            limit: int = 200, after_id: str | None = None) -> list[Conversation]:
        found: list[Conversation] = await self._read(partial(
            q.conversations, line_ids, open_only, since, customer, limit, after_id))
        return found

    async def room(self, key: str) -> RoomEntry | None:
        found: RoomEntry | None = await self._read(partial(q.room, key))
        return found

    async def rooms(self) -> list[RoomEntry]:
        found: list[RoomEntry] = await self._read(q.rooms)
        return found

    async def kept_counts(self, binding_ids: Sequence[str]) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = await self._read(partial(q.kept_counts, list(binding_ids)))
        return found

    async def kept_events(self, binding_ids: Sequence[str], limit: int) -> list[KeptEvent]:
        found: list[KeptEvent] = await self._read(partial(q.kept_events, list(binding_ids), limit))
        return found


class SqliteJournal(ThreadedJournal):
    """Implements ``bridge.store.Journal``."""

    def __init__(self, path: str, *, synchronous: str = "FULL", sealer: Sealer | None = None) -> None:
        self.path = path
        self._synchronous = synchronous
        self._writer = SqliteWorker(path, connect=self._connect_writer, write=True, name="openlines-journal-w")
        self._reader = SqliteWorker(path, connect=_connect_reader, write=False, name="openlines-journal-r")
        self.conversations = SqliteConversations(self._writer, self._reader)
        self.outbox = SqliteOutbox(self._writer.run, self._reader.run)
        self.config = SqliteConfig(self._writer.run, self._reader.run, sealer or Sealer())
        self.state = SqliteState(self._writer.run, self._reader.run)
        self.leases = StoreLeases(self._writer.run)

    def _connect_writer(self, path: str) -> sqlite3.Connection:
        new = not os.path.exists(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if new:
            os.chmod(path, 0o600)  # customer data: the owner only, whatever the umask
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        create_schema(conn)
        return conn


def _connect_reader(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn
