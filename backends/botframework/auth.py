"""Bot Framework authentication without stalling the loop.

The SDK fetches signing keys (``requests.get``) and app tokens (msal) with
synchronous HTTP inside async code, and makes a new msal client, so a new
token request, for every proactive message. Here signing keys are refreshed
in a thread before the SDK looks, and app tokens come from one cached
client-credentials grant made with aiohttp; the SDK's credentials object
only hands that token over.
"""
from __future__ import annotations

import asyncio
import datetime
import logging
import time

import aiohttp
from botframework.connector.auth import MicrosoftAppCredentials, PasswordServiceClientCredentialFactory
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from bridge.errors import CredentialsRefused, SendError

log = logging.getLogger(__name__)
KEYS_FRESH = datetime.timedelta(minutes=50)  # under the SDK's own hour: it never refreshes in the loop itself
SCOPE = "https://api.botframework.com/.default"


async def warm_signing_keys(*metadata_urls: str) -> None:
    """Refresh the SDK's cached signing keys in a thread when they are close to its refresh age."""
    for url in metadata_urls:
        metadata = JwtTokenExtractor.get_open_id_metadata(url)
        if metadata.last_updated < datetime.datetime.now() - KEYS_FRESH:
            await asyncio.to_thread(asyncio.run, metadata._refresh())


class AppTokens:
    """The bot's own access token (client credentials grant), fetched before it is needed."""

    def __init__(self, session: aiohttp.ClientSession, token_url: str, app_id: str, password: str) -> None:
        self._session, self._url, self._app_id, self._password = session, token_url, app_id, password
        self.current = ""
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def fresh(self, timeout: float) -> str:
        async with self._lock:
            if time.monotonic() < self._until:
                return self.current
            form = {"grant_type": "client_credentials", "client_id": self._app_id,
                    "client_secret": self._password, "scope": SCOPE}
            try:
                async with self._session.post(self._url, data=form,
                                              timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                    answer = await response.json(content_type=None)
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                raise SendError(f"the Microsoft login service could not be reached ({type(exc).__name__})") from None
            if status in (400, 401) or not isinstance(answer, dict):
                raise CredentialsRefused("Microsoft refused the bot's app id or password; connect the channel again")
            if status != 200 or "access_token" not in answer:
                raise SendError(f"the Microsoft login service is unavailable (HTTP {status})")
            self.current = str(answer["access_token"])
            expires = answer.get("expires_in", 3600)
            self._until = time.monotonic() + max(60.0, float(expires if isinstance(expires, (int, float)) else 3600)
                                                 - 300)
            return self.current


class _HandedCredentials(MicrosoftAppCredentials):
    """What the SDK's connector signs requests with: the token fetched beforehand, no I/O."""

    def __init__(self, app_id: str, tokens: AppTokens) -> None:
        super().__init__(app_id, "")
        self._tokens = tokens

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._tokens.current


class HandedCredentialFactory(PasswordServiceClientCredentialFactory):
    def __init__(self, app_id: str, password: str, tenant_id: str, tokens: AppTokens) -> None:
        super().__init__(app_id, password, tenant_id)
        self._tokens = tokens

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> MicrosoftAppCredentials:
        if await self.is_authentication_disabled():
            return MicrosoftAppCredentials.empty()
        return _HandedCredentials(app_id, self._tokens)
