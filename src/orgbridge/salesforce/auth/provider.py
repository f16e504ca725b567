"""TokenProvider: fetch a token on first use, cache it, renew it once when rejected.

Many requests may be in flight when a token expires, and all of them get 401 at once.
Each request remembers the token generation it was sent with. ``renew`` fetches a new
token only if that generation is still current, so the other requests reuse the token
that the first one fetched.
"""

import asyncio
import logging
from typing import TYPE_CHECKING

import httpx

from orgbridge.salesforce.auth.base import Token

if TYPE_CHECKING:
    from orgbridge.salesforce.connections import ConnectionConfig

logger = logging.getLogger(__name__)


class TokenProvider:
    """The access token of one connection, shared by all requests of a client."""

    def __init__(self, connection: "ConnectionConfig", http: httpx.AsyncClient) -> None:
        self.connection = connection
        self._http = http
        self._lock = asyncio.Lock()
        self._token: Token | None = None
        self.generation = 0
        self.tokens_fetched = 0

    async def current(self) -> tuple[Token, int]:
        """Return the cached token and its generation, fetching one on first use."""
        token = self._token
        if token is not None:
            return token, self.generation

        async with self._lock:
            if self._token is None:
                await self._fetch()
            assert self._token is not None
            return self._token, self.generation

    async def renew(self, rejected_generation: int) -> tuple[Token, int]:
        """Replace a token the org rejected, unless another request already did."""
        async with self._lock:
            if self._token is not None and self.generation == rejected_generation:
                logger.info(
                    "connection %s: access token rejected (generation %d), renewing",
                    self.connection.name,
                    rejected_generation,
                )
                self.connection.auth.forget_rejected(self.connection.name, self._token)
                await self._fetch()
            assert self._token is not None
            return self._token, self.generation

    async def _fetch(self) -> None:
        self._token = await self.connection.auth.fetch_token(
            self._http, self.connection
        )
        self.generation += 1
        self.tokens_fetched += 1
