"""The CRM's TinyDB storage, built on the crash-safe file helpers of ``durable.files``.

Every file the CRM writes goes through ``write_atomic``, so a kill -9 at any
moment leaves either the old file or the new one, never a torn one.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage

from durable.files import CorruptFile, encode_json, ensure_dir, read_json, write_atomic

Tables = dict[str, dict[str, Any]]


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
