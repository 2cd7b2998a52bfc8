"""MemoryCrm: the CrmStore in plain dicts, for tests and throwaway runs."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

from bridge.errors import NotFound
from crm_store.base import Activity, Contact, CrmStore, Lead, with_tag
from crm_store.layout import new_id


class MemoryCrm(CrmStore):
    def __init__(self) -> None:
        super().__init__()
        # Dict operations are atomic one by one, but check-then-insert is not.
        self._lock = threading.Lock()
        self._contacts: dict[str, Contact] = {}
        self._by_identity: dict[tuple[str, str], str] = {}
        self._leads: dict[str, Lead] = {}
        self._activities: dict[str, Activity] = {}
        self._by_key: dict[tuple[str, str], str] = {}  # (contact id, key) -> activity id

    def find_contact(self, channel: str, identity: str) -> Contact | None:
        with self._lock:
            contact_id = self._by_identity.get((channel, identity))
            return self._contacts.get(contact_id) if contact_id else None

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            return self._contacts.get(contact_id)

    def create_contact(
        self, name: str, email: str | None, channel: str, identity: str
    ) -> Contact:
        with self._lock:
            if (channel, identity) in self._by_identity:
                raise ValueError(f"{channel} identity {identity!r} already has a contact")
            contact = Contact(
                id=new_id(), name=name, email=email,
                identities=((channel, identity),), created_at=time.time(),
            )
            self._contacts[contact.id] = contact
            self._by_identity[(channel, identity)] = contact.id
            return contact

    def update_contact(
        self, contact_id: str, *, name: str | None = None, email: str | None = None
    ) -> Contact:
        with self._lock:
            contact = self._require_contact(contact_id)
            changed = replace(
                contact,
                name=contact.name if name is None else name,
                email=contact.email if email is None else email,
            )
            self._contacts[contact_id] = changed
            return changed

    def tag_contact(self, contact_id: str, tag: str, on: bool = True) -> Contact:
        with self._lock:
            contact = self._require_contact(contact_id)
            changed = replace(contact, tags=with_tag(contact.tags, tag, on))
            self._contacts[contact_id] = changed
            return changed

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        with self._lock:
            self._require_contact(contact_id)
            lead = Lead(
                id=new_id(), contact_id=contact_id, title=title, source=source,
                status="new", created_at=time.time(),
            )
            self._leads[lead.id] = lead
            return lead

    def leads_of(self, contact_id: str) -> list[Lead]:
        with self._lock:
            return [lead for lead in self._leads.values() if lead.contact_id == contact_id]

    def add_activity(
        self, contact_id: str, kind: str, subject: str, body: str, external_key: str | None
    ) -> Activity:
        with self._lock:
            self._require_contact(contact_id)
            key = (contact_id, external_key) if external_key is not None else None
            if key is not None and key in self._by_key:
                return self._activities[self._by_key[key]]
            activity = Activity(
                id=new_id(), contact_id=contact_id, kind=kind, subject=subject,
                body=body, external_key=external_key, created_at=time.time(),
            )
            self._activities[activity.id] = activity
            if key is not None:
                self._by_key[key] = activity.id
            return activity

    def activities_of(self, contact_id: str) -> list[Activity]:
        with self._lock:
            return [a for a in self._activities.values() if a.contact_id == contact_id]

    def close(self) -> None:
        pass

    def _require_contact(self, contact_id: str) -> Contact:
        """Caller holds the lock."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id!r}")
        return contact


