"""Records and the synchronous, thread-safe store interface every CRM backend implements."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from bridge.errors import NotFound
from bridge.ports import CrmLink, CustomerProfile


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    email: str | None
    identities: tuple[tuple[str, str], ...]  # (channel, identity) pairs
    created_at: float
    # Last, with a default, so constructors written before tags existed still work.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lead:
    id: str
    contact_id: str
    title: str
    source: str
    status: str
    created_at: float


@dataclass(frozen=True)
class Activity:
    id: str
    contact_id: str
    kind: str
    subject: str
    body: str
    external_key: str | None
    created_at: float


def check_tag(tag: str) -> None:
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("a tag must be a non-empty string")


def with_tag(tags: tuple[str, ...], tag: str, on: bool) -> tuple[str, ...]:
    """``tags`` with ``tag`` added at the end (once) or removed."""
    check_tag(tag)
    if on:
        return tags if tag in tags else (*tags, tag)
    return tuple(t for t in tags if t != tag)


def lead_title(source: str, profile: CustomerProfile) -> str:
    """"Website chat: Alice"; the identity stands in for a customer without a name."""
    return f"{source}: {profile.name or profile.identity}"


class CrmStore(ABC):
    """A CRM's storage. Every method is blocking and safe to call from any thread.

    Implementations raise ``ValueError`` from ``create_contact`` when the
    identity already has a contact, and ``bridge.errors.NotFound`` from
    ``create_lead``/``add_activity``/``update_contact``/``tag_contact`` when
    the contact does not exist.
    Subclasses must call ``super().__init__()``.
    """

    def __init__(self) -> None:
        # Serialises find-or-create in link_customer; each store's own lock only
        # makes single calls atomic, not the find + create pair.
        self._link_lock = threading.Lock()

    @abstractmethod
    def find_contact(self, channel: str, identity: str) -> Contact | None: ...

    @abstractmethod
    def get_contact(self, contact_id: str) -> Contact | None: ...

    @abstractmethod
    def create_contact(
        self, name: str, email: str | None, channel: str, identity: str
    ) -> Contact: ...

    @abstractmethod
    def update_contact(
        self, contact_id: str, *, name: str | None = None, email: str | None = None
    ) -> Contact:
        """Change the given fields; None leaves a field as it is. Returns the new contact."""

    @abstractmethod
    def tag_contact(self, contact_id: str, tag: str, on: bool = True) -> Contact:
        """Add (``on``) or remove a tag; tags keep the order they were added, without repeats.

        Raises ``ValueError`` for an empty tag.
        """

    def rename_contact(self, contact_id: str, old: str, new: str) -> None:
        """Name the contact ``new`` only while it is still named ``old``: a name set since stays."""
        with self._link_lock:
            contact = self.get_contact(contact_id)
            if contact is None:
                raise NotFound(f"no contact {contact_id}")
            if contact.name == old:
                self.update_contact(contact_id, name=new)

    @abstractmethod
    def create_lead(self, contact_id: str, title: str, source: str) -> Lead: ...

    @abstractmethod
    def leads_of(self, contact_id: str) -> list[Lead]:
        """The contact's leads, oldest first."""

    @abstractmethod
    def add_activity(
        self, contact_id: str, kind: str, subject: str, body: str, external_key: str | None
    ) -> Activity:
        """Store an activity; with a key already stored for this contact, return that
        one and store nothing. Keys are scoped to the contact."""

    @abstractmethod
    def activities_of(self, contact_id: str) -> list[Activity]:
        """The contact's activities, oldest first."""

    def activity_count(self, contact_id: str) -> int:
        """How many activities the contact has (a store may count without reading them)."""
        return len(self.activities_of(contact_id))

    @abstractmethod
    def close(self) -> None: ...

    def link_customer(self, profile: CustomerProfile, source: str, with_lead: bool = True) -> CrmLink:
        """Find the contact of the profile's identity, or create it (with a lead unless told not to).

        ``lead_id`` is None for a known contact: no lead was created by this call.
        """
        known = self.find_contact(profile.channel, profile.identity)
        if known is not None:  # the common case skips the lock
            return CrmLink(contact_id=known.id, lead_id=None, is_new=False)
        with self._link_lock:
            # Another thread may have created it while we waited.
            known = self.find_contact(profile.channel, profile.identity)
            if known is not None:
                return CrmLink(contact_id=known.id, lead_id=None, is_new=False)
            contact = self.create_contact(
                profile.name, profile.email, profile.channel, profile.identity
            )
            if not with_lead:
                return CrmLink(contact_id=contact.id, lead_id=None, is_new=True)
            lead = self.create_lead(contact.id, lead_title(source, profile), source)
            return CrmLink(contact_id=contact.id, lead_id=lead.id, is_new=True)
