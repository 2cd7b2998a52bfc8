"""open_crm: pick a CrmStore backend from a URL or a path, importing a legacy file once."""
from __future__ import annotations

import re
from pathlib import Path

from crm_store.base import CrmStore
from crm_store.legacy import migrate_legacy
from crm_store.memory import MemoryCrm
from crm_store.tinydb_store import TinyDbCrm
from durable.pg import is_postgres

MEMORY_URL = "memory:"
TINYDB_SCHEME = "tinydb://"
LEGACY_NAME = "crm.json"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def open_crm(url_or_path: str) -> CrmStore:
    """Open the CRM store named by ``url_or_path``.

    - ``"memory:"``: a MemoryCrm (nothing kept).
    - ``"tinydb:///abs/dir"`` or a directory path: a TinyDbCrm rooted at that
      directory (created if missing).
    - ``"postgresql://…"``: a PgCrm in that database (tables created at start).

    Path convention: the runtime calls ``open_crm(os.path.join(data_dir, "crm"))``,
    so the store lives in ``<data_dir>/crm/`` and the legacy single-file CRM
    is its sibling ``<data_dir>/crm.json``. In general the legacy file looked
    for is ``crm.json`` next to the store directory.

    Migration: when that legacy file exists and the store holds no contact
    yet, it is imported once and renamed ``crm.json.migrated``; a torn or
    unreadable one has its readable records imported and is renamed
    ``crm.json.corrupt-<UTC time>``. A failed import is logged, never raised:
    an unreadable CRM must not stop the product from starting.

    Transition: a path ending in ``.json`` (the old convention, e.g.
    ``<data_dir>/crm.json``) names the legacy file itself, and the store goes
    to the same path without the suffix (``<data_dir>/crm/``), so old callers
    land on the same store as new ones.
    """
    if url_or_path == MEMORY_URL:
        return MemoryCrm()
    if is_postgres(url_or_path):
        from crm_store.pg_store import PgCrm  # psycopg is only needed by those who use it
        return PgCrm(url_or_path)
    root, legacy = _locate(url_or_path)
    store = TinyDbCrm(root)
    migrate_legacy(store, legacy)
    return store


def _locate(url_or_path: str) -> tuple[Path, Path]:
    """(store directory, legacy file) for a tinydb URL or a path."""
    if url_or_path.startswith(TINYDB_SCHEME):
        path = Path(url_or_path[len(TINYDB_SCHEME):])
        if not path.is_absolute():
            raise ValueError("a tinydb:// URL needs an absolute path: tinydb:///abs/dir")
    elif _URL.match(url_or_path):
        raise ValueError("unknown CRM URL scheme")
    else:
        path = Path(url_or_path).expanduser()
    if path.suffix == ".json":
        return path.with_suffix(""), path
    return path, path.parent / LEGACY_NAME
