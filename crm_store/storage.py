"""Crash-safe files: atomic replace, exclusive publish, and the TinyDB storage built on them.

Every file the CRM writes goes through ``write_atomic``: the bytes land in a
temp file in the same directory, are flushed and fsynced, then renamed over
(or hard-linked onto) the target, and the directory is fsynced so the rename
survives a power cut too. A kill -9 at any moment therefore leaves either the
old file or the new one, never a torn one; at worst a stray ``.*.tmp`` file.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage

# Customer data: readable by the service user only.
FILE_MODE = 0o600
DIR_MODE = 0o700

Tables = dict[str, dict[str, Any]]


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


class AtomicJSONStorage(Storage):
    """A TinyDB storage for one small file, read once and written once per unit of work.

    TinyDB calls ``read`` and ``write`` around every table operation; here
    ``read`` parses the file only the first time and ``write`` only keeps the
    new state. ``commit`` then writes it with ``write_atomic``, so several
    table changes (a contact and its lead, say) reach the disk together or
    not at all. A missing file reads as an empty database and is not created
    by reading.
    """

    def __init__(self, path: Path, fsync: bool = True) -> None:
        super().__init__()
        self._path = path
        self._fsync = fsync
        self._data: Tables | None = None
        self._loaded = False
        self._dirty = False

    def read(self) -> Tables | None:
        if not self._loaded:
            data = read_json(self._path)
            if data is not None and not isinstance(data, dict):
                raise CorruptFile("not an object")
            self._data, self._loaded = data, True
        return self._data

    def write(self, data: Tables) -> None:
        self._data, self._loaded, self._dirty = data, True, True

    def commit(self) -> None:
        if self._dirty and self._data is not None:
            ensure_dir(self._path.parent, fsync=self._fsync)
            write_atomic(self._path, encode_json(self._data), fsync=self._fsync)
            self._dirty = False


@contextmanager
def open_db(path: Path, *, fsync: bool = True) -> Iterator[TinyDB]:
    """A TinyDB over one file for one unit of work, committed when the block ends cleanly.

    An exception inside the block discards every change: nothing is written.
    """
    db = TinyDB(path, storage=AtomicJSONStorage, fsync=fsync)
    try:
        yield db
        cast(AtomicJSONStorage, db.storage).commit()
    finally:
        db.close()
