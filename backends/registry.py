"""Channel kinds this install knows, and how to build a backend for a binding."""
from __future__ import annotations

from aiohttp import web

from backends.base import AiohttpMounts
from backends.botframework.backend import BotFrameworkBackend
from backends.telegram.backend import TelegramBackend
from backends.viber.backend import ViberBackend
from backends.meta.fbcomments import CommentsBackend
from backends.meta.instagram import InstagramBackend
from backends.meta.messenger import MessengerBackend
from backends.webchat.backend import WebchatBackend
from bridge.channels import ChannelBackend, ChannelContext, InboundSink
from bridge.errors import NotFound
from bridge.model import ChannelBinding

KINDS: dict[str, type[ChannelBackend]] = {
    BotFrameworkBackend.kind: BotFrameworkBackend,
    TelegramBackend.kind: TelegramBackend,
    ViberBackend.kind: ViberBackend,
    WebchatBackend.kind: WebchatBackend,
    MessengerBackend.kind: MessengerBackend,
    InstagramBackend.kind: InstagramBackend,
    CommentsBackend.kind: CommentsBackend,
}


def kind_of(kind: str) -> type[ChannelBackend]:
    try:
        return KINDS[kind]
    except KeyError:
        raise NotFound(f"no channel kind “{kind[:40]}”; known: {', '.join(sorted(KINDS))}") from None


def label_of(kind: str) -> str:
    backend = KINDS.get(kind)
    return backend.label if backend else kind


def create_backend(binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> ChannelBackend:
    return kind_of(binding.kind)(binding, sink, context)


def all_routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    """Every kind's routes, declared once on the one shared server.

    Kinds may share routes (the Meta kinds share one webhook): the first
    declaration of a method and path serves them all.
    """
    routes: dict[tuple[str, str], web.RouteDef] = {}
    for backend_class in KINDS.values():
        for route in backend_class.routes(mounts):
            routes.setdefault((route.method, route.path), route)
    return list(routes.values())
