"""The storage ports: rows in, rows out, one unit of work per decision.

The core reads what it needs, decides (``bridge.rules``), and hands the
store a ``UnitOfWork``: a new or changed conversation, new messages, owed
work (the outbox, timers included) and rooms. The store applies it in one
transaction or raises ``Conflict`` (a unique key exists, or the conversation
changed since it was read) — it never decides anything itself, so a
PostgreSQL store is the same few statements.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from bridge.leases import Leases
from bridge.model import Attachment, ChannelBinding, Conversation, Delivery, Line, Message, MessageKind
from bridge.work_kinds import conversation_lane


@dataclass(frozen=True)
class NewMessage:
    kind: MessageKind
    author: str
    text: str
    ts: float
    conversation_id: str | None = None  # None: the unit's conversation
    attachments: tuple[Attachment, ...] = ()
    edit_of: int | None = None
    external_id: str | None = None
    delivery: Delivery = Delivery.NONE
    dedupe_key: str | None = None  # unique: a second unit with the same key is a Conflict("dedupe")
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewWork:
    """Owed work: delivered in order within its lane, retried, dead-lettered."""

    kind: str  # a ``bridge.work_kinds.Work``: Work.TEAM_POST, Work.CUSTOMER_SEND, Work.TIMER_AUTOCLOSE...
    payload: Mapping[str, Any] = field(default_factory=dict)
    not_before: float = 0.0
    conversation_id: str | None = None  # None: the unit's conversation (or its message's)
    lane: str | None = None  # None: its conversation's lane for its kind (``bridge.work_kinds``)
    # The unit's message it is about (the very object in ``UnitOfWork.messages``): its seq becomes
    # payload["seq"] once stored, wherever the message sits in the unit.
    message: NewMessage | None = field(default=None, repr=False)
    replace: bool = False  # a timer: replaces the pending item of this kind and conversation

    def lane_for(self, conversation_id: str | None) -> str:
        """The lane it runs in, once its conversation is known (a new conversation's id is the store's)."""
        return self.lane or conversation_lane(self.kind, conversation_id)


@dataclass(frozen=True)
class MessageUpdate:
    seq: int
    delivery: Delivery
    external_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class RoomEntry:
    """A team-chat room, keyed by the team backend's own identity of it."""

    key: str
    conversation_id: str | None = None  # a conversation's room
    line_id: str | None = None  # a line's room (announcements)
    name: str = ""


@dataclass(frozen=True)
class KeptEvent:
    """A platform event no channel could read, kept as it came (bounded) so that nothing the
    platform believes delivered is lost; counted per (binding, kind)."""

    binding_id: str
    kind: str  # what it was, in a few words: "message", "callback_query update"…
    reason: str  # why it could not be read, in our own words (never the platform's text)
    raw: str  # the event as the platform sent it, cut to a bound
    digest: str  # unique per binding: a redelivery is kept once, else Conflict("dedupe")
    ts: float
    first_of_kind: bool = False  # also claim the kind (unique per binding), else Conflict("kind")


@dataclass
class UnitOfWork:
    conversation: Conversation | None = None  # id "": insert; else update if its version is current
    messages: list[NewMessage] = field(default_factory=list)
    work: list[NewWork] = field(default_factory=list)
    cancel: list[tuple[str, str]] = field(default_factory=list)  # (timer kind, conversation id)
    finished: list[int] = field(default_factory=list)  # work items done with this unit
    updates: list[MessageUpdate] = field(default_factory=list)
    rooms: list[RoomEntry] = field(default_factory=list)
    lease: tuple[str, float, float] | None = None  # (owner, now, until): due new work is born held by its maker
    begun: bool = False  # due new work is recorded as begun at birth (its maker runs it at once)
    leave: tuple[str, ...] = ()  # kinds (prefixes, "team.") another process runs: their work is born unheld
    # (conversation id, open key): applied only while that conversation is still the key's open one,
    # else Conflict("open") — lets a message go into a conversation known from memory, safely.
    open_as: tuple[str, str] | None = None
    kept: KeptEvent | None = None
    # (conversation id, seq): applied only while no customer message came after that seq, else
    # Conflict("version") — a close for the customer's silence never overtakes their new message.
    quiet_after: tuple[str, int] | None = None

    def position(self, message: NewMessage) -> int:
        """Where a work item's message sits among the unit's messages (the same object, not an equal one)."""
        for index, candidate in enumerate(self.messages):
            if candidate is message:
                return index
        raise ValueError("work refers to a message that is not in its unit")

    @property
    def empty(self) -> bool:
        """Nothing to write (a decision that changes nothing)."""
        return not (self.conversation or self.messages or self.work or self.cancel or self.finished
                    or self.updates or self.rooms or self.kept)


@dataclass(frozen=True)
class WorkItem:
    id: int
    kind: str
    lane: str
    conversation_id: str | None
    payload: Mapping[str, Any]
    not_before: float
    attempts: int = 0
    recovered: bool = False  # a handler began it before a restart: it may have been done already
    begun: bool = False  # the store already records it as begun
    held: bool = True  # this process holds it (another process may hold its lane: then it waits for that one)
    # The message it is about, as this process just stored it (never stored itself): spares a read.
    message: Message | None = field(default=None, compare=False, repr=False)

    def about(self, message: Message) -> "WorkItem":
        """This item carrying ``message``. A copy of its fields, whatever they are: once per message on
        the accept path, where ``dataclasses.replace`` (which runs ``__init__`` again) costs ten times more."""
        carried = object.__new__(WorkItem)
        carried.__dict__.update(self.__dict__, message=message)
        return carried


