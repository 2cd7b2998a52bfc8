"""The three Meta kinds (Messenger, Instagram, page comments) as the runtime knows them before one starts:
their settings, the one webhook they share, the words a comment's reply may start with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from backends.base import AiohttpMounts
from backends.kind import ChannelKind
from backends.meta import webhook
from backends.meta.window import VISIBILITIES, reply_options
from bridge.channel_settings import KindSettings, ReplyChoices, api_root, setting

DEFAULT_API = "https://graph.facebook.com/v21.0"
PAGE_HELP = "the Facebook page's id (its About section, or Meta Business Suite)"
ACCOUNT_HELP = "the Instagram professional account's id (Meta Business Suite)"


def numeric_id(raw: str) -> str:
    value = raw.strip()
    if not value.isdigit() or len(value) > 40:
        raise ValueError("Meta's ids are numbers: copy it from the page's or account's About section")
    return value


# The keys every Meta kind takes after its page's or account's id (declared per class: the id comes first).
def _page_token() -> Any:
    return setting("the page access token (Meta app → Messenger → Access tokens)", required=True, secret=True)


def _app_secret() -> Any:
    return setting("the app secret (App settings → Basic): checks every webhook call", required=True, secret=True)


def _verify_token() -> Any:
    return setting("any phrase; type the same in Meta's webhook settings", required=True, secret=True)


def _api_url() -> Any:
    return setting("the Graph API root", default=DEFAULT_API, parse=api_root(DEFAULT_API))


class MetaSettings(KindSettings):
    page_token: str
    app_secret: str
    verify_token: str
    api_url: str

    @property
    def account(self) -> str:
        """The page's or account's id: the binding's key and the webhook's."""
        raise NotImplementedError

    def key(self) -> str:
        return self.account

    def missing(self) -> list[str]:
        """The secrets a Meta channel cannot start without (a binding saved before they were all required)."""
        return [name for name in ("page_token", "app_secret", "verify_token") if not getattr(self, name)]


@dataclass(frozen=True)
class PageSettings(MetaSettings):
    page_id: str = setting(PAGE_HELP, required=True, parse=numeric_id)
    page_token: str = _page_token()
    app_secret: str = _app_secret()
    verify_token: str = _verify_token()
    api_url: str = _api_url()

    @property
    def account(self) -> str:
        return self.page_id


@dataclass(frozen=True)
class InstagramSettings(MetaSettings):
    account_id: str = setting(ACCOUNT_HELP, required=True, parse=numeric_id)
    page_token: str = _page_token()
    app_secret: str = _app_secret()
    verify_token: str = _verify_token()
    api_url: str = _api_url()

    @property
    def account(self) -> str:
        return self.account_id


def routes(mounts: AiohttpMounts) -> list[web.RouteDef]:
    return webhook.routes(mounts)  # the same two routes for every Meta kind: declared once


MESSENGER = ChannelKind("facebook", "Facebook Messenger", PageSettings, "backends.meta.messenger:MessengerBackend",
                        routes, preflight=True)
INSTAGRAM = ChannelKind("instagram", "Instagram", InstagramSettings, "backends.meta.instagram:InstagramBackend",
                        routes, preflight=True)
ANSWERS = ReplyChoices({visibility: reply_options(visibility) for visibility in VISIBILITIES},
                      "Facebook comment conversations")  # `!reply public|private …`
COMMENTS = ChannelKind("fbcomments", "Facebook comments", PageSettings, "backends.meta.fbcomments:CommentsBackend",
                       routes, ANSWERS, preflight=True)
