"""The authorize endpoint of the web server flow: ``GET /services/oauth2/authorize``.

The emulator has no login page: it approves the request at once as the user named by
``login_hint`` (if that is a user of the org) or the org's default user, and redirects
to ``redirect_uri?code=...&state=...``. Errors found before the redirect URI is known
to be one of the app's callback URLs are answered with HTTP 400; later ones are
redirected as ``error=...&error_description=...``, as Salesforce does.
"""

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from orgbridge.emulator.config import ConnectedAppConfig, UserConfig
from orgbridge.emulator.oauth.clients import find_app
from orgbridge.emulator.oauth.errors import OAuthError
from orgbridge.emulator.oauth.server import OAuthServer
from orgbridge.emulator.oauth.tokens import new_refresh_token

logger = logging.getLogger(__name__)

CODE_LIFETIME_SECONDS = 15 * 60
CHALLENGE_METHODS = frozenset({"S256", "plain"})


class _RedirectError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


async def authorize_endpoint(server: OAuthServer, request: Request) -> Response:
    """Approve an authorization request and redirect back with a code."""
    params = request.query_params
    try:
        app = find_app(server.config, params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.callback_urls:
            raise OAuthError(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
    except OAuthError as exc:
        logger.info("authorize request rejected: %s", exc.error)
        return exc.response()

    state = params.get("state")
    try:
        code = _approve(server, app, request, redirect_uri)
    except _RedirectError as exc:
        logger.info("authorize request for app %s: %s", app.client_id, exc.error)
        query = {"error": exc.error, "error_description": exc.description}
        return _redirect(redirect_uri, query, state)
    return _redirect(redirect_uri, {"code": code}, state)


def _approve(
    server: OAuthServer, app: ConnectedAppConfig, request: Request, redirect_uri: str
) -> str:
    params = request.query_params
    if params.get("response_type") != "code":
        raise _RedirectError("unsupported_response_type", "response type not supported")
    if "authorization_code" not in app.allowed_flows:
        raise _RedirectError("unsupported_response_type", "response type not supported")

    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method", "plain" if challenge else None)
    if challenge is not None and method not in CHALLENGE_METHODS:
        raise _RedirectError("invalid_request", "invalid code challenge method")

    scope = _granted_scope(app, params.get("scope"))
    user = _approving_user(server, params.get("login_hint"))
    code = new_refresh_token()
    server.tokens.add_code(
        code,
        client_id=app.client_id,
        user_id=user.user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=challenge,
        code_challenge_method=method if challenge is not None else None,
        lifetime_seconds=CODE_LIFETIME_SECONDS,
    )
    logger.info("authorized app %s for user %s", app.client_id, user.user_id)
    return code


def _granted_scope(app: ConnectedAppConfig, requested: str | None) -> str:
    if not requested:
        return " ".join(app.scopes)
    scopes = requested.split()
    allowed = set(app.scopes) | {"full"}
    if any(scope not in allowed for scope in scopes):
        raise _RedirectError("invalid_scope", "the requested scope is not allowed")
    return " ".join(scopes)


def _approving_user(server: OAuthServer, login_hint: str | None) -> UserConfig:
    user = server.config.default_user
    if login_hint:
        user = server.config.user_by_username(login_hint) or user
    if not user.active:
        raise _RedirectError("inactive_user", "user is inactive")
    return user


def _redirect(redirect_uri: str, query: dict[str, str], state: str | None) -> Response:
    if state is not None:
        query["state"] = state
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(query), 302)
