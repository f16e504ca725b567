"""The five auth methods a connection can use, one class each.

- client_credentials: consumer key and secret; runs as the app's "Run As" user. The
  token request must go to the My Domain host, not login/test.salesforce.com.
- jwt_bearer: an RS256-signed assertion for a pre-authorized user; no secret is sent.
- refresh_token: a refresh token from ``orgbridge login`` (or a reference).
- access_token: a ready access token and instance_url; cannot renew itself.
- sf_cli: the token the Salesforce CLI stores for an alias or username, read with
  ``sf org display --json --target-org X`` as CumulusCI does.
"""

import asyncio
import json
import logging
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from orgbridge.salesforce.auth.base import (
    AuthMethod,
    Token,
    optional_secret,
    request_token,
    required_secret,
    required_string,
)
from orgbridge.salesforce.errors import AuthError, ConfigError, SecretError
from orgbridge.salesforce.secrets import RefreshTokenStore, Secret, SecretRef

if TYPE_CHECKING:
    from orgbridge.salesforce.connections import ConnectionConfig

logger = logging.getLogger(__name__)

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce accepts a JWT whose exp is at most 3 minutes ahead.
JWT_LIFETIME_SECONDS = 170
GENERIC_LOGIN_HOSTS = frozenset({"login.salesforce.com", "test.salesforce.com"})


def _secret_or_raise(ref: SecretRef, key: str, name: str) -> Secret:
    try:
        return ref.resolve()
    except SecretError as exc:
        raise AuthError(
            f"connection {name!r}: {key} {ref.describe()}: {exc}", connection=name
        ) from None


@dataclass(frozen=True)
class ClientCredentialsAuth(AuthMethod):
    """OAuth client credentials flow (consumer key and secret)."""

    METHOD: ClassVar[str] = "client_credentials"
    KEYS: ClassVar[frozenset[str]] = frozenset({"client_id", "client_secret"})

    client_id: str
    client_secret: SecretRef

    @classmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "ClientCredentialsAuth":
        host = urlsplit(login_url).hostname or ""
        if host in GENERIC_LOGIN_HOSTS:
            raise ConfigError(
                f"[orgs.{name}] login_url: the client credentials flow needs the "
                "org's My Domain URL (https://NAME.my.salesforce.com), not "
                f"{login_url}"
            )
        return cls(
            client_id=required_string(table, "client_id", name),
            client_secret=required_secret(table, "client_secret", name),
        )

    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        secret = _secret_or_raise(self.client_secret, "client_secret", connection.name)
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": secret.reveal(),
        }
        return await request_token(http, connection, form)


@dataclass(frozen=True)
class JwtBearerAuth(AuthMethod):
    """OAuth JWT bearer flow: an assertion signed with the app's private key."""

    METHOD: ClassVar[str] = "jwt_bearer"
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"client_id", "username", "private_key", "audience"}
    )

    client_id: str
    username: str
    private_key: SecretRef
    audience: str

    @classmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "JwtBearerAuth":
        audience = table.get("audience") or default_audience(login_url)
        if not isinstance(audience, str):
            raise ConfigError(f"[orgs.{name}] audience: expected a URL string")
        return cls(
            client_id=required_string(table, "client_id", name),
            username=required_string(table, "username", name),
            private_key=required_secret(table, "private_key", name),
            audience=audience,
        )

    def assertion(self, connection_name: str, *, now: float | None = None) -> str:
        """Build and sign the JWT; raise AuthError if the key cannot sign."""
        # Imported here because PyJWT loads cryptography, a start-up cost that
        # only this auth method needs.
        import jwt

        key = _secret_or_raise(self.private_key, "private_key", connection_name)
        issued = time.time() if now is None else now
        claims = {
            "iss": self.client_id,
            "sub": self.username,
            "aud": self.audience,
            "exp": int(issued) + JWT_LIFETIME_SECONDS,
        }
        try:
            return jwt.encode(claims, key.reveal(), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthError(
                f"connection {connection_name!r}: private_key "
                f"{self.private_key.describe()} is not a usable RSA private key in "
                f"PEM format ({type(exc).__name__})",
                connection=connection_name,
            ) from None

    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        form = {"grant_type": JWT_GRANT, "assertion": self.assertion(connection.name)}
        return await request_token(http, connection, form)


def default_audience(login_url: str) -> str:
    """Return the JWT audience for a login URL: the sandbox one for test hosts."""
    host = urlsplit(login_url).hostname or ""
    if host == "test.salesforce.com" or ".sandbox.my.salesforce.com" in host:
        return "https://test.salesforce.com"
    return "https://login.salesforce.com"


@dataclass(frozen=True)
class RefreshTokenAuth(AuthMethod):
    """OAuth refresh token flow.

    Without a ``refresh_token`` reference, the token saved by ``orgbridge login NAME``
    is read from the OS keyring or the state directory. When the org rotates refresh
    tokens, the new one is saved back to that store.
    """

    METHOD: ClassVar[str] = "refresh_token"
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"client_id", "client_secret", "refresh_token", "callback_port", "scope"}
    )

    client_id: str
    client_secret: SecretRef | None
    refresh_token: SecretRef | None
    callback_port: int = 1717
    scope: str = "api refresh_token id"

    @classmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "RefreshTokenAuth":
        port = table.get("callback_port", 1717)
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise ConfigError(f"[orgs.{name}] callback_port: expected 1-65535")
        return cls(
            client_id=required_string(table, "client_id", name),
            client_secret=optional_secret(table, "client_secret", name),
            refresh_token=optional_secret(table, "refresh_token", name),
            callback_port=port,
            scope=str(table.get("scope", "api refresh_token id")),
        )

    def read_refresh_token(self, connection_name: str) -> Secret:
        """Resolve the configured reference, or read the token login stored."""
        if self.refresh_token is not None:
            return _secret_or_raise(
                self.refresh_token, "refresh_token", connection_name
            )
        try:
            return RefreshTokenStore().load(connection_name)
        except SecretError as exc:
            raise AuthError(str(exc), connection=connection_name) from None

    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": self.read_refresh_token(connection.name).reveal(),
        }
        if self.client_secret is not None:
            secret = _secret_or_raise(
                self.client_secret, "client_secret", connection.name
            )
            form["client_secret"] = secret.reveal()

        token = await request_token(http, connection, form)
        if token.refresh_token is not None:
            self._keep_rotated(connection.name, token.refresh_token)
        return token

    def _keep_rotated(self, connection_name: str, new_token: Secret) -> None:
        if self.refresh_token is None:
            RefreshTokenStore().save(connection_name, new_token)
            return
        logger.warning(
            "connection %s: the org rotated the refresh token, but refresh_token is "
            "a %s reference that orgbridge cannot update; the new token is used for "
            "this run only",
            connection_name,
            self.refresh_token.kind,
        )


