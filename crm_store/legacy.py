"""One-time import of the legacy single-file CRM (one TinyDB JSON file) into a TinyDbCrm.

The legacy file holds TinyDB tables ``contacts``, ``leads`` and
``activities`` (activities with their bodies). A file torn by a crash is
salvaged: every document that parses completely before the damage is
imported, and the file is set aside as ``<name>.corrupt-<UTC time>``. A CRM
that cannot be read must never stop the product from starting, so nothing
here raises: failures are logged by exception type only (never content).
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from crm_store import records
from crm_store.layout import Layout
from crm_store.storage import Tables
from crm_store.tinydb_store import TinyDbCrm
from durable.files import read_bytes, write_atomic

log = logging.getLogger(__name__)

# Present while an import runs: a crash mid-import re-runs it (imports are idempotent).
IMPORT_MARKER = ".legacy-import"

_DECODER = json.JSONDecoder()
_PUNCT = re.compile(r"\s*([{}:,])")
_SPACE = re.compile(r"\s*")


def migrate_legacy(store: TinyDbCrm, legacy: Path) -> None:
    """Import ``legacy`` into an empty ``store`` once, then rename the file out of the way."""
    marker = store.root / IMPORT_MARKER
    try:
        if not legacy.is_file():
            marker.unlink(missing_ok=True)  # a finished import that crashed before cleanup
            return
        if not marker.exists() and not Layout(store.root).is_empty():
            log.warning("legacy CRM file left alone: the CRM store already holds contacts")
            return
        write_atomic(marker, b"")
        tables, intact = load_legacy(legacy)
        imported, skipped = import_tables(store, tables)
        os.sync()  # the import wrote without fsync: make it durable before the rename
        _set_aside(legacy, intact)
        marker.unlink(missing_ok=True)
        log.info("legacy CRM imported: %d contacts, %d records skipped", imported, skipped)
    except Exception as exc:  # noqa: BLE001 - the product starts with what is readable
        log.error("legacy CRM import failed (%s); starting without it", type(exc).__name__)


def load_legacy(path: Path) -> tuple[Tables, bool]:
    """The file's tables, and whether it parsed whole; a torn file gives what precedes the tear."""
    raw = read_bytes(path) or b""
    try:
        text = raw.decode("utf-8")
        if not text.strip():
            return {}, True  # TinyDB reads an empty file as an empty database
        tables = json.loads(text)
        if isinstance(tables, dict):
            return tables, True
    except ValueError:  # UnicodeDecodeError too
        pass
    return salvage(raw.decode("utf-8", "replace")), False


def salvage(text: str) -> Tables:
    """Every complete document of a TinyDB file, read from the front up to the first damage."""
    tables: Tables = {}
    try:
        pos = _punct(text, 0, "{")[1]
        while True:
            name, pos = _value(text, pos)
            pos = _punct(text, _punct(text, pos, ":")[1], "{")[1]
            pos = _salvage_table(text, pos, tables.setdefault(str(name), {}))
            sep, pos = _punct(text, pos, ",}")
            if sep == "}":
                return tables
    except _Torn:
        return tables


def _salvage_table(text: str, pos: int, table: dict[str, Any]) -> int:
    match = _PUNCT.match(text, pos)
    if match and match.group(1) == "}":
        return match.end()  # an empty table
    while True:
        doc_id, pos = _value(text, pos)
        doc, pos = _value(text, _punct(text, pos, ":")[1])
        table[str(doc_id)] = doc  # only once the whole document has parsed
        sep, pos = _punct(text, pos, ",}")
        if sep == "}":
            return pos


class _Torn(Exception):
    pass


def _punct(text: str, pos: int, allowed: str) -> tuple[str, int]:
    match = _PUNCT.match(text, pos)
    if match is None or match.group(1) not in allowed:
        raise _Torn
    return match.group(1), match.end()


def _value(text: str, pos: int) -> tuple[Any, int]:
    start = _SPACE.match(text, pos)
    try:
        return _DECODER.raw_decode(text, start.end() if start else pos)
    except ValueError:
        raise _Torn from None


def import_tables(store: TinyDbCrm, tables: Tables) -> tuple[int, int]:
    """Write each legacy contact with its leads and activities; returns (imported, skipped)."""
    leads, activities = defaultdict(list), defaultdict(list)
    skipped = 0
    for doc in _docs(tables, "leads"):
        try:
            leads[doc["contact_id"]].append(records.to_lead(doc))
        except (KeyError, TypeError, ValueError):
            skipped += 1
    for doc in _docs(tables, "activities"):
        try:
            activities[doc["contact_id"]].append(records.to_activity(doc, str(doc.get("body", ""))))
        except (KeyError, TypeError, ValueError):
            skipped += 1
    imported = 0
    for doc in _docs(tables, "contacts"):
        try:
            contact = records.to_contact(doc)
            # ValueError too for ids that cannot be file names (legacy ids were all hex).
            store.import_contact(contact, leads[contact.id], activities[contact.id], fsync=False)
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        imported += 1
    return imported, skipped


def _docs(tables: Tables, name: str) -> list[dict[str, Any]]:
    table = tables.get(name)
    if not isinstance(table, dict):
        return []
    ordered = sorted(table.items(), key=lambda item: _doc_number(item[0]))
    return [doc for _key, doc in ordered if isinstance(doc, dict)]


def _doc_number(doc_id: str) -> int:
    return int(doc_id) if doc_id.isdigit() else 0


def _set_aside(legacy: Path, intact: bool) -> None:
    if intact:
        os.replace(legacy, legacy.with_name(legacy.name + ".migrated"))
        return
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    os.replace(legacy, legacy.with_name(f"{legacy.name}.corrupt-{stamp}"))
    log.error("legacy CRM file was damaged: readable records imported, file set aside")
