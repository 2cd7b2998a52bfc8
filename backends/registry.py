"""Channel kinds this install knows, and how to build a backend for a binding.

The kinds are described by light modules (``backends/<channel>/kind.py``): importing this registry
imports no platform SDK. A kind's backend module, with its SDK, is imported when a binding of that
kind is first built (``create_backend``).
"""
from __future__ import annotations

from typing import Any, Mapping

from aiohttp import web

from backends.base import AiohttpMounts
from backends.botframework.kind import KIND as BOTFRAMEWORK
from backends.kind import ChannelKind
from backends.meta.kind import COMMENTS, INSTAGRAM, MESSENGER
from backends.telegram.kind import KIND as TELEGRAM
from backends.viber.kind import KIND as VIBER
from backends.webchat.kind import KIND as WEBCHAT
from bridge.channels import ChannelBackend, ChannelContext, InboundSink
from bridge.errors import NotFound
from bridge.model import ChannelBinding

KINDS: dict[str, ChannelKind] = {kind.name: kind for kind in (
    BOTFRAMEWORK, TELEGRAM, VIBER, WEBCHAT, MESSENGER, INSTAGRAM, COMMENTS)}


def kind_of(kind: str) -> ChannelKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise NotFound(f"no channel kind “{kind[:40]}”; known: {', '.join(sorted(KINDS))}") from None


def label_of(kind: str) -> str:
    described = KINDS.get(kind)
    return described.label if described else kind


def create_backend(binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> ChannelBackend:
    return kind_of(binding.kind).load()(binding, sink, context)


def tuning(knobs: Mapping[str, Mapping[str, Any]]) -> dict[str, object]:
    """Each kind's process-wide knobs (``{"webchat": {"burst": 20, …}}``) built by its own class, by kind:
    the runtime names the values, the channel owns their type (``RuntimeContext.tuning``)."""
    built: dict[str, object] = {}
    for name, values in knobs.items():
        make = kind_of(name).tuning
        if make is None:
            raise NotFound(f"the {name} channel takes no process-wide settings")
        built[name] = make(**values)
    return built


def all_routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    """Every kind's routes, declared once on the one shared server.

    Kinds may share routes (the Meta kinds share one webhook): the first
    declaration of a method and path serves them all.
    """
    routes: dict[tuple[str, str], web.RouteDef] = {}
    for kind in KINDS.values():
        for route in kind.routes(mounts):
            routes.setdefault((route.method, route.path), route)
    return list(routes.values())
