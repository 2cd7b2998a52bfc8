"""PgCrm: the CrmStore in PostgreSQL, one row per record, every lookup by an index.

What the file store settles with per-process lock stripes and exclusive
file creation is settled here by the database, so it holds across
processes: a new identity is a primary key (the loser of a race rolls back
and finds the winner's contact), a transcript's key is a unique index per
contact, tags and a conditional rename are single UPDATEs.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import psycopg

from bridge.errors import NotFound
from bridge.ports import CrmLink, CustomerProfile
from crm_store.base import Activity, Contact, CrmStore, Lead, check_tag, lead_title
from crm_store.layout import new_id
from crm_store.records import decode_body, encode_body
from durable.pg import Pool, migrate_pool

SCHEMA = {1: """
CREATE TABLE crm_contacts (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT,
    created_at DOUBLE PRECISION NOT NULL, tags JSONB NOT NULL DEFAULT '[]');
CREATE TABLE crm_identities (channel TEXT NOT NULL, identity TEXT NOT NULL, seq BIGSERIAL,
    contact_id TEXT NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE, PRIMARY KEY (channel, identity));
CREATE INDEX crm_identities_contact ON crm_identities (contact_id, seq);
CREATE TABLE crm_leads (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE, title TEXT NOT NULL,
    source TEXT NOT NULL, status TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX crm_leads_contact ON crm_leads (contact_id, seq);
CREATE TABLE crm_activities (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE, kind TEXT NOT NULL,
    subject TEXT NOT NULL, body BYTEA NOT NULL, external_key TEXT, created_at DOUBLE PRECISION NOT NULL,
    UNIQUE (contact_id, external_key));
CREATE INDEX crm_activities_contact ON crm_activities (contact_id, seq);
"""}
TABLES = ("crm_activities", "crm_leads", "crm_identities", "crm_contacts")
_CONTACT = ("SELECT c.id, c.name, c.email, c.created_at, c.tags, "
            "ARRAY(SELECT jsonb_build_array(i.channel, i.identity) FROM crm_identities i "
            "WHERE i.contact_id = c.id ORDER BY i.seq) FROM crm_contacts c ")
_ACTIVITY = "SELECT id, contact_id, kind, subject, body, external_key, created_at FROM crm_activities "


class PgCrm(CrmStore):
    def __init__(self, url: str, pool_size: int = 8) -> None:
        super().__init__()
        self._pool = Pool(url, pool_size)
        migrate_pool(self._pool, "crm", SCHEMA)

    # -- reads ---------------------------------------------------------------
    def find_contact(self, channel: str, identity: str) -> Contact | None:
        with self._pool.transaction() as cur:
            row = cur.execute(_CONTACT + "JOIN crm_identities k ON k.contact_id = c.id "
                              "WHERE k.channel = %s AND k.identity = %s", (channel, _text(identity))).fetchone()
        return _contact(row) if row else None

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._pool.transaction() as cur:
            row = cur.execute(_CONTACT + "WHERE c.id = %s", (_text(contact_id),)).fetchone()
        return _contact(row) if row else None

    def leads_of(self, contact_id: str) -> list[Lead]:
        with self._pool.transaction() as cur:
            rows = cur.execute("SELECT id, contact_id, title, source, status, created_at FROM crm_leads "
                               "WHERE contact_id = %s ORDER BY seq", (_text(contact_id),)).fetchall()
        return [Lead(*row) for row in rows]

    def activities_of(self, contact_id: str) -> list[Activity]:
        with self._pool.transaction() as cur:
            rows = cur.execute(_ACTIVITY + "WHERE contact_id = %s ORDER BY seq", (_text(contact_id),)).fetchall()
        return [_activity(row) for row in rows]

    def activity_count(self, contact_id: str) -> int:
        with self._pool.transaction() as cur:
            row = cur.execute("SELECT count(*) FROM crm_activities WHERE contact_id = %s",
                              (_text(contact_id),)).fetchone()
        return int(row[0]) if row else 0

    # -- writes --------------------------------------------------------------
    def create_contact(self, name: str, email: str | None, channel: str, identity: str) -> Contact:
        made = self._insert_contact(name, email, channel, identity, None)
        if made is None:
            raise ValueError(f"{channel} identity already has a contact")
        return made[0]

    def link_customer(self, profile: CustomerProfile, source: str, with_lead: bool = True) -> CrmLink:
        """The contact and its lead in one transaction; a race with another process leaves one contact."""
        for _ in range(3):
            known = self.find_contact(profile.channel, profile.identity)
            if known is not None:
                return CrmLink(contact_id=known.id, lead_id=None, is_new=False)
            lead = (lead_title(source, profile), source) if with_lead else None
            made = self._insert_contact(profile.name, profile.email, profile.channel, profile.identity, lead)
            if made is not None:
                return CrmLink(contact_id=made[0].id, lead_id=made[1], is_new=True)
        raise RuntimeError("the identity's contact vanished while it was linked")  # removed each time: not by us

    def _insert_contact(self, name: str, email: str | None, channel: str, identity: str,
                        lead: tuple[str, str] | None) -> tuple[Contact, str | None] | None:
        """A new contact owning the identity (and its lead's id), or None when the identity is taken."""
        contact = Contact(new_id(), name, email, ((channel, identity),), time.time())
        lead_id = new_id() if lead is not None else None
        try:
            self._insert(contact, lead_id, lead)
        except _Rollback:
            return None
        return contact, lead_id

    def _insert(self, contact: Contact, lead_id: str | None, lead: tuple[str, str] | None) -> None:
        (channel, identity), = contact.identities
        with self._pool.transaction() as cur:
            cur.execute("INSERT INTO crm_contacts (id, name, email, created_at) VALUES (%s, %s, %s, %s)",
                        (contact.id, _text(contact.name), _opt(contact.email), contact.created_at))
            # Waits for a concurrent insert of the same identity, then does nothing if it committed.
            taken = cur.execute("INSERT INTO crm_identities (channel, identity, contact_id) VALUES (%s, %s, %s) "
                                "ON CONFLICT DO NOTHING RETURNING 1",
                                (_text(channel), _text(identity), contact.id)).fetchone() is None
            if taken:
                raise _Rollback
            if lead is not None:
                cur.execute("INSERT INTO crm_leads (id, contact_id, title, source, status, created_at) "
                            "VALUES (%s, %s, %s, %s, 'new', %s)",
                            (lead_id, contact.id, _text(lead[0]), _text(lead[1]), contact.created_at))

    def update_contact(self, contact_id: str, *, name: str | None = None, email: str | None = None) -> Contact:
        with self._pool.transaction() as cur:
            found = cur.execute("UPDATE crm_contacts SET name = coalesce(%s, name), email = coalesce(%s, email) "
                                "WHERE id = %s RETURNING id", (_opt(name), _opt(email), _text(contact_id))).fetchone()
        return self._changed(contact_id, found)

    def tag_contact(self, contact_id: str, tag: str, on: bool = True) -> Contact:
        check_tag(tag)
        change = ("CASE WHEN tags ? %(tag)s THEN tags ELSE tags || jsonb_build_array(%(tag)s::text) END"
                  if on else "tags - %(tag)s::text")
        with self._pool.transaction() as cur:  # one UPDATE: a tag added meanwhile by anyone stays
            found = cur.execute(f"UPDATE crm_contacts SET tags = {change} WHERE id = %(id)s RETURNING id",
                                {"tag": _text(tag), "id": _text(contact_id)}).fetchone()
        return self._changed(contact_id, found)

    def rename_contact(self, contact_id: str, old: str, new: str) -> None:
        with self._pool.transaction() as cur:
            cur.execute("UPDATE crm_contacts SET name = %s WHERE id = %s AND name = %s",
                        (_text(new), _text(contact_id), _text(old)))
            missing = cur.rowcount == 0 and cur.execute(
                "SELECT 1 FROM crm_contacts WHERE id = %s", (_text(contact_id),)).fetchone() is None
        if missing:
            raise NotFound(f"no contact {contact_id}")

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        lead = Lead(new_id(), contact_id, title, source, "new", time.time())
        with _known(contact_id), self._pool.transaction() as cur:
            cur.execute("INSERT INTO crm_leads (id, contact_id, title, source, status, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s)", (lead.id, _text(contact_id), _text(title), _text(source),
                                                            lead.status, lead.created_at))
        return lead

    def add_activity(self, contact_id: str, kind: str, subject: str, body: str,
                     external_key: str | None) -> Activity:
        activity = Activity(new_id(), contact_id, kind, subject, body, external_key, time.time())
        with _known(contact_id), self._pool.transaction() as cur:
            added = cur.execute(
                "INSERT INTO crm_activities (id, contact_id, kind, subject, body, external_key, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (contact_id, external_key) DO NOTHING RETURNING 1",
                (activity.id, _text(contact_id), _text(kind), _text(subject), encode_body(body), _opt(external_key),
                 activity.created_at)).fetchone()
            if added is None:  # the key was stored before: that one stands
                row = cur.execute(_ACTIVITY + "WHERE contact_id = %s AND external_key = %s",
                                  (contact_id, external_key)).fetchone()
                return _activity(row)
        return activity

    def import_contacts(self, batch: Iterable[tuple[Contact, list[Lead], list[Activity]]]) -> None:
        """Write whole contacts with their records and ids as given, in one transaction.

        For moving in and bulk loading: idempotent (a record already there by
        id, or an identity already owned, is left as it is).
        """
        with self._pool.transaction() as cur:
            import_rows(cur, batch)

    def close(self) -> None:
        self._pool.close()

    def _changed(self, contact_id: str, found: Any) -> Contact:
        contact = self.get_contact(contact_id) if found else None
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        return contact


class _Rollback(Exception):
    """Raised inside a transaction to undo it (the identity was taken: our contact goes too)."""


def import_rows(cur: Any, batch: Iterable[tuple[Contact, list[Lead], list[Activity]]]) -> None:
    """``import_contacts`` within the caller's transaction (moving a whole install in at once)."""
    contacts, identities, leads, activities = [], [], [], []
    for contact, its_leads, its_activities in batch:
        contacts.append((contact.id, _text(contact.name), _opt(contact.email), contact.created_at,
                         json.dumps(list(contact.tags))))
        identities += [(_text(ch), _text(ident), contact.id) for ch, ident in contact.identities]
        leads += [(x.id, x.contact_id, _text(x.title), _text(x.source), _text(x.status), x.created_at)
                  for x in its_leads]
        activities += [(a.id, a.contact_id, _text(a.kind), _text(a.subject), encode_body(a.body),
                        _opt(a.external_key), a.created_at) for a in its_activities]
    cur.executemany("INSERT INTO crm_contacts (id, name, email, created_at, tags) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", contacts)
    cur.executemany("INSERT INTO crm_identities (channel, identity, contact_id) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING", identities)
    cur.executemany("INSERT INTO crm_leads (id, contact_id, title, source, status, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", leads)
    cur.executemany("INSERT INTO crm_activities (id, contact_id, kind, subject, body, external_key, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", activities)


def _contact(row: Any) -> Contact:
    tags = row[4] if isinstance(row[4], list) else json.loads(row[4])
    return Contact(row[0], row[1], row[2], tuple((str(c), str(i)) for c, i in row[5]), row[3], tuple(tags))


def _activity(row: Any) -> Activity:
    # The body is bytes: a transcript may hold any str (a lone surrogate, a NUL) and comes back unchanged.
    return Activity(row[0], row[1], row[2], row[3], decode_body(bytes(row[4])), row[5], row[6])


def _text(value: str) -> str:
    """PostgreSQL text holds no NUL and no lone surrogate, which a platform may still send in a name:
    those characters become U+FFFD (keys too, alike on every write and read), never a failed link."""
    if value.isascii() and "\0" not in value:
        return value
    value = value.replace("\0", "\ufffd")
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _opt(value: str | None) -> str | None:
    return None if value is None else _text(value)


class _known:
    """Turns the foreign key's refusal (an unknown contact) into NotFound."""

    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, psycopg.errors.ForeignKeyViolation):
            raise NotFound(f"no contact {self.contact_id}") from None
