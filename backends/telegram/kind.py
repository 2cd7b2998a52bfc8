"""The Telegram kind without python-telegram-bot: its settings and its webhook route."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from backends.base import AiohttpMounts, webhook_routes
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, api_root, setting
from bridge.errors import Refused

NAME = "telegram"
API = "https://api.telegram.org"


@dataclass(frozen=True)
class TelegramSettings(KindSettings):
    token: str = setting("the bot's token from @BotFather", required=True, secret=True)
    mode: str = setting("polling (no public URL needed) or webhook", default="polling",
                        choices=("polling", "webhook"))
    api_url: str = setting("the Bot API root (a self-hosted Bot API server)", default=API, parse=api_root(API))

    def key(self) -> str:
        bot_id, colon, rest = self.token.partition(":")
        if not (bot_id.isdigit() and colon and rest):
            raise Refused("the token should look like 123456789:AA… (from @BotFather)")
        return bot_id  # public: it is the bot's user id

    @property
    def webhook(self) -> bool:
        return self.mode == "webhook"


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    return webhook_routes(mounts, NAME, "/telegram/{key}")


KIND = ChannelKind(NAME, "Telegram", TelegramSettings, "backends.telegram.backend:TelegramBackend", routes)
