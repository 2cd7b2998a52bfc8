"""Customers' files that platforms host, fetched without letting a URL reach inside our network.

A platform names a file by URL (Bot Framework's ``contentUrl``, Viber's ``media``, Meta's CDN
links, Telegram's file path). Only the platform's own hosts (its configured API root) and
public addresses are fetched: never loopback, private, link-local (cloud metadata), CGNAT or
reserved ones. Names are checked after DNS resolution, in the resolver the connection uses, so
the connection goes to the very address that was checked (no second lookup to rebind), and every
redirect is checked again. Size and time are bounded.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Iterable

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class NotPublic(OSError):
    """The URL leads to an address that is neither public nor the platform's."""


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, RFC 1918, link-local (169.254.169.254), CGNAT 100.64/10,
    # unique-local fc00::/7, documentation and reserved ranges.
    return ip.is_global and not ip.is_multicast


def own_host(url: str) -> tuple[str, int] | None:
    """(host, port) of a platform's configured root, which is always trusted (a self-hosted API)."""
    parsed = URL(url) if url else None
    if parsed is None or not parsed.host or parsed.port is None:
        return None
    return parsed.host.lower(), parsed.port


class CheckedResolver(AbstractResolver):
    """Resolves as usual, then keeps only the addresses a fetch may reach."""

    def __init__(self, trusted: frozenset[tuple[str, int]]) -> None:
        self._trusted = trusted
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if (host.lower(), port) in self._trusted:
            return found
        kept = [r for r in found if public(r["host"])]
        if not kept:
            raise NotPublic(f"{host} has no public address")
        return kept

    async def close(self) -> None:
        await self._inner.close()


class FileFetcher:
    """One platform's file downloads (its own session, opened on first use, closed with the backend)."""

    def __init__(self, platform: str, own: Iterable[str] = ()) -> None:
        self.platform = platform
        self.trusted = frozenset(h for h in map(own_host, own) if h is not None)
        self._session: aiohttp.ClientSession | None = None
        self._resolver: CheckedResolver | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None

    async def fetch(self, url: str, limit: int, timeout: float) -> tuple[bytes, str] | None:
        """The file's bytes and content type, or None when it cannot (or may not) be had: not
        there, over ``limit`` bytes, too slow, or at an address that is not the platform's nor public.
        The caller then keeps the platform's link."""
        try:
            async with asyncio.timeout(timeout):
                return await self._follow(URL(url), limit)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, OSError) as exc:
            log.warning("a %s file could not be fetched: %s", self.platform, type(exc).__name__)  # URLs hold tokens
            return None

    async def _follow(self, url: URL, limit: int) -> tuple[bytes, str] | None:
        for _ in range(MAX_REDIRECTS + 1):
            self._check(url)
            async with self._open().get(url, allow_redirects=False) as response:
                if response.status in REDIRECTS and response.headers.get("Location"):
                    url = url.join(URL(response.headers["Location"]))
                    continue
                if response.status != 200 or (response.content_length or 0) > limit:
                    return None
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        return None
                return bytes(data), response.content_type
        raise ValueError("too many redirects")

    def _check(self, url: URL) -> None:
        """What the resolver cannot see: the scheme, and addresses written as such (never resolved)."""
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("not an http(s) URL")
        if (url.host.lower(), url.port) in self.trusted:
            return
        try:
            literal = public(url.host)
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        if not literal:
            raise NotPublic("not a public address")

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._resolver = CheckedResolver(self.trusted)
            connector = aiohttp.TCPConnector(resolver=self._resolver, limit_per_host=8)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session
