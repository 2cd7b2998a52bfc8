"""How a conversation changes: pure functions from one state to the next.

The services read, call these, and hand the result to the store with the
version they read; a concurrent change makes the store refuse, and the
service decides again on fresh state. That is what makes a claim atomic.
"""
from __future__ import annotations

from dataclasses import replace

from bridge.errors import Refused
from bridge.model import ChannelBinding, Conversation, ConversationStatus, Participant, ParticipantRole


def dedupe_key(binding_id: str, customer_ref: str, external_id: str) -> str:
    """A platform id is unique per channel and customer: a redelivery carries the same. Ids are
    opaque (a Direct Line conversation id holds "|"): the customer's is escaped, so that no two
    (customer, id) pairs give one key; ids without "|" or "\\" keep the key they always had."""
    customer = customer_ref.replace("\\", "\\\\").replace("|", "\\|")
    return f"{binding_id}|{customer}|{external_id}"


def new_conversation(binding: ChannelBinding, customer_ref: str, name: str, email: str | None,
                     now: float, thread: str | None = None, preview: str = "") -> Conversation:
    return Conversation(id="", line_id=binding.line_id, binding_id=binding.id, customer_ref=customer_ref,
                        customer_name=name or "Customer", customer_email=email, status=ConversationStatus.QUEUED,
                        created_at=now, thread=thread, last_customer_at=now, preview=preview)


def require_open(conversation: Conversation) -> None:
    if not conversation.is_open:
        raise Refused(f"conversation {conversation.id} is closed")


def claimed(conversation: Conversation, person: str, now: float) -> Conversation:
    """``person`` owns it from now on; Refused if somebody else does."""
    require_open(conversation)
    if conversation.owner == person:
        return conversation
    if conversation.owner is not None:
        raise Refused(f"conversation {conversation.id} is already answered by {conversation.owner}")
    return replace(conversation, owner=person, status=ConversationStatus.ACTIVE, offered_to=(), passed=(),
                   participants=_with(conversation.participants, Participant(person, ParticipantRole.OWNER)),
                   first_answer_at=conversation.first_answer_at or now)


def handed_to(conversation: Conversation, person: str | None, line_id: str | None = None) -> Conversation:
    """A transfer: a new owner (or back to the queue), the previous one leaves; the room stays."""
    require_open(conversation)
    others = tuple(p for p in conversation.participants if p.person != conversation.owner)
    participants = _with(others, Participant(person, ParticipantRole.OWNER)) if person else others
    return replace(conversation, owner=person, participants=participants, offered_to=(), passed=(),
                   status=ConversationStatus.ACTIVE if person else ConversationStatus.QUEUED,
                   line_id=line_id or conversation.line_id)


def invited(conversation: Conversation, person: str, since_seq: int) -> Conversation:
    require_open(conversation)
    if conversation.participant(person) is not None:
        raise Refused(f"{person} is already in conversation {conversation.id}")
    return replace(conversation, participants=_with(conversation.participants,
                                                    Participant(person, ParticipantRole.INVITED, since_seq)))


def closed(conversation: Conversation, reason: str, now: float) -> Conversation:
    if not conversation.is_open:
        raise Refused(f"conversation {conversation.id} is already closed")
    return replace(conversation, status=ConversationStatus.CLOSED, closed_at=now, close_reason=reason,
                   offered_to=(), pinned_until=None, whisper_mode=False)


def _with(participants: tuple[Participant, ...], new: Participant) -> tuple[Participant, ...]:
    return (*(p for p in participants if p.person != new.person), new)
