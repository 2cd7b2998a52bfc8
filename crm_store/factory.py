"""open_crm: pick a CrmStore backend from a URL or a file path."""
from __future__ import annotations

from pathlib import Path

from crm_store.base import CrmStore
from crm_store.memory import MemoryCrm
from crm_store.tinydb_store import TinyDbCrm

MEMORY_URL = "memory:"


def open_crm(url_or_path: str) -> CrmStore:
    """``"memory:"`` gives a MemoryCrm; anything else is a TinyDB file path.

    Other backends can claim their own URL schemes here later.
    """
    if url_or_path == MEMORY_URL:
        return MemoryCrm()
    path = Path(url_or_path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return TinyDbCrm(path)
