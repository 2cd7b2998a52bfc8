"""Facebook Messenger: a page's direct messages (kind ``facebook``), over the one Meta webhook."""
from __future__ import annotations

from backends.meta.kind import PageSettings
from backends.meta.graph import node
from backends.meta.messaging import PROFILE_TIMEOUT, MessagingBackend


class MessengerBackend(MessagingBackend):
    kind = "facebook"
    settings_class = PageSettings
    text_limit = 2000
    someone = "Facebook user"

    def messages_path(self) -> str:
        return node(self.account, "messages")

    async def profile_name(self, customer_ref: str) -> str:
        """Messenger's User Profile API: the name the customer shows the page."""
        profile = await self.graph.get(node(customer_ref), timeout=PROFILE_TIMEOUT, fields="first_name,last_name")
        return " ".join(str(profile.get(k) or "") for k in ("first_name", "last_name")).strip()
