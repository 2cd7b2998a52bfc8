"""The domain vocabulary: Line, ChannelBinding, Conversation, Message, Operator."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


class ConversationStatus(str, enum.Enum):
    QUEUED = "queued"  # waiting for an operator
    ACTIVE = "active"  # an operator answers it
    CLOSED = "closed"


class MessageKind(str, enum.Enum):
    INBOUND = "inbound"  # the customer wrote it
    REPLY = "reply"  # an operator wrote it for the customer
    AUTO = "auto"  # an automatic reply (welcome, closing) for the customer
    NOTICE = "notice"  # a note for the team only

    @property
    def to_customer(self) -> bool:
        return self in (MessageKind.REPLY, MessageKind.AUTO)


class Delivery(str, enum.Enum):
    NONE = "none"  # nothing to deliver on that side
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Operator:
    id: str  # the team-chat person, as the team-chat backend spells it
    name: str = ""

    @property
    def display(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Line:
    id: str  # slug, used in room names: "support"
    name: str  # shown to customers and operators: "Support"
    welcome_text: str = ""
    closing_text: str = ""
    operators: tuple[str, ...] = ()
    enabled: bool = True

    def is_operator(self, person: str) -> bool:
        return person in self.operators


@dataclass(frozen=True)
class ChannelBinding:
    """A line's connection to one platform, with that platform's settings."""

    line_id: str
    kind: str  # "webchat", "telegram", ...
    key: str  # public key of the binding on its platform (the widget id, the bot...)
    label: str = ""  # what operators see: "Website chat"
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


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
    operator: str | None = None
    contact_id: str | None = None
    closed_at: float | None = None
    close_reason: str | None = None

    @property
    def room_name(self) -> str:
        """Team-chat room of the conversation: named after its line and its id."""
        return f"{self.line_id}-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status is not ConversationStatus.CLOSED


@dataclass(frozen=True)
class Message:
    seq: int  # journal order; unique and increasing across all conversations
    conversation_id: str
    kind: MessageKind
    author: str  # customer name, operator id, or "" for automatic replies
    text: str
    ts: float
    to_team: Delivery = Delivery.NONE
    to_customer: Delivery = Delivery.NONE
    error: str | None = None
