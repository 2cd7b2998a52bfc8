"""Files in PostgreSQL: the same store as DiskFiles (one copy per content, a random token per upload),
for intake workers that keep nothing on their own disk.

A blob and its upload's index row are written in one transaction, so a
file is either served whole or not known at all, whichever process stored
it. A file is held in memory to be stored or served, so files stay bounded
by ``max_bytes`` (the install's ``OPENLINES_MAX_UPLOAD_MB``).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from pathlib import Path
from typing import Any

import psycopg

from bridge.errors import StorageFull
from bridge.model import Attachment
from durable.pg import Pool, migrate_pool
from runtime.files import _TOKEN, DiskFiles, _safe_name, typed

log = logging.getLogger(__name__)
SCHEMA = {1: """
CREATE TABLE file_blobs (sha256 TEXT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE file_uploads (token TEXT PRIMARY KEY, sha256 TEXT NOT NULL REFERENCES file_blobs(sha256),
    name TEXT NOT NULL, content_type TEXT NOT NULL, size BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE INDEX file_uploads_blob ON file_uploads (sha256);
"""}


class PgFiles(DiskFiles):
    def __init__(self, url: str, base_url: str, max_bytes: int) -> None:
        super().__init__(Path("/nonexistent"), base_url)  # no disk: every method that used it is replaced
        self.max_bytes = max_bytes
        self._pool = Pool(url, 4)
        migrate_pool(self._pool, "files", SCHEMA)

    async def put(self, data: bytes, name: str, content_type: str) -> Attachment:
        if len(data) > self.max_bytes:
            raise StorageFull(f"a file has at most {self.max_bytes // (1024 * 1024)} MB")
        return await asyncio.to_thread(self._put, data, _safe_name(name), typed(data, content_type))

    def _put(self, data: bytes, name: str, content_type: str) -> Attachment:
        digest = hashlib.sha256(data).hexdigest()
        token = secrets.token_urlsafe(18)
        index = {"sha256": digest, "name": name, "content_type": content_type, "size": len(data)}
        try:
            with self._pool.transaction() as cur:
                # Another upload of the same content (here or in another process) may store it first.
                cur.execute("INSERT INTO file_blobs (sha256, data) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (digest, data))
                cur.execute("INSERT INTO file_uploads (token, sha256, name, content_type, size) "
                            "VALUES (%(token)s, %(sha256)s, %(name)s, %(content_type)s, %(size)s)",
                            {"token": token, **index})
        except (psycopg.Error, RuntimeError) as exc:  # RuntimeError: the server does not answer
            raise StorageFull(f"the database does not take files now ({type(exc).__name__})") from None
        return self._attachment(token, index)

    def _get(self, token: str) -> tuple[bytes, Attachment] | None:
        if not _TOKEN.match(token):
            return None
        try:
            with self._pool.transaction() as cur:
                row = cur.execute("SELECT u.sha256, u.name, u.content_type, u.size, b.data FROM file_uploads u "
                                  "JOIN file_blobs b ON b.sha256 = u.sha256 WHERE u.token = %s", (token,)).fetchone()
        except (psycopg.Error, RuntimeError) as exc:  # a 404 now, served again once the database answers
            log.warning("a file could not be read from the database: %s", type(exc).__name__)
            return None
        if row is None:
            return None
        index: dict[str, Any] = {"sha256": row[0], "name": row[1], "content_type": row[2], "size": row[3]}
        return bytes(row[4]), self._attachment(token, index)

    def state(self) -> str:
        """For the health check: "ok", or "cannot write" when the database does not answer."""
        try:
            with self._pool.transaction() as cur:
                cur.execute("SELECT 1 FROM file_uploads LIMIT 1")
        except (psycopg.Error, RuntimeError):
            return "cannot write"
        return "ok"

    def close(self) -> None:
        self._pool.close()
