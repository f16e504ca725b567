"""Auth methods that obtain access tokens, and the provider that caches them."""

from orgbridge.salesforce.auth.base import AuthMethod, Token
from orgbridge.salesforce.auth.methods import (
    AUTH_METHODS,
    AccessTokenAuth,
    ClientCredentialsAuth,
    JwtBearerAuth,
    RefreshTokenAuth,
    SfCliAuth,
)
from orgbridge.salesforce.auth.provider import TokenProvider

__all__ = [
    "AUTH_METHODS",
    "AccessTokenAuth",
    "AuthMethod",
    "ClientCredentialsAuth",
    "JwtBearerAuth",
    "RefreshTokenAuth",
    "SfCliAuth",
    "Token",
    "TokenProvider",
]
