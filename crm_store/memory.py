"""MemoryCrm: the CrmStore in plain dicts, for tests and throwaway runs."""
from __future__ import annotations

import secrets
import threading
import time

from bridge.errors import NotFound
from crm_store.base import Activity, Contact, CrmStore, Lead


class MemoryCrm(CrmStore):
    def __init__(self) -> None:
        super().__init__()
        # Dict operations are atomic one by one, but check-then-insert is not.
        self._lock = threading.Lock()
        self._contacts: dict[str, Contact] = {}
        self._by_identity: dict[tuple[str, str], str] = {}
        self._leads: dict[str, Lead] = {}
        self._activities: dict[str, Activity] = {}
        self._by_key: dict[str, str] = {}

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
                id=_new_id(), name=name, email=email,
                identities=((channel, identity),), created_at=time.time(),
            )
            self._contacts[contact.id] = contact
            self._by_identity[(channel, identity)] = contact.id
            return contact

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        with self._lock:
            self._require_contact(contact_id)
            lead = Lead(
                id=_new_id(), contact_id=contact_id, title=title, source=source,
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
            if external_key is not None and external_key in self._by_key:
                return self._activities[self._by_key[external_key]]
            activity = Activity(
                id=_new_id(), contact_id=contact_id, kind=kind, subject=subject,
                body=body, external_key=external_key, created_at=time.time(),
            )
            self._activities[activity.id] = activity
            if external_key is not None:
                self._by_key[external_key] = activity.id
            return activity

    def activities_of(self, contact_id: str) -> list[Activity]:
        with self._lock:
            return [a for a in self._activities.values() if a.contact_id == contact_id]

    def close(self) -> None:
        pass

    def _require_contact(self, contact_id: str) -> None:
        """Caller holds the lock."""
        if contact_id not in self._contacts:
            raise NotFound(f"no contact {contact_id!r}")


def _new_id() -> str:
    return secrets.token_hex(8)
