"""Rows to domain values and back: the JSON documents beside the indexed columns.

Kept free of SQLite so a PostgreSQL store can reuse it as is.
"""
from __future__ import annotations

import dataclasses
import json
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, Protocol

from bridge.line_settings import LineSettings
from bridge.model import (
    Attachment,
    ChannelBinding,
    Conversation,
    ConversationStatus,
    Delivery,
    Line,
    Message,
    MessageKind,
    Participant,
    ParticipantRole,
    Rating,
)
from bridge.store import NewMessage, WorkItem

class Row(Protocol):
    """A database row read by column name (sqlite3.Row, a driver's record, a dict)."""

    def __getitem__(self, key: str) -> Any: ...


_CONVERSATION_FIELDS = frozenset(f.name for f in dataclasses.fields(Conversation))
# Conversation fields kept in indexed columns; the rest go to the JSON document.
CONVERSATION_COLUMNS = ("id", "line_id", "binding_id", "customer_ref", "status", "owner",
                        "created_at", "closed_at", "version")


def conversation_doc(c: Conversation) -> str:
    doc = {f.name: getattr(c, f.name) for f in dataclasses.fields(c) if f.name not in CONVERSATION_COLUMNS}
    doc["participants"] = [dataclasses.asdict(p) for p in c.participants]
    doc["offered_to"], doc["passed"] = list(c.offered_to), list(c.passed)
    return json.dumps(doc)


def conversation_from(row: Row) -> Conversation:
    doc = json.loads(row["doc"])
    doc["participants"] = tuple(Participant(**{**p, "role": ParticipantRole(p.get("role", "owner"))})
                                for p in doc.get("participants", ()))
    if doc.get("customer_rating") is not None:
        doc["customer_rating"] = Rating(doc["customer_rating"])
    doc["offered_to"] = tuple(doc.get("offered_to", ()))
    doc["passed"] = tuple(doc.get("passed", ()))
    extras = {k: v for k, v in doc.items() if k in _CONVERSATION_FIELDS}
    extras.setdefault("customer_name", "Customer")
    return Conversation(
        id=str(row["id"]), line_id=row["line_id"], binding_id=row["binding_id"],
        customer_ref=row["customer_ref"], status=ConversationStatus(row["status"]),
        owner=row["owner"], created_at=row["created_at"], closed_at=row["closed_at"],
        version=row["version"], **extras)


EMPTY_DOC = "{}"  # most messages: nothing beside the columns, no JSON to encode or parse
# Values JSON gives back as they were (under str keys): a payload of these needs no round trip.
_PLAIN = frozenset((str, int, float, bool, type(None)))


def message_doc(m: NewMessage) -> str:
    if not m.attachments and m.edit_of is None and not m.meta:
        return EMPTY_DOC
    doc: dict[str, Any] = {}
    if m.attachments:
        doc["attachments"] = [dataclasses.asdict(a) for a in m.attachments]
    if m.edit_of is not None:
        doc["edit_of"] = m.edit_of
    if m.meta:
        doc["meta"] = dict(m.meta)
    return json.dumps(doc)


def message_from(row: Row) -> Message:
    doc = json.loads(row["doc"] or EMPTY_DOC)
    return Message(
        seq=row["seq"], conversation_id=str(row["conversation_id"]), kind=MessageKind(row["kind"]),
        author=row["author"], text=row["text"], ts=row["ts"],
        attachments=tuple(Attachment(**a) for a in doc.get("attachments", ())),
        edit_of=doc.get("edit_of"), external_id=row["external_id"],
        delivery=Delivery(row["delivery"]), error=row["error"], meta=doc.get("meta", {}))


def message_stored(m: NewMessage, seq: int, conversation_id: int, doc: str) -> Message:
    """The message just inserted, equal to ``message_from`` of its row, built from what was written:
    the writer reads back only the generated seq. A non-empty doc is parsed all the same (JSON may
    change what it holds: a tuple comes back a list), so the two never differ."""
    attachments: tuple[Attachment, ...] = ()
    parsed: dict[str, Any] = {}
    if doc != EMPTY_DOC:  # most messages have no document: nothing to parse, no generator to run
        parsed = json.loads(doc)
        attachments = tuple(Attachment(**a) for a in parsed.get("attachments", ()))
    return Message(
        seq=seq, conversation_id=str(conversation_id), kind=m.kind, author=m.author, text=m.text,
        ts=float(m.ts), attachments=attachments, edit_of=parsed.get("edit_of"), external_id=m.external_id,
        delivery=m.delivery, error=None, meta=parsed.get("meta", {}))


def payload_stored(payload: dict[str, Any], text: str) -> dict[str, Any]:
    """The payload as ``json.loads(text)`` gives it back: ``payload`` itself when JSON keeps it as is."""
    for k, v in payload.items():  # a loop, not all() over a generator: three calls less per work item
        if type(k) is not str or type(v) not in _PLAIN:
            loaded: dict[str, Any] = json.loads(text)
            return loaded
    return payload


# json.dumps(obj) as the default encoder writes it, without building an encoder per call (json.dumps does:
# a third of its cost on the writer's small payloads). No circular check (json.dumps(check_circular=False):
# a payload is plain data; a cycle would still raise, RecursionError). The pure-Python json lacks it.
_ENCODER = (None if c_make_encoder is None else
            c_make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ",
                           False, False, True))


def dumps(obj: Any) -> str:
    if _ENCODER is None or type(obj) is not dict:
        return json.dumps(obj)
    return "".join(_ENCODER(obj, 0))


def work_from(row: Row, *, recovered: bool = False, begun: bool | None = None, held: bool = True) -> WorkItem:
    cid = row["conversation_id"]
    return WorkItem(id=row["id"], kind=row["kind"], lane=row["lane"],
                    conversation_id=None if cid is None else str(cid), payload=json.loads(row["payload"]),
                    not_before=row["not_before"], attempts=row["attempts"], recovered=recovered,
                    begun=bool(row["held"]) if begun is None else begun, held=held)


def line_doc(line: Line) -> str:
    doc = dataclasses.asdict(line)
    doc["settings"] = line.settings.as_dict()
    return json.dumps(doc)


def line_from(doc_text: str) -> Line:
    doc = json.loads(doc_text)
    settings = doc.pop("settings", {})
    for legacy in ("welcome_text", "closing_text"):  # schema 1 kept them on the line itself
        if legacy in doc:
            settings[legacy] = doc.pop(legacy)
    for people in ("operators", "supervisors", "admins"):
        doc[people] = tuple(doc.get(people, ()))
    doc["quick"] = tuple((str(n), str(t)) for n, t in doc.get("quick", ()))
    known = {f.name for f in dataclasses.fields(Line)}
    return Line(settings=LineSettings.from_dict(settings), **{k: v for k, v in doc.items() if k in known})


def binding_doc(binding: ChannelBinding) -> str:
    return json.dumps({"line_id": binding.line_id, "kind": binding.kind, "key": binding.key,
                       "label": binding.label, "settings": dict(binding.settings), "enabled": binding.enabled})


def binding_from(doc_text: str, secrets: dict[str, str]) -> ChannelBinding:
    doc = json.loads(doc_text)
    return ChannelBinding(line_id=doc["line_id"], kind=doc["kind"], key=doc["key"], label=doc.get("label", ""),
                          settings=doc.get("settings", {}), secrets=secrets, enabled=doc.get("enabled", True))
