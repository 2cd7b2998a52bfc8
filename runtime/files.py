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
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bridge.model import Attachment
from crm_store.storage import ensure_dir, write_atomic

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp")  # shown in place; all else downloads


class DiskFiles:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    async def put(self, data: bytes, name: str, content_type: str) -> Attachment:
        return await asyncio.to_thread(self._put, data, _safe_name(name), content_type or "application/octet-stream")

    def _put(self, data: bytes, name: str, content_type: str) -> Attachment:
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

    def _index(self, token: str) -> Path:
        return self.root / "index" / token[:2] / f"{token}.json"

    async def serve(self, request: web.Request) -> web.Response:
        found = await self.get(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound(text="no such file\n")
        data, attachment = found
        disposition = "inline" if attachment.content_type in INLINE else "attachment"
        return web.Response(body=data, content_type=attachment.content_type, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
            "Content-Security-Policy": "default-src 'none'; sandbox"})


def _safe_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    return re.sub(r"[\x00-\x1f\x7f/]", "_", base)[:120]


def _write_atomically(path: Path, data: bytes) -> None:
    ensure_dir(path.parent)
    write_atomic(path, data)
