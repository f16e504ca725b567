"""The emulated org's OAuth 2.0 server.

Grants: client credentials, JWT bearer (RS256), refresh token (optional rotation),
authorization code with PKCE, and username-password when the org enables it. Also
the authorize, revoke, introspect and userinfo endpoints and the identity URL.
Tokens are stored as SHA-256 hashes only.
"""

from orgbridge.emulator.oauth.errors import InvalidSessionError, OAuthError
from orgbridge.emulator.oauth.server import OAuthServer, Session

__all__ = ["InvalidSessionError", "OAuthError", "OAuthServer", "Session"]