@dataclass(frozen=True)
class AccessTokenAuth(AuthMethod):
    """A ready access token; when the org rejects it, the reference is read again."""

    METHOD: ClassVar[str] = "access_token"
    KEYS: ClassVar[frozenset[str]] = frozenset({"access_token"})
    LOGIN_URL_OPTIONAL: ClassVar[bool] = True

    access_token: SecretRef
    instance_url: str

    @classmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "AccessTokenAuth":
        if instance_url is None:
            raise ConfigError(
                f"[orgs.{name}] instance_url is missing: auth = access_token needs "
                "the org's instance URL, e.g. https://acme.my.salesforce.com"
            )
        return cls(
            access_token=required_secret(table, "access_token", name),
            instance_url=instance_url,
        )

    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        value = _secret_or_raise(self.access_token, "access_token", connection.name)
        return Token(access_token=value, instance_url=self.instance_url)

    def forget_rejected(self, connection_name: str, token: Token) -> None:
        current = _secret_or_raise(self.access_token, "access_token", connection_name)
        if current == token.access_token:
            raise AuthError(
                f"connection {connection_name!r}: the org rejected the access token "
                f"from {self.access_token.describe()} (expired or revoked). Put a "
                "fresh token there, or use an auth method that can renew tokens",
                connection=connection_name,
            )


@dataclass(frozen=True)
class SfCliAuth(AuthMethod):
    """The access token the Salesforce CLI (``sf``) keeps for an alias or username."""

    METHOD: ClassVar[str] = "sf_cli"
    KEYS: ClassVar[frozenset[str]] = frozenset({"alias", "username", "sf_executable"})
    LOGIN_URL_OPTIONAL: ClassVar[bool] = True

    target_org: str
    sf_executable: str = "sf"

    @classmethod
    def parse(
        cls,
        name: str,
        table: dict[str, Any],
        *,
        login_url: str,
        instance_url: str | None,
    ) -> "SfCliAuth":
        target = table.get("alias") or table.get("username")
        if not isinstance(target, str) or not target:
            raise ConfigError(
                f"[orgs.{name}] auth = sf_cli needs alias or username (the value you "
                "pass to sf --target-org)"
            )
        return cls(
            target_org=target, sf_executable=str(table.get("sf_executable", "sf"))
        )

    async def fetch_token(
        self, http: httpx.AsyncClient, connection: "ConnectionConfig"
    ) -> Token:
        result = await self._org_display(connection.name)
        access_token = result.get("accessToken")
        instance_url = result.get("instanceUrl")
        if not isinstance(access_token, str) or not isinstance(instance_url, str):
            raise AuthError(
                f"connection {connection.name!r}: `sf org display` returned no "
                f"accessToken/instanceUrl for {self.target_org!r}; run "
                f"`sf org login web --alias {self.target_org}`",
                connection=connection.name,
            )
        logger.info(
            "connection %s: using the sf CLI token of %s",
            connection.name,
            self.target_org,
        )
        return Token(
            access_token=Secret(access_token),
            instance_url=(connection.instance_url or instance_url).rstrip("/"),
        )

    async def _org_display(self, connection_name: str) -> dict[str, Any]:
        executable = shutil.which(self.sf_executable)
        if executable is None:
            raise AuthError(
                f"connection {connection_name!r}: the Salesforce CLI "
                f"({self.sf_executable!r}) is not installed or not on PATH. Install "
                "it (npm install --global @salesforce/cli) or choose another auth "
                "method",
                connection=connection_name,
            )

        process = await asyncio.create_subprocess_exec(
            executable,
            "org",
            "display",
            "--json",
            "--target-org",
            self.target_org,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, _ = await process.communicate()
        try:
            payload = json.loads(stdout.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None

        if process.returncode != 0 or not isinstance(payload, dict):
            reason = payload.get("message") if isinstance(payload, dict) else None
            raise AuthError(
                f"connection {connection_name!r}: `sf org display --target-org "
                f"{self.target_org}` failed (exit {process.returncode}): "
                f"{reason or 'no JSON output'}. Log in with `sf org login web "
                f"--alias {self.target_org}`",
                connection=connection_name,
            )
        result = payload.get("result")
        return result if isinstance(result, dict) else {}


AUTH_METHODS: dict[str, type[AuthMethod]] = {
    cls.METHOD: cls
    for cls in (
        ClientCredentialsAuth,
        JwtBearerAuth,
        RefreshTokenAuth,
        AccessTokenAuth,
        SfCliAuth,
    )
}
