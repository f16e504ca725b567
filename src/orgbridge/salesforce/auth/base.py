"""Access tokens, the auth method interface and the OAuth token request."""

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from orgbridge.salesforce.errors import (
    AuthError,
    ConfigError,
    oauth_error_from_response,
)
from orgbridge.salesforce.secrets import Secret, SecretRef, parse_secret_ref
from orgbridge.salesforce.transport import translate_transport_error

if TYPE_CHECKING:
    from orgbridge.salesforce.connections import ConnectionConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    """An access token and what came with it. Secrets are Secret instances."""

    access_token: Secret
    instance_url: str
    identity_url: str | None = None
    refresh_token: Secret | None = None
    scope: str | None = None
    issued_at: str | None = None


class AuthMethod(ABC):
    """One way of obtaining an access token; one subclass per ``auth`` value.

    ``KEYS`` are the table keys the method reads besides the common ones.
    """

    METHOD: ClassVar[str]
    KEYS: ClassVar[frozenset[str]]
    LOGIN_URL_OPTIONAL: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "AuthMethod":
        """Build the method from a connection table; raise ConfigError on bad keys."""

    @abstractmethod
    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        """Obtain a new access token."""

    def forget_rejected(self, connection_name: str, token: Token) -> None:  # noqa: B027
        """Record that the org rejected ``token``; raise if the method cannot renew."""


def required_string(table: dict[str, Any], key: str, name: str) -> str:
    """Read a required non-empty string key or raise ConfigError."""
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"[orgs.{name}] {key} is missing (a non-empty string)")
    return value


def optional_secret(table: dict[str, Any], key: str, name: str) -> SecretRef | None:
    """Read an optional secret reference key."""
    if key not in table:
        return None
    return parse_secret_ref(table[key], key=key, connection=name)


def required_secret(table: dict[str, Any], key: str, name: str) -> SecretRef:
    """Read a required secret reference key."""
    if key not in table:
        raise ConfigError(
            f"[orgs.{name}] {key} is missing; reference it, e.g. "
            f'{key} = {{ env = "{name.upper()}_{key.upper()}" }}'
        )
    return parse_secret_ref(table[key], key=key, connection=name)


async def request_token(
    http: httpx.AsyncClient,
    connection: "ConnectionConfig",
    form: dict[str, str],
) -> Token:
    """POST a grant to the token endpoint and parse the token response.

    Raises OAuthError for a rejected grant, TransportError when the login host cannot
    be reached, and AuthError for a response that is not a token.
    """
    url = connection.token_url
    try:
        response = await http.post(
            url, data=form, headers={"Accept": "application/json"}
        )
    except httpx.TransportError as exc:
        raise translate_transport_error(exc, url, connection=connection.name) from None

    if response.status_code != 200:
        error = oauth_error_from_response(response, connection=connection.name)
        logger.warning(
            "connection %s: %s grant rejected: %s",
            connection.name,
            form.get("grant_type"),
            error.error,
        )
        raise error

    token = token_from_json(response, connection)
    logger.info(
        "connection %s: obtained access token by %s grant (instance %s)",
        connection.name,
        form.get("grant_type"),
        token.instance_url,
    )
    return token


def token_from_json(response: httpx.Response, connection: "ConnectionConfig") -> Token:
    """Parse a token response body into a Token."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise AuthError(
            f"connection {connection.name!r}: the token endpoint "
            f"{connection.token_url} returned no access_token; check login_url",
            connection=connection.name,
        )

    refresh = body.get("refresh_token")
    instance_url = connection.instance_url or str(
        body.get("instance_url") or connection.login_url
    )
    return Token(
        access_token=Secret(body["access_token"]),
        instance_url=instance_url.rstrip("/"),
        identity_url=body.get("id"),
        refresh_token=Secret(refresh) if isinstance(refresh, str) else None,
        scope=body.get("scope"),
        issued_at=body.get("issued_at"),
    )
