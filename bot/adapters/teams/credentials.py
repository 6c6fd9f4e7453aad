"""The bot's connector token (OAuth client credentials), requested once and reused until
shortly before it expires.

botbuilder's credential factories build a new `MicrosoftAppCredentials` — and with it a
new MSAL application whose token cache is empty — for every connector client, that is
for every turn and every proactive message: one token request to Entra ID per turn.
`CachedCredentialFactory` keeps one credentials object per (app id, audience, login
endpoint) for the life of the process, so MSAL's token cache is reused; MSAL requests a
new token only when less than five minutes of the cached one remain. The token is
acquired in a worker thread before the credentials are handed to botbuilder (MSAL is
blocking), so the event loop never waits for Entra ID.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, cast

from botframework.connector.auth import (
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from msal import ConfidentialClientApplication  # type: ignore[import-untyped]
from msrest.authentication import Authentication

log = logging.getLogger(__name__)


class CachedCredentialFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Wraps botbuilder's own factory (the settings decide which); `http_client` is the
    HTTP session MSAL uses for Entra ID (None: MSAL's own)."""

    def __init__(self, inner: ServiceClientCredentialsFactory, *, http_client: Any = None) -> None:
        self._inner = inner
        self._http_client = http_client
        self._credentials: dict[tuple[str, str, str, bool], Authentication] = {}
        self._lock = asyncio.Lock()
        self._token_lock = threading.Lock()

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        async with self._lock:
            credentials = self._credentials.get(key)
            if credentials is None:
                credentials = await self._inner.create_credentials(
                    app_id, oauth_scope, login_endpoint, validate_authority
                )
                self._credentials[key] = credentials
        if app_id and not await self.is_authentication_disabled():
            await asyncio.to_thread(self._token, credentials)
        return credentials

    def _token(self, credentials: Authentication) -> None:
        """Fill MSAL's cache (a cache hit when the token has more than 5 minutes left)."""
        with self._token_lock:
            if (
                self._http_client is not None
                and isinstance(credentials, MicrosoftAppCredentials)
                and credentials.app is None
            ):
                credentials.app = ConfidentialClientApplication(
                    client_id=credentials.microsoft_app_id,
                    client_credential=credentials.microsoft_app_password,
                    authority=credentials.oauth_endpoint,
                    http_client=self._http_client,
                )
            cast(Any, credentials).get_access_token()
