"""Crash-safe files: atomic replace and exclusive publish, for every file the product writes.

``write_atomic`` lands the bytes in a temp file in the same directory, flushes
and fsyncs it, then renames it over (or hard-links it onto) the target, and
fsyncs the directory so the rename survives a power cut too. A kill -9 at any
moment therefore leaves either the old file or the new one, never a torn one;
at worst a stray ``.*.tmp`` file. The CRM's files, kept attachments and the
key files all go through it.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

# Customer data: readable by the service user only.
FILE_MODE = 0o600
DIR_MODE = 0o700


class CorruptFile(Exception):
    """A store file exists but does not parse; never raised for a missing file."""


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_json(path: Path) -> Any:
    """The parsed file, or None when it does not exist; CorruptFile when it does not parse."""
    raw = read_bytes(path)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise CorruptFile(type(exc).__name__) from None


def encode_json(data: Any) -> bytes:
    # Compact and ASCII-only: small files, and any str (even lone surrogates) round-trips.
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def ensure_dir(path: Path, *, fsync: bool = True) -> None:
    """Create ``path`` (and parents); fsync the parent so the new entry is durable."""
    if path.is_dir():
        return
    ensure_dir(path.parent, fsync=fsync)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:  # another thread won the race
        return
    if fsync:
        fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, fsync: bool = True, exclusive: bool = False) -> bool:
    """Make ``path`` hold exactly ``data``, all or nothing.

    With ``exclusive`` the file is only created, never replaced: returns False
    (and writes nothing) when it already exists. A hard link is atomic and
    refuses an existing name, so this is a create-if-absent that holds even
    against another process. Returns True when the data was written.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_temp(tmp, data, fsync)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
    finally:
        # After replace the temp name is gone; after link or a failure it is not.
        tmp.unlink(missing_ok=True)
    if fsync:
        fsync_dir(path.parent)
    return True


def _write_temp(tmp: Path, data: bytes, fsync: bool) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        if fsync:
            os.fsync(f.fileno())
