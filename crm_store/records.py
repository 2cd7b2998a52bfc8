"""Records as JSON documents and back, for the files of a TinyDbCrm.

JSON has no tuples and a file may predate a field, so every reader names the
fields it takes and defaults the ones added later (``tags``).
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from crm_store.base import Activity, Contact, Lead
from crm_store.layout import new_id

Doc = dict[str, Any]


def new_contact(name: str, email: str | None, channel: str, identity: str) -> Doc:
    return {
        "id": new_id(), "name": name, "email": email,
        "identities": [[channel, identity]], "created_at": time.time(), "tags": [],
    }


def new_lead(contact_id: str, title: str, source: str) -> Doc:
    return {
        "id": new_id(), "contact_id": contact_id, "title": title,
        "source": source, "status": "new", "created_at": time.time(),
    }


def new_activity(contact_id: str, kind: str, subject: str, external_key: str | None) -> Doc:
    """The activity's metadata: its body goes to a file of its own."""
    return {
        "id": new_id(), "contact_id": contact_id, "kind": kind, "subject": subject,
        "external_key": external_key, "created_at": time.time(),
    }


def contact_doc(contact: Contact) -> Doc:
    return {
        "id": contact.id, "name": contact.name, "email": contact.email,
        "identities": [list(pair) for pair in contact.identities],
        "created_at": contact.created_at, "tags": list(contact.tags),
    }


def lead_doc(lead: Lead) -> Doc:
    return {
        "id": lead.id, "contact_id": lead.contact_id, "title": lead.title,
        "source": lead.source, "status": lead.status, "created_at": lead.created_at,
    }


def activity_doc(activity: Activity) -> Doc:
    return {
        "id": activity.id, "contact_id": activity.contact_id, "kind": activity.kind,
        "subject": activity.subject, "external_key": activity.external_key,
        "created_at": activity.created_at,
    }


def to_contact(doc: Mapping[str, Any]) -> Contact:
    identities = tuple((str(ch), str(ident)) for ch, ident in doc["identities"])
    return Contact(
        id=doc["id"], name=doc["name"], email=doc["email"], identities=identities,
        created_at=doc["created_at"], tags=tuple(doc.get("tags", ())),
    )


def to_lead(doc: Mapping[str, Any]) -> Lead:
    return Lead(
        id=doc["id"], contact_id=doc["contact_id"], title=doc["title"],
        source=doc["source"], status=doc["status"], created_at=doc["created_at"],
    )


def to_activity(doc: Mapping[str, Any], body: str) -> Activity:
    return Activity(
        id=doc["id"], contact_id=doc["contact_id"], kind=doc["kind"],
        subject=doc["subject"], body=body, external_key=doc.get("external_key"),
        created_at=doc["created_at"],
    )


def encode_body(body: str) -> bytes:
    # surrogatepass: any str a caller hands us comes back unchanged.
    return body.encode("utf-8", "surrogatepass")


def decode_body(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")
