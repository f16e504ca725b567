"""``orgbridge login``: the OAuth web server flow with PKCE for refresh tokens.

The login listens on http://127.0.0.1:PORT/OauthRedirect and sends the user's browser
to the authorize URL with an S256 code challenge and a random state. The callback
brings the authorization code, which is exchanged together with the code verifier for
tokens. The refresh token goes to the OS keyring, else to a 0600 file. The connected
app's callback URL must be exactly ``http://127.0.0.1:PORT/OauthRedirect``.
"""

import asyncio
import base64
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from orgbridge.salesforce.auth.base import request_token
from orgbridge.salesforce.auth.methods import RefreshTokenAuth
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.errors import AuthError, ConfigError
from orgbridge.salesforce.secrets import RefreshTokenStore
from orgbridge.salesforce.transport import build_http_client

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/OauthRedirect"
_PAGE = (
    b"<!doctype html><title>orgbridge</title>"
    b"<p>%s You can close this window and return to the terminal.</p>"
)


@dataclass(frozen=True)
class LoginResult:
    """The refresh token's storage location and the logged-in user's identity URL."""

    stored_in: str
    identity_url: str | None
    instance_url: str


def make_pkce_pair() -> tuple[str, str]:
    """Return a PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def authorize_url(
    connection: ConnectionConfig, redirect_uri: str, state: str, challenge: str
) -> str:
    """Build the URL of the org's authorize page for this login."""
    auth = _refresh_auth(connection)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": auth.client_id,
            "redirect_uri": redirect_uri,
            "scope": auth.scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{connection.login_url}/services/oauth2/authorize?{query}"


class CallbackServer:
    """A one-shot HTTP listener on 127.0.0.1 that captures the OAuth redirect."""

    def __init__(self, port: int) -> None:
        self._done = threading.Event()
        self.params: dict[str, str] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                query = parse_qs(parts.query)
                owner.params = {key: values[0] for key, values in query.items()}
                message = b"Login failed." if "error" in owner.params else b"Logged in."
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_PAGE % message)
                owner._done.set()

            def log_message(self, format: str, *args: object) -> None:
                # The request line carries the authorization code; never log it.
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        """The callback URL, with the port actually bound."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{CALLBACK_PATH}"

    def start(self) -> None:
        """Start serving on a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    async def wait(self, timeout: float) -> dict[str, str]:
        """Wait for the redirect and return its query parameters."""
        arrived = await asyncio.to_thread(self._done.wait, timeout)
        if not arrived:
            raise AuthError(
                f"no login callback within {timeout:.0f} seconds; run the command "
                "again and finish the login in the browser"
            )
        return self.params


async def login(
    connection: ConnectionConfig,
    *,
    port: int | None = None,
    announce: Callable[[str], None],
    open_browser: Callable[[str], object] | None = None,
    store: RefreshTokenStore | None = None,
    timeout: float = 300.0,
) -> LoginResult:
    """Run the web server flow with PKCE and store the refresh token.

    ``announce`` receives the authorize URL to show the user; ``open_browser``, if
    given, is called with the same URL.
    """
    auth = _refresh_auth(connection)
    verifier, challenge = make_pkce_pair()
    state = secrets.token_urlsafe(16)
    server = CallbackServer(auth.callback_port if port is None else port)
    server.start()
    try:
        url = authorize_url(connection, server.redirect_uri, state, challenge)
        announce(url)
        if open_browser is not None:
            open_browser(url)
        params = await server.wait(timeout)
    finally:
        server.stop()

    code = _authorization_code(params, state, connection.name)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": auth.client_id,
        "redirect_uri": server.redirect_uri,
        "code_verifier": verifier,
    }
    if auth.client_secret is not None:
        form["client_secret"] = auth.client_secret.resolve().reveal()

    http = build_http_client(
        name=connection.name,
        ca_bundle=str(connection.ca_bundle) if connection.ca_bundle else None,
        verify_tls=connection.verify_tls,
    )
    async with http:
        token = await request_token(http, connection, form)
    if token.refresh_token is None:
        raise AuthError(
            f"connection {connection.name!r}: the org issued no refresh token; add "
            "the refresh_token (or offline_access) scope to the connected app",
            connection=connection.name,
        )

    stored_in = (store or RefreshTokenStore()).save(
        connection.name, token.refresh_token
    )
    logger.info("connection %s: login complete", connection.name)
    return LoginResult(stored_in, token.identity_url, token.instance_url)


def _refresh_auth(connection: ConnectionConfig) -> RefreshTokenAuth:
    if not isinstance(connection.auth, RefreshTokenAuth):
        raise ConfigError(
            f"[orgs.{connection.name}] orgbridge login needs auth = "
            f'"refresh_token", not {connection.auth.METHOD!r}'
        )
    if connection.auth.refresh_token is not None:
        raise ConfigError(
            f"[orgs.{connection.name}] refresh_token is set to "
            f"{connection.auth.refresh_token.describe()}, so a login would not be "
            "used; remove that key to keep the token from orgbridge login"
        )
    return connection.auth


def _authorization_code(params: dict[str, str], state: str, name: str) -> str:
    if "error" in params:
        raise AuthError(
            f"connection {name!r}: login was refused: {params['error']}: "
            f"{params.get('error_description', 'no description')}",
            connection=name,
        )
    if not secrets.compare_digest(params.get("state", ""), state):
        raise AuthError(
            f"connection {name!r}: the login callback carried the wrong state "
            "parameter (possible cross-site request); run the login again",
            connection=name,
        )
    code = params.get("code")
    if not code:
        raise AuthError(f"connection {name!r}: the login callback had no code")
    return code
