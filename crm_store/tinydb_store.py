"""TinyDbCrm: the CrmStore in one TinyDB JSON file, with in-memory indexes for lookups."""
from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path
from typing import Any

from tinydb import TinyDB, where
from tinydb.table import Document

from bridge.errors import NotFound
from crm_store.base import Activity, Contact, CrmStore, Lead


class TinyDbCrm(CrmStore):
    """Tables contacts, leads and activities in one file.

    TinyDB is not thread-safe, so one lock guards every TinyDB call and every
    index. The indexes are rebuilt from the file on open, so lookups by
    identity, id or external key never scan a table.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._db = TinyDB(str(path), create_dirs=True)
        self._contacts = self._db.table("contacts")
        self._leads = self._db.table("leads")
        self._activities = self._db.table("activities")
        self._contact_docs: dict[str, int] = {}  # contact id -> doc id
        self._by_identity: dict[tuple[str, str], str] = {}  # -> contact id
        self._by_key: dict[str, int] = {}  # external key -> activity doc id
        self._build_indexes()

    def _build_indexes(self) -> None:
        for doc in self._contacts.all():
            self._index_contact(doc)
        for doc in self._activities.all():
            if doc.get("external_key") is not None:
                self._by_key[doc["external_key"]] = doc.doc_id

    def _index_contact(self, doc: Document) -> None:
        self._contact_docs[doc["id"]] = doc.doc_id
        for channel, identity in doc["identities"]:
            self._by_identity[(channel, identity)] = doc["id"]

    def find_contact(self, channel: str, identity: str) -> Contact | None:
        with self._lock:
            contact_id = self._by_identity.get((channel, identity))
            return self._load_contact(contact_id) if contact_id else None

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            return self._load_contact(contact_id)

    def _load_contact(self, contact_id: str) -> Contact | None:
        """Caller holds the lock."""
        doc_id = self._contact_docs.get(contact_id)
        if doc_id is None:
            return None
        doc = self._contacts.get(doc_id=doc_id)
        return _contact(doc) if isinstance(doc, Document) else None

    def create_contact(
        self, name: str, email: str | None, channel: str, identity: str
    ) -> Contact:
        with self._lock:
            if (channel, identity) in self._by_identity:
                raise ValueError(f"{channel} identity {identity!r} already has a contact")
            record = {
                "id": _new_id(), "name": name, "email": email,
                "identities": [[channel, identity]], "created_at": time.time(),
            }
            doc_id = self._contacts.insert(record)
            self._index_contact(Document(record, doc_id))
            return _contact(record)

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        with self._lock:
            self._require_contact(contact_id)
            record = {
                "id": _new_id(), "contact_id": contact_id, "title": title,
                "source": source, "status": "new", "created_at": time.time(),
            }
            self._leads.insert(record)
            return Lead(**record)

    def leads_of(self, contact_id: str) -> list[Lead]:
        with self._lock:
            docs = self._leads.search(where("contact_id") == contact_id)
        return [Lead(**doc) for doc in docs]

    def add_activity(
        self, contact_id: str, kind: str, subject: str, body: str, external_key: str | None
    ) -> Activity:
        with self._lock:
            self._require_contact(contact_id)
            if external_key is not None and external_key in self._by_key:
                return Activity(**self._activities.get(doc_id=self._by_key[external_key]))
            record = {
                "id": _new_id(), "contact_id": contact_id, "kind": kind,
                "subject": subject, "body": body, "external_key": external_key,
                "created_at": time.time(),
            }
            doc_id = self._activities.insert(record)
            if external_key is not None:
                self._by_key[external_key] = doc_id
            return Activity(**record)

    def activities_of(self, contact_id: str) -> list[Activity]:
        with self._lock:
            docs = self._activities.search(where("contact_id") == contact_id)
        return [Activity(**doc) for doc in docs]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _require_contact(self, contact_id: str) -> None:
        """Caller holds the lock."""
        if contact_id not in self._contact_docs:
            raise NotFound(f"no contact {contact_id!r}")


def _contact(record: dict[str, Any]) -> Contact:
    # JSON has no tuples: identities come back as lists of lists.
    identities = tuple((str(ch), str(ident)) for ch, ident in record["identities"])
    return Contact(
        id=record["id"], name=record["name"], email=record["email"],
        identities=identities, created_at=record["created_at"],
    )


def _new_id() -> str:
    return secrets.token_hex(8)
