"""The website chat's routes on the shared server, declared once; each request finds its widget."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Awaitable, Callable, cast

from aiohttp import web

from backends.webchat import pages
from backends.base import AiohttpMounts
from backends.webchat.socket import serve_socket
from backends.webchat.upload import upload

if TYPE_CHECKING:
    from backends.webchat.backend import WebchatBackend

KIND = "webchat"
# The chat page's own files (page.html loads its scripts in this order), served as they are.
PAGE_ASSETS = ("i18n.js", "markdown.js", "page-base.js", "page-rows.js", "page-list.js", "page-forms.js",
               "page-unread.js", "page-composer.js", "page.js", "page.css")
Handler = Callable[["WebchatBackend", web.Request], Awaitable[web.StreamResponse]]


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    def widget(handle: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def find_and_handle(request: web.Request) -> web.StreamResponse:
            backend = cast("WebchatBackend", mounts.find(KIND, request.match_info["widget"]))
            return await handle(backend, request)
        return find_and_handle

    async def add_slash(request: web.Request) -> web.Response:
        mounts.find(KIND, request.match_info["widget"])
        raise web.HTTPPermanentRedirect(f"/webchat/{request.match_info['widget']}/")

    async def front(request: web.Request) -> web.Response:
        return pages.front_page(mounts.keys(KIND), _team_url(request))

    async def favicon(request: web.Request) -> web.Response:
        return pages.static("favicon.ico", {"Cache-Control": "public, max-age=86400"})

    return [
        web.get("/", front),
        web.get("/favicon.ico", favicon),
        web.get("/webchat/{widget}", add_slash),
        web.get("/webchat/{widget}/", widget(page)),
        web.get("/webchat/{widget}/widget.js", widget(widget_js)),
        *(web.get(f"/webchat/{{widget}}/{name}", widget(_asset(name))) for name in PAGE_ASSETS),
        web.get("/webchat/{widget}/ws", functools.partial(serve_socket, mounts)),
        web.post("/webchat/{widget}/upload", widget(upload)),
    ]


async def page(backend: "WebchatBackend", request: web.Request) -> web.Response:
    ancestors = ["*"] if "*" in backend.allowed else ["'self'", *backend.allowed]
    images = [backend.context.public_url, backend.context.base_url,
              backend.settings.logo_url]
    sources = [f"{o[0]}://{o[1]}:{o[2]}" for o in (pages.origin_of(u) for u in images if u) if o]
    return pages.with_config("page.html", backend.public_config(),
                             {"Content-Security-Policy": pages.page_policy(ancestors, sources)})


async def widget_js(backend: "WebchatBackend", request: web.Request) -> web.Response:
    # Loaded by other sites' pages: allowed cross-origin, never sniffed as anything else.
    return pages.with_config("widget.js", backend.public_config(), {"Cross-Origin-Resource-Policy": "cross-origin"})


def _asset(name: str) -> Handler:
    async def serve(backend: "WebchatBackend", request: web.Request) -> web.Response:
        return pages.static(name)
    return serve


def _team_url(request: web.Request) -> str | None:
    """The team console's address when this server has one (another module may serve it)."""
    for resource in request.app.router.resources():
        info: dict[str, Any] = dict(resource.get_info())
        path = str(info.get("path") or info.get("formatter") or "")
        if path.startswith("/team"):
            return "/team/"
    return None
