"""The emulated org's OAuth 2.0 server: token issue, lookup and revocation.

``OAuthServer`` contains what the endpoints share: the org setup, the token store and
the signing of token responses. The endpoints themselves live in one module per
grant or resource (``grants``, ``jwt_bearer``, ``authorize``, ``identity``).
"""

import base64
import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute

from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig, UserConfig
from orgbridge.emulator.oauth.errors import InvalidSessionError
from orgbridge.emulator.oauth.tokens import (
    ACCESS,
    REFRESH,
    TokenStore,
    new_access_token,
    new_refresh_token,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Session:
    """The caller of one REST request, as its access token identifies it."""

    access_token_hash: str
    user: UserConfig
    org_id: str
    client_id: str

    def __repr__(self) -> str:
        return (
            f"Session(user={self.user.username!r}, org_id={self.org_id!r},"
            f" client_id={self.client_id!r})"
        )


class OAuthServer:
    """Issues, checks and revokes the tokens of one emulated org."""

    def __init__(
        self,
        config: OrgConfig,
        db: sqlite3.Connection,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.tokens = TokenStore(db, clock=clock)
        self.clock = clock
        # Signs token responses of apps without a consumer secret (JWT-only apps).
        self._fallback_signing_key = secrets.token_bytes(32)

    def initialize(self) -> None:
        """Create the token tables; safe on a reopened file."""
        self.tokens.initialize()

    def routes(self) -> list[BaseRoute]:
        """Return the /services/oauth2/* routes and the identity URL route."""
        from orgbridge.emulator.oauth.routes import oauth_routes

        return oauth_routes(self)

    def authenticate(self, authorization_header: str | None) -> Session:
        """Resolve ``Authorization: Bearer <token>`` to a session.

        The ``OAuth`` scheme, which older clients send, is accepted too. Raises
        InvalidSessionError for a missing or malformed header and for an unknown,
        expired or revoked token.
        """
        token = bearer_token(authorization_header)
        if token is None:
            raise InvalidSessionError.invalid_header()

        record = self.tokens.find_token(token)
        if record is None or record.kind != ACCESS:
            raise InvalidSessionError.invalid_session()
        if not record.is_active(self.tokens.now()):
            raise InvalidSessionError.invalid_session()

        user = self.user_by_id(record.user_id)
        if user is None or not user.active:
            raise InvalidSessionError.invalid_session()
        return Session(record.token_hash, user, self.config.org_id, record.client_id)

    def expire_access_tokens(self) -> int:
        """Expire every access token of the org; refresh tokens stay valid."""
        count = self.tokens.expire_access_tokens()
        logger.info("expired %d access token(s) of org %s", count, self.config.org_id)
        return count

    def user_by_id(self, user_id: str) -> UserConfig | None:
        """Find a user of the org by 18-character Id."""
        for user in self.config.users:
            if user.user_id == user_id:
                return user
        return None

    def identity_url(self, instance_url: str, user: UserConfig) -> str:
        """Return the identity URL of a user, served by this emulator."""
        return f"{instance_url}/id/{self.config.org_id}/{user.user_id}"

    def issue_tokens(
        self,
        *,
        app: ConnectedAppConfig,
        user: UserConfig,
        scope: str,
        instance_url: str,
        refresh: bool,
        family: str | None = None,
    ) -> dict[str, Any]:
        """Issue an access token (and a refresh token if asked); return the response.

        ``family`` ties the new tokens to an existing refresh token, so revoking that
        refresh token revokes them too.
        """
        access_token = new_access_token(self.config.org_id)
        refresh_token = new_refresh_token() if refresh else None
        if refresh_token is not None:
            family = self.tokens.add_token(
                refresh_token,
                kind=REFRESH,
                family=family,
                client_id=app.client_id,
                user_id=user.user_id,
                scope=scope,
                lifetime_seconds=None,
            )
        self.tokens.add_token(
            access_token,
            kind=ACCESS,
            family=family,
            client_id=app.client_id,
            user_id=user.user_id,
            scope=scope,
            lifetime_seconds=self.config.token_lifetime_seconds,
        )

        identity = self.identity_url(instance_url, user)
        issued_at = str(int(self.tokens.now() * 1000))
        answer: dict[str, Any] = {"access_token": access_token}
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        answer.update(
            signature=self._sign(app, identity + issued_at),
            scope=scope,
            instance_url=instance_url,
            id=identity,
            token_type="Bearer",  # noqa: S106 (a token type, not a secret)
            issued_at=issued_at,
        )
        logger.info(
            "issued tokens to user %s for app %s (refresh token: %s)",
            user.user_id,
            app.client_id,
            refresh,
        )
        return answer

    def _sign(self, app: ConnectedAppConfig, message: str) -> str:
        key = self._fallback_signing_key
        if app.client_secret is not None:
            key = app.client_secret.encode("utf-8")
        digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")


def bearer_token(authorization_header: str | None) -> str | None:
    """Return the token of a ``Bearer`` or ``OAuth`` Authorization header, or None."""
    if not authorization_header:
        return None
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        return None
    token = token.strip()
    return token or None
