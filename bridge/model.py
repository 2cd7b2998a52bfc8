"""The domain vocabulary: Line, ChannelBinding, Conversation, Participant, Message.

Statuses and kinds are ``StrEnum``s: each member is its stored value (the journal, JSON and
comparisons see the same strings as before)."""
from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from bridge.line_settings import LineSettings


class ConversationStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for an operator
    ACTIVE = "active"  # an operator answers it
    CLOSED = "closed"


class MessageKind(enum.StrEnum):
    INBOUND = "inbound"  # the customer wrote it
    REPLY = "reply"  # an operator wrote it for the customer
    AUTO = "auto"  # an automatic reply (welcome, closing...) for the customer
    WHISPER = "whisper"  # operators among themselves, inside the conversation
    NOTICE = "notice"  # a note from Open Lines for the team only


class Delivery(enum.StrEnum):
    """Where a message for the customer stands."""

    NONE = "none"  # nothing to deliver (not for the customer)
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Role(enum.StrEnum):
    ADMIN = "admin"  # configures the line
    SUPERVISOR = "supervisor"  # sees and acts on every conversation of the line
    OPERATOR = "operator"  # answers what the line gives them


@dataclass(frozen=True)
class Line:
    id: str  # slug, used in room names: "support"
    name: str  # shown to customers and operators: "Support"
    settings: LineSettings = field(default_factory=LineSettings)
    operators: tuple[str, ...] = ()  # in queue order
    supervisors: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    enabled: bool = True
    deleted: bool = False  # history kept; no new conversations
    quick: tuple[tuple[str, str], ...] = ()  # canned answers: (name, text)

    def people(self, role: Role) -> tuple[str, ...]:
        return {Role.ADMIN: self.admins, Role.SUPERVISOR: self.supervisors, Role.OPERATOR: self.operators}[role]

    def has_role(self, person: str, role: Role) -> bool:
        return person in self.people(role)

    def with_people(self, role: Role, people: tuple[str, ...]) -> "Line":
        if role is Role.ADMIN:
            return replace(self, admins=people)
        if role is Role.SUPERVISOR:
            return replace(self, supervisors=people)
        return replace(self, operators=people)


@dataclass(frozen=True)
class ChannelBinding:
    """A line's connection to one platform: public settings and secrets kept apart."""

    line_id: str
    kind: str  # "webchat", "telegram", ...
    key: str  # the binding's public key on its platform (the widget id, the bot...)
    label: str = ""  # what operators see: "Website chat"
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)  # never shown, never logged
    enabled: bool = True

    @functools.cached_property  # read several times per message: once per binding (fields are frozen)
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Attachment:
    kind: str  # "image", "file", "sticker", "audio", "video"
    url: str = ""  # where it can be fetched (ours or the platform's)
    name: str = ""
    size: int | None = None
    content_type: str = ""
    ref: str = ""  # the platform's own handle (a Telegram file_id...)

    def describe(self) -> str:
        return self.name or self.kind


class ParticipantRole(enum.StrEnum):
    OWNER = "owner"  # the operator who has the conversation
    INVITED = "invited"  # a colleague brought in


class Rating(enum.StrEnum):
    """How the customer rated a closed conversation."""

    GOOD = "good"
    BAD = "bad"


@dataclass(frozen=True)
class Participant:
    """An employee in a conversation: its owner, or a colleague invited in."""

    person: str
    role: ParticipantRole = ParticipantRole.OWNER
    since_seq: int = 0  # invited without history: sees messages after this seq only


def open_key_of(binding_id: str, customer_ref: str, thread: str | None = None) -> str:
    """At most one open conversation per customer (or comment thread) and channel."""
    return f"{binding_id}|{thread or customer_ref}"


@dataclass(frozen=True)
class Conversation:
    id: str
    line_id: str
    binding_id: str
    customer_ref: str  # the customer's identity on the channel
    customer_name: str
    status: ConversationStatus
    created_at: float
    customer_email: str | None = None
    customer_language: str | None = None  # "fr", "pt-BR": picks the line's texts in that language
    customer_named: bool = True  # False: customer_name is the channel's stand-in ("Visitor 4F2AX")
    preview: str = ""  # the first message, shortened: what lists and announcements show
    thread: str | None = None  # a platform thread (a comment thread) this conversation is
    owner: str | None = None
    participants: tuple[Participant, ...] = ()
    offered_to: tuple[str, ...] = ()  # operators it is offered to now (queue modes)
    passed: tuple[str, ...] = ()  # operators it was offered to in this round and who let it pass
    waited: bool = False  # the customer was told to wait (once per conversation)
    pinned_until: float | None = None
    spam: bool = False
    whisper_mode: bool = False  # plain messages in its room stay internal
    contact_id: str | None = None
    first_answer_at: float | None = None
    last_customer_at: float | None = None
    closed_at: float | None = None
    close_reason: str | None = None
    customer_rating: Rating | None = None
    supervisor_rating: int | None = None  # 1-5
    rating_comment: str = ""
    version: int = 0  # bumped by every change: the store refuses a stale update

    @property
    def is_open(self) -> bool:
        return self.status is not ConversationStatus.CLOSED

    @property
    def waiting(self) -> bool:
        """Open, nobody has it, and it may be offered (a marked spammer's is kept, never offered)."""
        return self.is_open and self.owner is None and not self.spam

    def participant(self, person: str) -> Participant | None:
        return next((p for p in self.participants if p.person == person), None)

    @property
    def open_key(self) -> str:
        return open_key_of(self.binding_id, self.customer_ref, self.thread)


@dataclass(frozen=True)
class Message:
    seq: int  # journal order; unique and increasing across all conversations
    conversation_id: str
    kind: MessageKind
    author: str  # customer name, operator id, or "" for automatic replies
    text: str
    ts: float
    attachments: tuple[Attachment, ...] = ()
    edit_of: int | None = None  # the seq of the message this one edits
    external_id: str | None = None  # the platform's id (received, or returned by a send)
    delivery: Delivery = Delivery.NONE
    error: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)  # per-channel extras (a reply's target...)
