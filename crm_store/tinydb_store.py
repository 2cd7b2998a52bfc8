"""TinyDbCrm: the CrmStore as one small TinyDB file per contact, plus identity and transcript files.

See ``crm_store.layout`` for the directory layout. TinyDB rewrites a whole
file per change, so each file is kept small and private to one contact: the
cost of any call depends on that contact alone, never on how many contacts
there are. Opening reads nothing; every file is replaced atomically
(``durable.files``), so a crash leaves each file old or new, never torn.

Write order makes multi-file changes safe too: a contact's file is written
before the identity file that points to it, and a transcript before the
activity that names it, so a crash in between only leaves an unreferenced
file behind.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tinydb import TinyDB, where

from bridge.errors import NotFound
from bridge.ports import CrmLink, CustomerProfile
from crm_store import records
from crm_store.base import Activity, Contact, CrmStore, Lead, lead_title, with_tag
from crm_store.layout import Layout, is_safe_id
from crm_store.records import Doc
from crm_store.storage import open_db
from durable.files import CorruptFile, encode_json, ensure_dir, read_bytes, read_json, write_atomic

log = logging.getLogger(__name__)

CONTACT, LEADS, ACTIVITIES = "contact", "leads", "activities"
CONTACT_DOC_ID = 1  # the "contact" table holds exactly one document


class _Stripes:
    """A fixed set of locks picked by key: calls on different keys rarely wait on each other."""

    def __init__(self, count: int = 64) -> None:
        self._locks = [threading.Lock() for _ in range(count)]

    def __call__(self, key: str) -> threading.Lock:
        return self._locks[hash(key) % len(self._locks)]


class TinyDbCrm(CrmStore):
    """Contacts, leads and activities under the directory ``root``.

    Reads take no lock: files are only ever replaced whole. Writes to one
    contact's file hold that contact's lock (read-modify-write must not
    interleave); creating a contact holds its identity's lock.
    """

    def __init__(self, root: str | Path, *, fsync: bool = True) -> None:
        super().__init__()
        self.root = Path(root)
        self._fsync = fsync
        self._layout = Layout(self.root)
        for folder in (self._layout.contacts, self._layout.identities, self._layout.transcripts):
            ensure_dir(folder, fsync=fsync)
        self._contact_locks = _Stripes()
        self._identity_locks = _Stripes()

    # -- reads ---------------------------------------------------------------

    def find_contact(self, channel: str, identity: str) -> Contact | None:
        contact_id = self._identity_owner(channel, identity)
        return self.get_contact(contact_id) if contact_id is not None else None

    def get_contact(self, contact_id: str) -> Contact | None:
        try:
            with self._contact_db(contact_id) as (_db, doc):
                return records.to_contact(doc)
        except NotFound:
            return None

    def leads_of(self, contact_id: str) -> list[Lead]:
        try:
            with self._contact_db(contact_id) as (db, _doc):
                return [records.to_lead(doc) for doc in _in_order(db, LEADS)]
        except NotFound:
            return []

    def activity_count(self, contact_id: str) -> int:
        try:
            with self._contact_db(contact_id) as (db, _doc):
                return len(db.table(ACTIVITIES))  # the transcripts' bodies stay unread
        except NotFound:
            return 0

    def activities_of(self, contact_id: str) -> list[Activity]:
        try:
            with self._contact_db(contact_id) as (db, _doc):
                metas = _in_order(db, ACTIVITIES)
        except NotFound:
            return []
        return [records.to_activity(meta, self._read_body(meta["id"])) for meta in metas]

    # -- writes --------------------------------------------------------------

    def create_contact(
        self, name: str, email: str | None, channel: str, identity: str
    ) -> Contact:
        with self._identity_locks(f"{channel}\0{identity}"):
            if self.find_contact(channel, identity) is not None:
                raise ValueError(f"{channel} identity already has a contact")
            doc = records.new_contact(name, email, channel, identity)
            self._write_contact_file(doc, [], [], fsync=self._fsync)
            if self._publish_identity(channel, identity, doc["id"]) != doc["id"]:
                self._discard_contact(doc["id"])
                raise ValueError(f"{channel} identity already has a contact")
            return records.to_contact(doc)

    def link_customer(self, profile: CustomerProfile, source: str, with_lead: bool = True) -> CrmLink:
        """As ``CrmStore.link_customer``, with the contact and its lead in one atomic write.

        The lock is per identity, so new customers do not queue behind each
        other; the exclusive identity publish settles a race with another
        process on the same directory.
        """
        known = self.find_contact(profile.channel, profile.identity)
        if known is not None:
            return CrmLink(contact_id=known.id, lead_id=None, is_new=False)
        with self._identity_locks(f"{profile.channel}\0{profile.identity}"):
            known = self.find_contact(profile.channel, profile.identity)
            if known is not None:
                return CrmLink(contact_id=known.id, lead_id=None, is_new=False)
            doc = records.new_contact(
                profile.name, profile.email, profile.channel, profile.identity
            )
            lead = records.new_lead(doc["id"], lead_title(source, profile), source) if with_lead else None
            self._write_contact_file(doc, [lead] if lead else [], [], fsync=self._fsync)
            owner = self._publish_identity(profile.channel, profile.identity, doc["id"])
            if owner != doc["id"]:  # another process linked it first
                self._discard_contact(doc["id"])
                return CrmLink(contact_id=owner, lead_id=None, is_new=False)
            return CrmLink(contact_id=doc["id"], lead_id=lead["id"] if lead else None, is_new=True)

    def update_contact(
        self, contact_id: str, *, name: str | None = None, email: str | None = None
    ) -> Contact:
        changes = {k: v for k, v in (("name", name), ("email", email)) if v is not None}
        return self._change_contact(contact_id, lambda _doc: changes)

    def tag_contact(self, contact_id: str, tag: str, on: bool = True) -> Contact:
        def change(doc: Doc) -> Doc:
            return {"tags": list(with_tag(tuple(doc.get("tags", ())), tag, on))}

        return self._change_contact(contact_id, change)

    def create_lead(self, contact_id: str, title: str, source: str) -> Lead:
        lead = records.new_lead(contact_id, title, source)
        with self._contact_locks(contact_id), self._contact_db(contact_id) as (db, _doc):
            db.table(LEADS).insert(lead)
        return records.to_lead(lead)

    def add_activity(
        self, contact_id: str, kind: str, subject: str, body: str, external_key: str | None
    ) -> Activity:
        with self._contact_locks(contact_id), self._contact_db(contact_id) as (db, _doc):
            if external_key is not None:
                stored = db.table(ACTIVITIES).get(where("external_key") == external_key)
                if isinstance(stored, dict):
                    return records.to_activity(stored, self._read_body(stored["id"]))
            meta = records.new_activity(contact_id, kind, subject, external_key)
            self._write_body(meta["id"], body, fsync=self._fsync)  # before the record naming it
            db.table(ACTIVITIES).insert(meta)
        return records.to_activity(meta, body)

    def import_contact(
        self, contact: Contact, leads: list[Lead], activities: list[Activity], *, fsync: bool = True
    ) -> None:
        """Write a whole contact with its records and ids as given, replacing any earlier copy.

        For migration and bulk loading: idempotent (run it twice, get one
        copy), but it takes no lock, so not for use while the store serves.
        ``fsync=False`` trades durability for speed during a bulk fill.
        Raises ValueError when an id cannot be a file name.
        """
        ids = [contact.id, *(lead.id for lead in leads), *(a.id for a in activities)]
        if not all(is_safe_id(record_id) for record_id in ids):
            raise ValueError("record id unusable as a file name")
        bodies = [(records.activity_doc(a), a.body) for a in activities]
        leads_docs = [records.lead_doc(lead) for lead in leads]
        self._write_contact_file(records.contact_doc(contact), leads_docs, bodies, fsync=fsync)
        for channel, identity in contact.identities:
            path = self._layout.identity(channel, identity)
            ensure_dir(path.parent, fsync=fsync)
            write_atomic(path, _identity_json(channel, identity, contact.id), fsync=fsync)

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    # -- files ---------------------------------------------------------------

    @contextmanager
    def _contact_db(self, contact_id: str) -> Iterator[tuple[TinyDB, Doc]]:
        """The contact's TinyDB and its record; changes are committed when the block ends.

        Raises NotFound for an unknown contact, and for one whose file cannot
        be read (logged): a damaged file is left as it is, never overwritten.
        """
        if not is_safe_id(contact_id):
            raise NotFound("no such contact")
        with open_db(self._layout.contact(contact_id), fsync=self._fsync) as db:
            try:
                doc = db.table(CONTACT).get(doc_id=CONTACT_DOC_ID)
            except CorruptFile as exc:
                log.error("unreadable CRM contact file skipped (%s)", exc)
                doc = None
            if not isinstance(doc, dict):
                raise NotFound("no such contact")
            yield db, dict(doc)

    def _change_contact(self, contact_id: str, change: Callable[[Doc], Doc]) -> Contact:
        """Apply ``change(doc) -> fields`` to the contact's record under its lock."""
        with self._contact_locks(contact_id), self._contact_db(contact_id) as (db, doc):
            doc.update(change(doc))
            db.table(CONTACT).update(doc, doc_ids=[CONTACT_DOC_ID])
        return records.to_contact(doc)

    def _write_contact_file(
        self, contact: Doc, leads: list[Doc], activities: list[tuple[Doc, str]], *, fsync: bool
    ) -> None:
        for meta, body in activities:
            self._write_body(meta["id"], body, fsync=fsync)
        with open_db(self._layout.contact(contact["id"]), fsync=fsync) as db:
            db.drop_tables()  # replace, never append to, an earlier copy
            db.table(CONTACT).insert(contact)
            db.table(LEADS).insert_multiple(leads)
            db.table(ACTIVITIES).insert_multiple(meta for meta, _body in activities)

    def _discard_contact(self, contact_id: str) -> None:
        """Remove a contact file no identity points to (a lost creation race)."""
        self._layout.contact(contact_id).unlink(missing_ok=True)

    def _identity_owner(self, channel: str, identity: str) -> str | None:
        try:
            doc = read_json(self._layout.identity(channel, identity))
        except CorruptFile as exc:
            log.error("unreadable CRM identity file skipped (%s)", exc)
            return None
        # The file names the pair it maps, so a hash collision cannot mislead.
        if not isinstance(doc, dict) or (doc.get("channel"), doc.get("identity")) != (
            channel, identity,
        ):
            return None
        owner = doc.get("contact_id")
        return owner if isinstance(owner, str) else None

    def _publish_identity(self, channel: str, identity: str, contact_id: str) -> str:
        """Point the identity at ``contact_id`` unless a live contact has it; return the owner."""
        path = self._layout.identity(channel, identity)
        ensure_dir(path.parent, fsync=self._fsync)
        data = _identity_json(channel, identity, contact_id)
        if write_atomic(path, data, fsync=self._fsync, exclusive=True):
            return contact_id
        owner = self._identity_owner(channel, identity)
        if owner is not None and self.get_contact(owner) is not None:
            return owner
        # The file points at no readable contact: take it over rather than lock the identity out.
        write_atomic(path, data, fsync=self._fsync)
        return contact_id

    def _write_body(self, activity_id: str, body: str, *, fsync: bool) -> None:
        path = self._layout.transcript(activity_id)
        ensure_dir(path.parent, fsync=fsync)
        write_atomic(path, records.encode_body(body), fsync=fsync)

    def _read_body(self, activity_id: str) -> str:
        raw = read_bytes(self._layout.transcript(activity_id)) if is_safe_id(activity_id) else None
        if raw is None:
            log.error("CRM transcript file missing; activity returned without its body")
            return ""
        return records.decode_body(raw)


def _identity_json(channel: str, identity: str, contact_id: str) -> bytes:
    # The pair is kept next to the id so a reader can check the file is the one it hashed to.
    return encode_json({"channel": channel, "identity": identity, "contact_id": contact_id})


def _in_order(db: TinyDB, table: str) -> list[Doc]:
    """A table's documents in insertion order (TinyDB's doc ids count up)."""
    return [dict(doc) for doc in sorted(db.table(table).all(), key=lambda d: d.doc_id)]
