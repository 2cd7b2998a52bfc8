"""The website chat kind: a widget's settings, the process-wide limits every widget shares, its routes."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from backends.base import AiohttpMounts
from backends.kind import ChannelKind
from bridge.channel_settings import KindSettings, origins, setting

NAME = "webchat"
SHOWN = ("title", "greeting", "color", "position", "logo_url", "language")  # what the page is told


def _colour(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) != 7 or value[0] != "#" or any(c not in "0123456789abcdef" for c in value[1:]):
        raise ValueError("a colour is written #rrggbb")
    return value


def _https_url(raw: str) -> str:
    if not raw.startswith("https://") or len(raw) > 500 or any(c in raw for c in " \"'<>\\"):
        raise ValueError("use an https:// address")
    return raw


@dataclass(frozen=True)
class WebchatSettings(KindSettings):
    widget: str = setting("the widget id in the chat's URL: /webchat/<widget>/", required=True)
    allowed_origins: tuple[str, ...] = setting("sites that may embed the chat: https://shop.example,…", default=(),
                                               parse=origins)
    title: str = setting("the chat's title (unset: “Chat with us”, in the visitor's language)",
                         parse=lambda v: v.strip()[:60])
    greeting: str = setting("shown before the first message (unset: “Ask us anything…”)",
                            parse=lambda v: v.strip()[:300])
    color: str = setting("the accent colour, #rrggbb (unset: #4f46e5; text on it turns dark or white)", parse=_colour)
    position: str = setting("where the chat button sits (unset: right)", choices=("right", "left"))
    logo_url: str = setting("an https:// image shown in the chat's header", parse=_https_url)
    language: str = setting("the chat's language (unset or auto: the visitor's browser)", choices=("auto", "en", "fr"))

    def key(self) -> str:
        return self.widget

    def shown(self) -> dict[str, str]:
        """What the page and widget.js are told about this widget (nothing secret): the keys set."""
        return {name: getattr(self, name) for name in SHOWN if getattr(self, name)}


@dataclass(frozen=True)
class WebchatLimits:
    """Every widget's limits in this process, from the environment (``OPENLINES_WEBCHAT_*``)."""

    burst: int = 20  # messages a visitor may send at once...
    messages_per_minute: int = 30  # ...then this many a minute
    new_visitors_per_minute: int = 20  # per address: new visitor tokens, and new conversations
    hellos_per_minute: int = 60  # per address
    sockets_per_visitor: int = 12
    sockets_per_ip: int = 128
    idle_seconds: float = 1800.0  # a socket that sends nothing this long is closed
    hello_seconds: float = 30.0  # a socket must say hello this soon
    token_days: int = 90  # a token unused this long is void
    max_upload_mb: int = 10
    upload_mb_per_visitor_day: int = 100  # what one visitor may upload in any 24 hours...
    upload_mb_per_ip_day: int = 300  # ...and one address (an IPv6 /64), whatever visitors it makes up
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    # Imported here: the routes' modules read WebchatLimits from this one.
    from backends.webchat.routes import routes as declared

    return declared(mounts)


KIND = ChannelKind(NAME, "Website chat", WebchatSettings, "backends.webchat.backend:WebchatBackend", routes,
                   tuning=WebchatLimits)
