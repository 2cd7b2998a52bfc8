"""The one place that decides what reaches a customer, and how each side sees it."""
from __future__ import annotations

import enum
import time

from bridge.model import ChannelBinding, Conversation, Line, Message, MessageKind

MAX_TEXT = 4096


class TeamText(str, enum.Enum):
    """What a plain message an operator writes in a conversation room is."""

    REPLY = "reply"  # goes to the customer
    COMMAND = "command"  # for the bot; never reaches the customer
    IGNORED = "ignored"  # empty, or the bot's own echo


def classify_team_text(text: str, command_prefixes: tuple[str, ...]) -> TeamText:
    stripped = text.strip()
    if not stripped:
        return TeamText.IGNORED
    if any(stripped.startswith(p) for p in command_prefixes if p):
        return TeamText.COMMAND
    return TeamText.REPLY


def reaches_customer(message: Message) -> bool:
    return message.kind.to_customer and bool(message.text.strip())


def public_author(line: Line, message: Message, conversation: Conversation) -> str:
    """The name the customer sees.

    Agent messages are all signed with the line's name, so an automatic reply
    cannot be told from an operator's one (and operators' names stay private).
    """
    if message.kind is MessageKind.INBOUND:
        return conversation.customer_name
    return line.name


def customer_label(binding: ChannelBinding) -> str:
    return binding.label or binding.kind


def team_text(message: Message, conversation: Conversation, binding: ChannelBinding) -> str:
    """How a journal message reads in the conversation's team room."""
    if message.kind is MessageKind.INBOUND:
        return f"👤 {conversation.customer_name} (customer · {customer_label(binding)}): {message.text}"
    if message.kind is MessageKind.AUTO:
        return f"🤖 auto-reply sent: {message.text}"
    if message.kind is MessageKind.REPLY:
        return f"💬 {message.author}: {message.text}"
    return f"ℹ️ {message.text}"


def announcement(conversation: Conversation, line: Line, binding: ChannelBinding) -> str:
    return (
        f"🆕 New conversation {conversation.id} on {line.name} from "
        f"{conversation.customer_name} ({customer_label(binding)}). "
        f"Answer it with: !answer {conversation.id}"
    )


def room_topic(conversation: Conversation, line: Line, binding: ChannelBinding) -> str:
    return f"{line.name} · conversation {conversation.id} · {conversation.customer_name} ({customer_label(binding)})"


def transcript_text(messages: list[Message], conversation: Conversation, line: Line) -> str:
    lines = [f"Conversation {conversation.id} on {line.name} with {conversation.customer_name}"]
    for m in messages:
        if m.kind is MessageKind.NOTICE:
            continue
        who = conversation.customer_name if m.kind is MessageKind.INBOUND else (m.author or f"{line.name} (auto)")
        lines.append(f"[{_clock(m.ts)}] {who}: {m.text}")
    return "\n".join(lines)


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
