"""The Bot Framework kind without botbuilder: its settings and its messaging endpoint's route."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from backends.base import AiohttpMounts, webhook_routes
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, setting
from bridge.errors import Refused

NAME = "botframework"
LOGIN = "https://login.microsoftonline.com"
CHANNEL_KEYS = "https://login.botframework.com/v1/.well-known/openidconfiguration"


@dataclass(frozen=True)
class BotFrameworkSettings(KindSettings):
    app_id: str = setting("the bot's Microsoft app id (empty: no authentication, for local tests only)")
    app_password: str = setting("the app's client secret", secret=True)
    tenant_id: str = setting("the app's tenant, for a single-tenant bot")
    login_url: str = setting("where app tokens come from", default=LOGIN)
    openid_url: str = setting("where the Bot Framework's signing keys are listed", default=CHANNEL_KEYS)

    def key(self) -> str:
        if self.app_id and not all(ch.isalnum() or ch == "-" for ch in self.app_id):
            raise Refused("the app id is a GUID like 00000000-0000-0000-0000-000000000000")
        return self.app_id or "anonymous"

    @property
    def login(self) -> str:
        """Where this app's tokens come from: the login root and its tenant."""
        return f"{self.login_url.rstrip('/')}/{self.tenant_id or 'botframework.com'}"


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    return webhook_routes(mounts, NAME, "/botframework/{key}/messages")


KIND = ChannelKind(NAME, "Bot Framework", BotFrameworkSettings, "backends.botframework.backend:BotFrameworkBackend",
                   routes)