@dataclass(frozen=True)
class Committed:
    conversation: Conversation | None
    messages: list[Message]
    work: list[WorkItem]


class ConversationStore(Protocol):
    async def commit(self, unit: UnitOfWork) -> Committed: ...

    async def conversation(self, conversation_id: str) -> Conversation:
        """Raises NotFound."""

    async def inbound_state(self, dedupe_key: str, open_key: str) -> tuple[Message | None, Conversation | None]:
        """The message stored under ``dedupe_key`` and the open conversation under ``open_key``
        (an empty key asks for nothing: None on that side)."""

    async def message(self, seq: int) -> Message:
        """Raises NotFound."""

    async def messages_by_seq(self, seqs: Sequence[int]) -> list[Message]:
        """The messages with these seqs (those that exist), in seq order."""

    async def message_by_external(self, conversation_id: str, external_id: str) -> Message | None: ...

    async def messages(self, conversation_id: str, *, after_seq: int = 0, before_seq: int | None = None,
                       limit: int = 100, kinds: frozenset[MessageKind] | None = None) -> list[Message]:
        """The newest ``limit`` messages in the range, oldest first."""

    async def customer_messages(self, binding_id: str, customer_ref: str, *, after_seq: int = 0,
                                before_seq: int | None = None, limit: int = 100,
                                kinds: frozenset[MessageKind] | None = None) -> list[Message]:
        """Across the customer's conversations on the channel: newest ``limit``, oldest first."""

    async def conversations(self, *, line_ids: Sequence[str] | None = None, open_only: bool = True,
                            since: float | None = None, customer: tuple[str, str] | None = None,
                            limit: int = 200, after_id: str | None = None) -> list[Conversation]:
        """Oldest first; ``customer`` is (binding id, customer ref); ``after_id`` pages on from that id."""

    async def room(self, key: str) -> RoomEntry | None: ...

    async def rooms(self) -> list[RoomEntry]: ...

    async def kept_counts(self, binding_ids: Sequence[str]) -> dict[tuple[str, str], int]:
        """How many unreadable events were kept, per (binding id, kind)."""

    async def kept_events(self, binding_ids: Sequence[str], limit: int) -> list[KeptEvent]:
        """The newest ``limit`` unreadable events kept of these bindings, newest first."""


class OutboxStore(Protocol):
    async def lease_due(self, owner: str, now: float, until: float, limit: int,
                        leave: tuple[str, ...] = ()) -> list[WorkItem]:
        """Pending items due by ``now`` that nobody holds (or whose lease ran out), now held by ``owner``;
        none of the kinds in ``leave`` (prefixes: another process runs them)."""

    async def started(self, ids: Sequence[int]) -> None:
        """Handlers began these: after a crash they may have been done already."""

    async def renew(self, owner: str, ids: Sequence[int], until: float) -> None: ...

    async def reschedule(self, item_id: int, not_before: float, attempts: int, error: str) -> None:
        """Failed for now: due again at ``not_before``, lease released."""

    async def bury(self, item_id: int, attempts: int, error: str) -> None:
        """Given up: kept as dead, counted by the health check."""

    async def release(self, owner: str) -> None:
        """Let go of everything ``owner`` held (a restart of that owner)."""

    async def next_due(self) -> float | None: ...

    async def dead_count(self) -> int: ...

    async def customer_backlog(self) -> dict[str, int]:
        """Messages waiting to reach their customers, per binding id."""


class ConfigStore(Protocol):
    async def lines(self) -> list[Line]: ...

    async def save_line(self, line: Line) -> None: ...

    async def bindings(self) -> list[ChannelBinding]: ...

    async def save_binding(self, binding: ChannelBinding) -> None: ...

    async def delete_binding(self, binding_id: str) -> None: ...

    async def version(self) -> int:
        """A counter every line or binding change moves in its own transaction (0 before any)."""

    async def audit(self, ts: float, actor: str, line_id: str | None, action: str, detail: str) -> None:
        """Record a configuration or rights change (secrets already masked by the caller)."""

    async def audit_entries(self, line_id: str | None, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (of one line, or all), oldest first."""


class StateStore(Protocol):
    """Small durable state per (slot, key): a channel's per-customer state (references, reply
    windows) under its binding id and the customer, the core's own under reserved slots."""

    async def get(self, binding_id: str, customer_ref: str) -> dict[str, Any]: ...

    async def put(self, binding_id: str, customer_ref: str, data: dict[str, Any]) -> None: ...

    async def update(self, binding_id: str, customer_ref: str,
                     change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Apply ``change`` (a quick, pure function: old record -> new record) in one transaction, so a
        change made meanwhile elsewhere is never overwritten; the record as stored is returned.
        Every read-then-write of a record goes through here, never ``get`` then ``put``."""


class Journal(Protocol):
    """Everything durable, opened from a URL (``journal_store.open_journal``)."""

    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def config(self) -> ConfigStore: ...

    @property
    def state(self) -> StateStore: ...

    @property
    def leases(self) -> Leases: ...

    async def writable(self) -> bool:
        """Whether a write commits right now (the health check)."""

    def close(self) -> None: ...
