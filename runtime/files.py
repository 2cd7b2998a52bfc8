"""Files customers and operators exchange, kept in the data dir, served under unguessable URLs.

Content-addressed (one copy of each content, whatever it is called), and
each upload gets its own random token: knowing a file's content or name is
not enough to fetch it. Another store (object storage) implements the same
``bridge.channels.FileStore``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bridge.errors import StorageFull
from bridge.model import Attachment
from durable.pg import is_postgres
from durable.files import ensure_dir, write_atomic
from runtime.settings import Settings

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp")  # shown in place; all else downloads
OCTETS = "application/octet-stream"
# Types known by their first bytes: the content decides, whatever the sender declared.
MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
         (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"), (b"OggS", "audio/ogg"), (b"ID3", "audio/mpeg"),
         (b"\x1aE\xdf\xa3", "video/webm"), (b"{\\rtf", "application/rtf"))
# Containers several types share: the declared type is kept when it is one of them.
CONTAINERS = ((b"PK\x03\x04", ("application/zip", "application/vnd.openxmlformats-officedocument.",
                                 "application/vnd.oasis.opendocument.")),
              (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ("application/msword", "application/vnd.ms-")))
TEXTS = ("text/plain", "text/csv")  # kept when the content is UTF-8 text; served as a download


class DiskFiles:
    def __init__(self, root: Path, base_url: str, min_free: int = 0) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.min_free = min_free  # bytes the disk keeps free: the journal needs room for customers' texts

    async def put(self, data: bytes, name: str, content_type: str) -> Attachment:
        return await asyncio.to_thread(self._put, data, _safe_name(name), typed(data, content_type))

    def _put(self, data: bytes, name: str, content_type: str) -> Attachment:
        ensure_dir(self.root)
        if shutil.disk_usage(self.root).free - len(data) < self.min_free:
            raise StorageFull("the disk is nearly full: files cannot be stored now")
        digest = hashlib.sha256(data).hexdigest()
        blob = self.root / "blobs" / digest[:2] / digest
        if not blob.exists():
            _write_atomically(blob, data)
        token = secrets.token_urlsafe(18)
        index = {"sha256": digest, "name": name, "content_type": content_type, "size": len(data)}
        _write_atomically(self._index(token), json.dumps(index).encode())
        return self._attachment(token, index)

    async def get(self, url: str) -> tuple[bytes, Attachment] | None:
        token = url.split("/files/", 1)[-1].split("/", 1)[0] if "/files/" in url else url
        return await asyncio.to_thread(self._get, token)

    def _get(self, token: str) -> tuple[bytes, Attachment] | None:
        if not _TOKEN.match(token):
            return None
        try:
            index = json.loads(self._index(token).read_bytes())
            data = (self.root / "blobs" / index["sha256"][:2] / index["sha256"]).read_bytes()
        except (OSError, ValueError, KeyError):
            return None
        return data, self._attachment(token, index)

    def _attachment(self, token: str, index: dict[str, Any]) -> Attachment:
        kind = "image" if index["content_type"] in INLINE else "file"
        return Attachment(kind, url=f"{self.base_url}/files/{token}/{quote(index['name'])}", name=index["name"],
                          size=index["size"], content_type=index["content_type"], ref=token)

    def state(self) -> str:
        """For the health check: "ok", "cannot write" or "disk nearly full" (files refused, texts kept)."""
        if not dir_writable(self.root):
            return "cannot write"
        return "ok" if shutil.disk_usage(self.root).free >= self.min_free else "disk nearly full"

    def close(self) -> None:
        """Nothing held open: each call opens its own files."""

    def _index(self, token: str) -> Path:
        return self.root / "index" / token[:2] / f"{token}.json"

    async def serve(self, request: web.Request) -> web.Response:
        found = await self.get(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound(text="no such file\n")
        data, attachment = found
        content_type = typed(data, attachment.content_type)  # files stored before types were sniffed too
        disposition = "inline" if content_type in INLINE else "attachment"
        return web.Response(body=data, content_type=content_type, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
            "Content-Security-Policy": "default-src 'none'; sandbox"})


def open_files(settings: Settings, base_url: str) -> DiskFiles:
    """The install's file store: in PostgreSQL with ``OPENLINES_DATABASE_URL``, else in the data dir."""
    if is_postgres(settings.database_url):
        from runtime.pg_files import PgFiles  # psycopg is only needed by those who use it
        return PgFiles(settings.database_url, base_url, max_bytes=settings.max_upload_mb * 1024 * 1024)
    return DiskFiles(Path(settings.path("files")), base_url, min_free=settings.min_free_disk_mb * 1024 * 1024)


def typed(data: bytes, declared: str) -> str:
    """The type a file is served as: what its first bytes say, or the declared type when the
    content fits it; anything else is plain bytes (downloaded, never rendered)."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    declared = media_type(declared)
    if data[4:8] == b"ftyp":
        return declared if declared in ("video/mp4", "audio/mp4", "video/quicktime", "audio/x-m4a") else "video/mp4"
    for magic, families in CONTAINERS:
        if data.startswith(magic):
            return declared if declared.startswith(families) else OCTETS
    if declared in TEXTS and _utf8(data):
        return declared
    return OCTETS


def media_type(content_type: str) -> str:
    """``image/png; charset=utf-8`` → ``image/png``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def _safe_name(name: str) -> str:
    """The base name, without controls or bidi marks ("invoice\u202egnp.exe" would show as "invoiceexe.png")."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs")).strip()
    return (base or "file")[:120]


def dir_writable(path: Path) -> bool:
    """Whether a file can be created and written in ``path`` now (a read-only mount, a full disk: no)."""
    try:
        ensure_dir(path)
        fd, name = tempfile.mkstemp(dir=path, prefix=".health-")
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError:
        return False
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    ensure_dir(path.parent)
    write_atomic(path, data)
