"""Instagram direct messages (kind ``instagram``): a professional account's inbox, over the one Meta webhook.

Messages go to ``/me/messages``: the token names the sender, and that path
is the same whether the token is a page's (Instagram messaging through a
Facebook page, graph.facebook.com) or the account's own (Instagram Login,
``api_url=https://graph.instagram.com/v21.0``).
"""
from __future__ import annotations

from backends.meta.kind import InstagramSettings
from backends.meta.graph import node
from backends.meta.messaging import PROFILE_TIMEOUT, MessagingBackend
from bridge.errors import PermanentSendError


class InstagramBackend(MessagingBackend):
    kind = "instagram"
    settings_class = InstagramSettings
    text_limit = 1000  # Instagram's own limit per message
    someone = "Instagram user"
    uploads = False  # Instagram's Send API takes files by URL only: ours must be reachable by Meta

    def messages_path(self) -> str:
        return "me/messages"

    async def profile_name(self, customer_ref: str) -> str:
        profile = await self.graph.get(node(customer_ref), timeout=PROFILE_TIMEOUT, fields="name,username")
        name, username = str(profile.get("name") or ""), str(profile.get("username") or "")
        return name or (f"@{username}" if username else "")

    async def check_account(self) -> None:
        """The token can see the account this channel names."""
        account = await self.graph.get(node(self.account), fields="id,username")
        if str(account.get("id", "")) != self.account:
            raise PermanentSendError(f"Meta did not recognise account_id={self.account} with this token")
