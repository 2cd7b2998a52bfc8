"""The Viber kind without viberbot: its settings and its webhook route."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from aiohttp import web

from backends.base import AiohttpMounts, webhook_routes
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, api_root, setting
from bridge.errors import Refused

NAME = "viber"
API = "https://chatapi.viber.com"


@dataclass(frozen=True)
class ViberSettings(KindSettings):
    token: str = setting("the bot's authentication token (Viber admin panel)", required=True, secret=True)
    api_url: str = setting("the REST Bot API root", default=API, parse=api_root(API))

    def key(self) -> str:
        if not self.token.strip():
            raise Refused("give the bot's token: token=…")
        return hashlib.sha256(self.token.encode()).hexdigest()[:12]  # public: names the bot in our URL, reveals nothing


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    return webhook_routes(mounts, NAME, "/viber/{key}")


KIND = ChannelKind(NAME, "Viber", ViberSettings, "backends.viber.backend:ViberBackend", routes)
