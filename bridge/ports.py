"""Interfaces the core needs from the outside: clock, team chat, CRM."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

from bridge.relay import TeamPost


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    # time.time itself, not a method that calls it: the clock is read several times per message
    # (stamps, leases, due times), each a Python call the loop pays for.
    now = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TeamChat(Protocol):
    """The employees' side (Errbot in plugins/). Each call may block on the network:
    implementations run it off the loop, and a slow room delays only itself."""

    async def open_room(self, name: str, topic: str) -> str:
        """Create or join the room ``name``; return the backend's own key for it."""

    async def post(self, room_key: str, posts: list[TeamPost]) -> None:
        """Post in order; raise ``bridge.outbox.PartialDone`` when only the first ones went."""

    async def direct(self, person: str, posts: list[TeamPost]) -> None:
        """Post in order in the employee's private chat with the bot; PartialDone as ``post``."""

    async def invite(self, room_key: str, person: str) -> None:
        """Bring an employee into the room where the team chat allows it (else a no-op)."""

    async def signal(self, room_key: str, kind: str, data: Mapping[str, Any]) -> None:
        """Show something nobody stores (the customer typing…) where the team chat can; else a no-op."""

    def display_name(self, person: str) -> str:
        """How the team chat names an employee (``@kim`` → "Kim Lane"), as their replies are signed.
        No network: it reads what the backend already knows."""


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


@dataclass(frozen=True)
class LeadCard:
    title: str
    status: str
    created_at: float


@dataclass(frozen=True)
class ContactCard:
    """A CRM contact as operators read it (``!crm``)."""

    contact_id: str
    name: str
    email: str | None
    tags: tuple[str, ...] = ()
    leads: tuple[LeadCard, ...] = ()  # oldest first
    activities: int = 0  # transcripts and other activities on the record


class Crm(Protocol):
    """The CRM as the core uses it. The writing calls are idempotent."""

    async def link_customer(self, profile: CustomerProfile, *, source: str, create: str = "lead") -> CrmLink:
        """Find the contact of this channel identity, or create it (with a lead unless ``create`` is "contact")."""

    async def attach_transcript(self, contact_id: str, *, conversation_id: str, subject: str, body: str) -> str:
        """Attach a conversation's transcript as an activity, once per conversation;
        raises ``bridge.errors.NotFound`` when the contact is gone."""

    async def tag(self, contact_id: str, tag: str) -> None:
        """Mark the contact (a spammer…); idempotent."""

    async def rename(self, contact_id: str, old: str, new: str) -> None:
        """The contact's name becomes ``new`` if it still is ``old`` (a stand-in the customer has
        since replaced with their name); idempotent. NotFound when the contact is gone."""

    async def card(self, contact_id: str) -> ContactCard | None:
        """The contact with its leads; None when it no longer exists."""
