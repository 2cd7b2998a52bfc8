"""``POST /webchat/{widget}/upload``: a customer's file, answered with the same ``ack`` as a message.

Multipart fields ``visitor_token``, ``client_id``, ``file`` and optional
``text``, ``name``, ``email`` and ``language``. The file is read up to the size limit, the token checked, and
only then stored: a forged or missing token, a type not allowed or a file
too large stores nothing.
"""
from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from backends.webchat import pages
from backends.webchat.frames import MAX_CLIENT_ID, MAX_LANGUAGE, FrameError
from backends.webchat.limits import wait_seconds
from bridge.errors import StorageFull
from bridge.relay import MAX_TEXT, well_formed

if TYPE_CHECKING:
    from backends.webchat.backend import WebchatBackend

ALLOWED = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/rtf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
READ_SECONDS = 120.0  # a slow upload gives up rather than hold a connection for ever
STATUS = {"rate_limited": 429, "quota": 429, "too_large": 413, "bad_type": 415, "bad_token": 403,
          "unavailable": 503, "storage_full": 507}


async def upload(backend: "WebchatBackend", request: web.Request) -> web.Response:
    try:
        ack = await _upload(backend, request)
    except FrameError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return web.json_response(exc.frame(), status=STATUS.get(exc.code, 400),
                                 headers={**pages.base_headers(), **headers})
    return web.json_response(ack, headers=pages.base_headers())


async def _upload(backend: "WebchatBackend", request: web.Request) -> dict[str, Any]:
    if not pages.origin_allowed(request, backend.allowed, backend.context.public_url):
        raise FrameError("bad_origin", "this origin may not use the chat")
    limit = backend.limits.max_upload_mb * 1024 * 1024
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise FrameError("too_large", f"a file has at most {backend.limits.max_upload_mb} MB")
    try:
        fields, file = await asyncio.wait_for(_read(request, limit), READ_SECONDS)
    except (asyncio.TimeoutError, ValueError, AssertionError, KeyError, HttpProcessingError):  # e.g. a CR in a header
        raise FrameError("bad_form", "send multipart/form-data with visitor_token, client_id and file") from None
    ref = await backend.tokens.customer_ref(fields.get("visitor_token") or None)
    if ref is None:
        raise FrameError("bad_token", "unknown or expired visitor: open the chat again")
    client_id, text = fields.get("client_id", ""), fields.get("text", "")
    if not 0 < len(client_id) <= MAX_CLIENT_ID or len(text) > MAX_TEXT:
        raise FrameError("bad_field", f"client_id needs 1 to {MAX_CLIENT_ID} characters, text at most {MAX_TEXT}")
    if file is None:
        raise FrameError("missing_field", "the form needs a file", client_id)
    name, content_type, data = file
    if content_type not in ALLOWED:
        raise FrameError("bad_type", "this kind of file cannot be sent: images, PDF, text and office documents",
                         client_id)
    ip = backend.throttle.client_ip(request)
    backend.admit(ref, ip, client_id)
    tag = f"{client_id} {await asyncio.to_thread(_digest, data)}"  # the same file sent again counts once
    if wait := backend.throttle.upload_wait(ref, ip, len(data), tag):
        raise FrameError("quota", "you have sent all the files you may for today: send text, or wait", client_id,
                         wait_seconds(wait))
    try:
        attachment = await backend.context.files.put(data, name, content_type)
    except StorageFull:
        backend.throttle.upload_failed(ref, ip, tag)
        raise FrameError("storage_full", "files cannot be received just now: send your message as text",
                         client_id) from None
    return await backend.accept(ref, client_id, text, fields.get("name", ""), fields.get("email") or None,
                                (attachment,), language=fields.get("language", "")[:MAX_LANGUAGE] or None)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _read(request: web.Request, limit: int) -> tuple[dict[str, str], tuple[str, str, bytes] | None]:
    fields: dict[str, str] = {}
    file: tuple[str, str, bytes] | None = None
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            return fields, file
        if not isinstance(part, BodyPartReader):
            raise ValueError("nested multipart")
        if part.name == "file":
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise FrameError("too_large", f"a file is at most {limit // (1024 * 1024)} MB")
            content_type = (part.headers.get("Content-Type", "") or "").split(";")[0].strip().lower()
            file = (part.filename or "file", content_type, bytes(data))
        elif part.name in ("visitor_token", "client_id", "text", "name", "email", "language"):
            value = (await part.read(decode=False))[:MAX_TEXT * 4].decode("utf-8", "replace")
            if not well_formed(value):
                raise FrameError("bad_field", f"\"{part.name}\" is not well-formed Unicode")
            fields[part.name] = value.strip() if part.name != "text" else value
