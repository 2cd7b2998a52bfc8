"""Helpers for the crm_store tests (not a test module): file-access recording, legacy files."""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class FileEvents:
    """Files opened and directories listed by this thread while ``recording``, via audit hooks.

    Audit hooks see every open and listing, whatever code path makes it, so a
    test can say what a call touched without knowing how it is written.
    """

    def __init__(self) -> None:
        self.active: threading.Thread | None = None
        self.opened: list[str] = []
        self.listed: list[str] = []

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if self.active is not threading.current_thread():
            return
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            self.opened.append(os.fsdecode(args[0]))
        elif event in ("os.listdir", "os.scandir", "glob.glob"):
            self.listed.append(str(args[0]))

    @contextmanager
    def recording(self) -> Iterator[FileEvents]:
        self.opened, self.listed = [], []
        self.active = threading.current_thread()
        try:
            yield self
        finally:
            self.active = None


def legacy_tables(contacts: int = 3, activities_each: int = 2) -> dict[str, dict[str, Any]]:
    """Tables as the single-file TinyDbCrm stored them (TinyDB doc ids as string keys)."""
    tables: dict[str, dict[str, Any]] = {"contacts": {}, "leads": {}, "activities": {}}
    for n in range(contacts):
        cid = f"{n:016x}"
        tables["contacts"][str(n + 1)] = {
            "id": cid, "name": f"Customer {n}", "email": f"c{n}@x.io",
            "identities": [["webchat", f"v{n}"]], "created_at": 1000.0 + n,
        }
        tables["leads"][str(n + 1)] = {
            "id": f"1{n:015x}", "contact_id": cid, "title": f"Website chat: Customer {n}",
            "source": "Website chat", "status": "new", "created_at": 1000.0 + n,
        }
        for a in range(activities_each):
            doc_id = str(n * activities_each + a + 1)
            tables["activities"][doc_id] = {
                "id": f"2{n:07x}{a:08x}", "contact_id": cid, "kind": "transcript",
                "subject": f"Chat {a}", "body": f"transcript {n}/{a} " + "x" * 200,
                "external_key": f"conversation:{n}-{a}", "created_at": 2000.0 + a,
            }
    return tables


def write_legacy(path: Path, tables: dict[str, dict[str, Any]]) -> bytes:
    """Write the tables the way TinyDB's JSONStorage did; returns the bytes written."""
    raw = json.dumps(tables).encode()
    path.write_bytes(raw)
    return raw
