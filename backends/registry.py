"""Channel kinds this install knows, and how to build a backend for a binding."""
from __future__ import annotations

from aiohttp import web

from backends.base import ChannelContext, HttpMounts
from backends.webchat import WebchatBackend
from bridge.channels import ChannelBackend, InboundSink
from bridge.errors import NotFound
from bridge.model import ChannelBinding

KINDS: dict[str, type[ChannelBackend]] = {
    WebchatBackend.kind: WebchatBackend,
}


def label_of(kind: str) -> str:
    backend = KINDS.get(kind)
    return backend.label if backend else kind


def create_backend(binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> ChannelBackend:
    try:
        backend_class = KINDS[binding.kind]
    except KeyError:
        raise NotFound(f"no channel kind {binding.kind!r}; known: {', '.join(sorted(KINDS))}") from None
    return backend_class(binding, sink, context)  # type: ignore[call-arg]


def all_routes(mounts: HttpMounts) -> list[web.RouteDef]:
    """Every kind's routes, declared once on the one shared server."""
    routes: list[web.RouteDef] = []
    for backend_class in KINDS.values():
        declare = getattr(backend_class, "routes", None)
        if declare is not None:
            routes.extend(declare(mounts))
    return routes
