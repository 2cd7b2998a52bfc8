"""Where each record of a TinyDbCrm lives under its root directory.

    <root>/contacts/<id[:2]>/<id>.json          one TinyDB file per contact:
                                                tables contact, leads, activities
    <root>/identities/<h[:2]>/<h>.json          (channel, identity) -> contact id,
                                                h = sha256 of the pair
    <root>/transcripts/<id[:2]>/<id>.txt        one activity body per file

Every lookup is a path computed from the key, so no operation lists a
directory or reads another contact's file, and opening the store reads
nothing. The two-character shard keeps directories to a few hundred entries
per 100k records.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from pathlib import Path

# Record ids become file names: anything else (a "../x" from a caller, say) is unknown.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_id() -> str:
    return secrets.token_hex(8)


def is_safe_id(record_id: str) -> bool:
    return isinstance(record_id, str) and _SAFE_ID.fullmatch(record_id) is not None


def identity_hash(channel: str, identity: str) -> str:
    # JSON keeps the pair unambiguous: ("a|b", "c") and ("a", "b|c") differ.
    key = json.dumps([channel, identity], ensure_ascii=True)
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.contacts = root / "contacts"
        self.identities = root / "identities"
        self.transcripts = root / "transcripts"

    def contact(self, contact_id: str) -> Path:
        return self.contacts / contact_id[:2] / f"{contact_id}.json"

    def identity(self, channel: str, identity: str) -> Path:
        digest = identity_hash(channel, identity)
        return self.identities / digest[:2] / f"{digest}.json"

    def transcript(self, activity_id: str) -> Path:
        return self.transcripts / activity_id[:2] / f"{activity_id}.txt"

    def is_empty(self) -> bool:
        """No contact file stored yet. Looks at the shard directories only
        (at most 256), and stops at the first entry found."""
        try:
            with os.scandir(self.contacts) as shards:
                return not any(shard.is_dir() and _has_entries(shard.path) for shard in shards)
        except FileNotFoundError:
            return True


def _has_entries(path: str) -> bool:
    with os.scandir(path) as entries:
        return next(entries, None) is not None
