"""The message journal: where conversations and messages are stored first.

The journal is also the durable outbox. A message's ``to_team`` and
``to_customer`` states say what is still to deliver; a conversation's
``room``, ``crm`` and ``transcript`` states say which side effects are still
owed. After a crash, ``pending_work`` hands all of it back to the dispatcher.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from bridge.channels import InboundMessage
from bridge.model import ChannelBinding, Conversation, Delivery, Line, Message, MessageKind


@dataclass(frozen=True)
class Accepted:
    conversation: Conversation
    message: Message
    created: bool  # the message opened a new conversation
    duplicate: bool  # the message was stored before; nothing was stored now
    welcome: Message | None = None


@dataclass(frozen=True)
class Closed:
    conversation: Conversation
    closing: Message | None


@dataclass(frozen=True)
class Replied:
    conversation: Conversation
    message: Message
    claimed: Message | None  # the "X answers" notice when the reply claimed the conversation


@dataclass
class PendingWork:
    rooms: list[Conversation] = field(default_factory=list)
    crm: list[Conversation] = field(default_factory=list)
    transcripts: list[Conversation] = field(default_factory=list)
    team: list[Message] = field(default_factory=list)
    customer: list[Message] = field(default_factory=list)


class Journal(Protocol):
    async def accept_inbound(
        self, binding: ChannelBinding, inbound: InboundMessage, *, welcome: str, now: float
    ) -> Accepted: ...

    async def add_message(
        self, conversation_id: str, kind: MessageKind, author: str, text: str, *, now: float
    ) -> Message:
        """Store a message written on the team side (refused on a closed conversation)."""

    async def add_reply(
        self, conversation_id: str, operator: str, text: str, *, now: float,
        check: Callable[[Conversation], None],
    ) -> Replied:
        """Store an operator's reply; ``check`` may refuse; a queued conversation is claimed."""

    async def claim(self, conversation_id: str, operator: str) -> tuple[Conversation, bool]:
        """Give a queued conversation to ``operator`` atomically; Refused if someone has it.

        The flag says whether this call took it (False: ``operator`` already had it).
        """

    async def close(
        self, conversation_id: str, *, reason: str, closing_text: str, now: float
    ) -> Closed: ...

    async def get_conversation(self, conversation_id: str) -> Conversation: ...

    async def open_conversation_of(self, binding_id: str, customer_ref: str) -> Conversation | None: ...

    async def customer_history(
        self, binding_id: str, customer_ref: str, after_seq: int, limit: int
    ) -> list[Message]: ...

    async def transcript(self, conversation_id: str) -> list[Message]: ...

    async def mark_team(self, seqs: list[int], state: Delivery, error: str | None = None) -> None: ...

    async def mark_customer(
        self, seq: int, state: Delivery, *, attempts: int, error: str | None = None
    ) -> None: ...

    async def mark_room_ready(self, conversation_id: str) -> None: ...

    async def mark_crm_linked(self, conversation_id: str, contact_id: str) -> None: ...

    async def mark_transcript_attached(self, conversation_id: str) -> None: ...

    async def pending_work(self) -> PendingWork: ...


class LineDirectory(Protocol):
    """Lines and their channel bindings (configuration, not message traffic)."""

    async def lines(self) -> list[Line]: ...

    async def line(self, line_id: str) -> Line: ...

    async def save_line(self, line: Line) -> None: ...

    async def bindings(self) -> list[ChannelBinding]: ...

    async def save_binding(self, binding: ChannelBinding) -> None: ...
