"""The Graph API as the Meta channels use it: one aiohttp session per backend, errors as SendErrors.

The token travels in the ``Authorization`` header, never in the URL: aiohttp
puts URLs in its exceptions, and those reach logs. Reasons given to operators
name Meta's error code and its own words with every credential scrubbed out.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import os
from typing import Any, AsyncIterator, Iterable, Mapping
from urllib.parse import quote, urlsplit

import aiohttp

from backends.meta.kind import DEFAULT_API
from backends.platform_files import FileFetcher
from bridge.errors import CredentialsRefused, CustomerUnreachable, PermanentSendError, RateLimited, SendError

RATE_CODES = frozenset({4, 17, 32, 613})  # app, user, page and call-type rate limits
OUTSIDE_WINDOW = 2018278
DEFAULT_RETRY_AFTER = 60.0  # Meta rarely says how long: a minute is its shortest usage window
MAX_RETRY_AFTER = 3600.0
MAX_DOWNLOAD = 25 * 1024 * 1024  # Messenger's own attachment limit
DOWNLOAD_TIMEOUT = 15.0
TOKEN_REFUSED = "the page token was refused: reconnect the channel"



def node(*parts: str) -> str:
    """A Graph API path from ids: each is opaque text from a webhook ("/", "?" or "#" in one must not
    reach another node), so each is one quoted path segment."""
    return "/".join(quote(part, safe="") for part in parts)

class Graph:
    def __init__(self, api_url: str, token: str, secrets: Iterable[str] = (), timeout: float = 20.0) -> None:
        self.api = (api_url or DEFAULT_API).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._auth = {"Authorization": f"Bearer {token}"}
        self._secrets = tuple(s for s in {token, *secrets} if s)
        self._session: aiohttp.ClientSession | None = None
        self.files = FileFetcher("Meta", own=(self.api,))

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(raise_for_status=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.files.close()

    @contextlib.asynccontextmanager
    async def borrowed(self) -> AsyncIterator[None]:
        """A session for a backend that is not started (the admin's check when connecting)."""
        if self._session is not None:
            yield
            return
        await self.open()
        try:
            yield
        finally:
            await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise SendError("the channel is not started")
        return self._session

    # -- calls ------------------------------------------------------------------------------
    async def get(self, path: str, *, timeout: float | None = None, **params: str) -> dict[str, Any]:
        return await self._call("GET", path, timeout, params=params)

    async def post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("POST", path, None, sending=True, json=payload)

    async def upload(self, path: str, fields: Mapping[str, Any], data: bytes, name: str, content_type: str,
                     field: str = "filedata") -> dict[str, Any]:
        """A file as multipart form data (other fields JSON-encoded where they are objects): ``filedata``
        for the Send API, ``source`` for a comment's picture."""
        form = aiohttp.FormData()
        for key, value in fields.items():
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
        form.add_field(field, data, filename=name, content_type=content_type or "application/octet-stream")
        return await self._call("POST", path, None, sending=True, data=form)

    async def _call(self, method: str, path: str, timeout: float | None, *, sending: bool = False,
                    **kwargs: Any) -> dict[str, Any]:
        limit = aiohttp.ClientTimeout(total=timeout) if timeout else self.timeout
        try:
            async with self.session.request(method, f"{self.api}/{path}", headers=self._auth, timeout=limit,
                                            **kwargs) as response:
                status, headers, body = response.status, response.headers, await response.read()
        except asyncio.TimeoutError:
            raise SendError("Meta did not answer in time") from None
        except aiohttp.ClientError as exc:
            raise SendError(f"could not reach Meta ({type(exc).__name__})") from None
        data = _json(body)
        if status >= 400 or "error" in data:
            raise refusal(status, data, headers, self.scrub, sending=sending)
        return data

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "…")
        return "".join(ch for ch in text if ch.isprintable())[:200]

    # -- files from Meta's CDN ------------------------------------------------------------------
    async def download(self, url: str) -> tuple[bytes, str, str] | None:
        """The file's bytes, name and type; None when it cannot be had (the caller keeps the URL).

        No token goes with it: CDN addresses carry their own signature.
        """
        got = await self.files.fetch(url, MAX_DOWNLOAD, DOWNLOAD_TIMEOUT)
        if got is None:
            return None
        data, content_type = got
        return data, file_name(url, content_type), content_type


def file_name(url: str, content_type: str) -> str:
    name = os.path.basename(urlsplit(url).path)
    if name and "." in name:
        return name[-120:]
    return (name or "file")[:100] + (mimetypes.guess_extension(content_type or "") or "")


def refusal(status: int, data: Mapping[str, Any], headers: Mapping[str, str], scrub: Any,
            *, sending: bool = True) -> SendError:
    """Meta's error JSON as the SendError the outbox acts on."""
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    assert isinstance(error, dict)
    code, sub = _int(error.get("code")), _int(error.get("error_subcode"))
    said = scrub(error["message"]) if isinstance(error.get("message"), str) else ""
    if code == 190:
        return CredentialsRefused(TOKEN_REFUSED)
    if code in RATE_CODES or status == 429:
        return RateLimited(retry_after(headers), f"Meta asked to slow down (code {code or status})")
    if code == 551:
        return CustomerUnreachable("the customer cannot be reached on this channel now (Meta code 551)")
    if sending and (sub == OUTSIDE_WINDOW or code == 10):
        return PermanentSendError("Meta refused it: the customer's last message is too old to answer "
                                  f"(code {code}/{sub or '-'})")
    if status >= 500 or error.get("is_transient") is True or code in (1, 2):
        return SendError(f"Meta is unavailable for a moment (HTTP {status}, code {code or '-'})")
    return PermanentSendError(f"Meta refused it (code {code or status}){': ' + said if said else ''}")


def retry_after(headers: Mapping[str, str]) -> float:
    """The wait Meta asked for: Retry-After, else its usage header's time to regain access."""
    try:
        return min(max(float(headers.get("Retry-After", "")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage", "") or "{}")
        minutes = max((_int(u.get("estimated_time_to_regain_access")) for v in usage.values()
                       for u in v if isinstance(u, dict)), default=0)
    except (ValueError, AttributeError, TypeError):
        minutes = 0
    return min(minutes * 60.0, MAX_RETRY_AFTER) if minutes > 0 else DEFAULT_RETRY_AFTER


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
