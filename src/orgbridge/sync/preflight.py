"""Checks that run before a sync command sends its first API call.

``check_secrets`` reads every secret a connection references (environment
variables, files, keyring entries, the refresh token ``orgbridge login`` stored)
and signs a JWT assertion with a ``jwt_bearer`` private key. A missing variable or
an unusable key is then reported with the connection's name before any request,
and before a run row is written. The values read are dropped at once; the token
request reads them again, so a secret rotated in between is still picked up.

NOTE: ``sf_cli`` connections are not checked here, because reading their token
runs ``sf org display``, which may call the org. Their errors come with the
first token request.
"""

import dataclasses
import logging
from collections.abc import Iterable

from orgbridge.salesforce.auth.methods import JwtBearerAuth, RefreshTokenAuth
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.errors import AuthError, SecretError
from orgbridge.salesforce.secrets import SecretRef

logger = logging.getLogger(__name__)


def check_secrets(connections: Iterable[ConnectionConfig]) -> None:
    """Read each connection's secrets; raise AuthError naming the first missing one.

    The message names the connection, the key and the reference, never a value.
    """
    for connection in connections:
        auth = connection.auth
        checked: set[str] = set()
        if isinstance(auth, JwtBearerAuth):
            # Signing also proves the key is a usable RSA key in PEM format.
            auth.assertion(connection.name)
            checked.add("private_key")
        elif isinstance(auth, RefreshTokenAuth):
            # Reads the reference, or the token that orgbridge login stored.
            auth.read_refresh_token(connection.name)
            checked.add("refresh_token")

        for key, reference in _secret_references(auth):
            if key not in checked:
                _resolve(connection.name, key, reference)
        logger.debug("connection %s: every secret reference resolved", connection.name)


def _secret_references(auth: object) -> list[tuple[str, SecretRef]]:
    if not dataclasses.is_dataclass(auth):
        return []
    return [
        (item.name, value)
        for item in dataclasses.fields(auth)
        if isinstance(value := getattr(auth, item.name), SecretRef)
    ]


def _resolve(connection: str, key: str, reference: SecretRef) -> None:
    try:
        reference.resolve()
    except SecretError as error:
        raise AuthError(
            f"connection {connection!r}: {key} {reference.describe()}: {error}",
            connection=connection,
        ) from None
