"""What the website chat serves over plain HTTP: the page, its script and styles, widget.js,
the favicon and the server's front page — with the web security headers — and the Origin check.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from aiohttp import web

STATIC = Path(__file__).with_name("static")
CONFIG_MARK = "/*OPENLINES_CONFIG*/{}"
TYPES = {".html": "text/html", ".css": "text/css", ".js": "application/javascript", ".ico": "image/x-icon"}
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = ("127.0.0.1", "::1", "localhost")
Origin = tuple[str, str, int]  # scheme, host, port


@functools.cache
def static_bytes(name: str) -> bytes:
    return (STATIC / name).read_bytes()  # part of the install: read once, not per visitor


def base_headers() -> dict[str, str]:
    return {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-cache"}


def static(name: str, headers: Mapping[str, str] | None = None) -> web.Response:
    content_type = TYPES[Path(name).suffix]
    charset = None if content_type.startswith("image/") else "utf-8"
    return web.Response(body=static_bytes(name), content_type=content_type, charset=charset,
                        headers={**base_headers(), **(headers or {})})


def with_config(name: str, config: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> web.Response:
    """A static file with the widget's public settings in place of its CONFIG mark."""
    # JSON inside HTML or JS: no "</script>", no line separators that end a JS string.
    data = (json.dumps(dict(config), ensure_ascii=False).replace("<", "\\u003c")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    body = static_bytes(name).decode().replace(CONFIG_MARK, data)
    return web.Response(text=body, content_type=TYPES[Path(name).suffix],
                        headers={**base_headers(), **(headers or {})})


def page_policy(frame_ancestors: Iterable[str], image_sources: Iterable[str]) -> str:
    """The chat page's CSP: only its own script and styles; framed only where the widget may be."""
    ancestors = " ".join(dict.fromkeys(frame_ancestors)) or "'none'"
    images = " ".join(dict.fromkeys(["'self'", "data:", "blob:", *image_sources]))
    return (f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; "
            f"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}")


def parse_origin(text: str) -> Origin | None:
    """A serialized web origin exactly as browsers send it, or None (paths, upper case, other schemes)."""
    if text != text.strip() or text != text.lower():
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path or parts.query \
            or parts.fragment or parts.username or parts.password or text.endswith(":"):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def origin_of(url: str) -> Origin | None:
    """The origin of a configured URL (the public URL, an allowed origin), leniently."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def own_origins(request: web.Request) -> list[Origin]:
    """The address this connection reached (never the Host header), under plain HTTP."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if transport is None or not sockname:
        return []
    host, port = str(sockname[0]), int(sockname[1])
    scheme = "https" if transport.get_extra_info("sslcontext") else "http"
    hosts = LOOPBACK if host in LOOPBACK or host.startswith("127.") else (host,)
    return [(scheme, h, port) for h in hosts]


def origin_allowed(request: web.Request, allowed: list[str], public_url: str) -> bool:
    """A browser's Origin, compared by scheme, host and port; no Origin is not a browser."""
    given = request.headers.get("Origin")
    if given is None or "*" in allowed:
        return True
    origin = parse_origin(given)
    if origin is None:
        return False
    trusted = [o for o in (origin_of(u) for u in [public_url, *allowed] if u) if o is not None]
    return origin in trusted or origin in own_origins(request)


def front_page(webchats: list[str], team_url: str | None) -> web.Response:
    """``/``: where the chat and the team side are, for whoever opens the server's address."""
    items = "".join(f'<li><a href="/webchat/{_html(k)}/">Website chat “{_html(k)}”</a> — embed it with '
                    f'<code>&lt;script src="/webchat/{_html(k)}/widget.js" async&gt;&lt;/script&gt;</code></li>'
                    for k in webchats) or "<li>No website chat is connected.</li>"
    team = (f'<p>Employees: <a href="{_html(team_url)}">the team console</a>.</p>' if team_url
            else "<p>Employees answer from the team chat Open Lines is connected to.</p>")
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Open Lines</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="/favicon.ico"></head><body style="font-family:system-ui,sans-serif;'
            f'max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5"><h1>Open Lines</h1>'
            f'<p>Customers write here; the company answers from its team chat.</p><ul>{items}</ul>{team}'
            f'</body></html>')
    return web.Response(text=body, content_type="text/html", headers={
        **base_headers(), "Content-Security-Policy":
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"})


def _html(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
