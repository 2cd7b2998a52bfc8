"""Interfaces the core needs from the outside: clock, team chat, CRM."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from bridge.model import Conversation, Line


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TeamChat(Protocol):
    """The employees' side. Implemented over Errbot in plugins/."""

    async def open_room(self, conversation: Conversation, line: Line, topic: str) -> None:
        """Create or join the conversation's room (a no-op where there are no rooms)."""

    async def post(self, items: list[tuple[Conversation, str]]) -> None:
        """Post texts, in order, each to its conversation's room."""

    async def announce(self, line: Line, text: str) -> None:
        """Post to the line's room, where new conversations are announced."""


@dataclass(frozen=True)
class CustomerProfile:
    channel: str  # channel kind: "webchat", "telegram"...
    identity: str  # the customer's identity on that channel
    name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class CrmLink:
    contact_id: str
    lead_id: str | None
    is_new: bool  # a lead was created for a customer never seen before


class Crm(Protocol):
    """The CRM as the core uses it. Both calls are idempotent."""

    async def link_customer(self, profile: CustomerProfile, *, source: str) -> CrmLink:
        """Find the contact of this channel identity, or create a contact and a lead."""

    async def attach_transcript(
        self, contact_id: str, *, conversation_id: str, subject: str, body: str
    ) -> str:
        """Attach a conversation's transcript as an activity; once per conversation."""
