"""The token endpoint, ``POST /services/oauth2/token``, and its grants.

JWT bearer lives in ``jwt_bearer``; the other grants are here. Every response is JSON
with Salesforce's no-store headers; every error is an ``OAuthError`` (HTTP 400).
"""

import base64
import hashlib
import hmac
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orgbridge.emulator.config import UserConfig
from orgbridge.emulator.oauth.clients import (
    check_flow,
    check_secret,
    client_credentials,
    find_app,
    read_form,
)
from orgbridge.emulator.oauth.errors import JSON_MEDIA_TYPE, TOKEN_HEADERS, OAuthError
from orgbridge.emulator.oauth.jwt_bearer import JWT_BEARER_GRANT, jwt_bearer_grant
from orgbridge.emulator.oauth.server import OAuthServer
from orgbridge.emulator.oauth.tokens import REFRESH

logger = logging.getLogger(__name__)

REFRESH_SCOPES = frozenset({"refresh_token", "offline_access"})


def instance_url_of(request: Request) -> str:
    """Return the base URL the request came in on: the org's instance URL."""
    return str(request.base_url).rstrip("/")


async def token_endpoint(server: OAuthServer, request: Request) -> Response:
    """Serve one token request, whatever its grant type."""
    form = await read_form(request)
    grant_type = form.get("grant_type", "")
    try:
        answer = _dispatch(server, request, form, grant_type)
    except OAuthError as exc:
        logger.info("token request (%s) rejected: %s", grant_type or "-", exc.error)
        return exc.response()
    return JSONResponse(answer, headers=TOKEN_HEADERS, media_type=JSON_MEDIA_TYPE)


def _dispatch(
    server: OAuthServer, request: Request, form: dict[str, str], grant_type: str
) -> dict[str, Any]:
    if not grant_type:
        raise OAuthError("invalid_request", "grant type is missing")

    instance_url = instance_url_of(request)
    if grant_type == JWT_BEARER_GRANT:
        return jwt_bearer_grant(server, form, instance_url)

    client_id, client_secret = client_credentials(request, form)
    if grant_type == "client_credentials":
        return _client_credentials(server, client_id, client_secret, instance_url)
    if grant_type == "refresh_token":
        return _refresh_token(server, form, client_id, client_secret, instance_url)
    if grant_type == "authorization_code":
        return _authorization_code(server, form, client_id, client_secret, instance_url)
    if grant_type == "password":
        return _password(server, form, client_id, client_secret, instance_url)
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def _client_credentials(
    server: OAuthServer, client_id: str, client_secret: str, instance_url: str
) -> dict[str, Any]:
    app = find_app(server.config, client_id)
    check_secret(app, client_secret)
    check_flow(app, "client_credentials")

    user = server.config.default_user
    if app.run_as is not None:
        run_as = server.config.user_by_username(app.run_as)
        if run_as is None:
            raise OAuthError("invalid_grant", "no client credentials user enabled")
        user = run_as
    _check_active(user)

    scope = " ".join(s for s in app.scopes if s not in REFRESH_SCOPES)
    return server.issue_tokens(
        app=app, user=user, scope=scope, instance_url=instance_url, refresh=False
    )


def _refresh_token(
    server: OAuthServer,
    form: dict[str, str],
    client_id: str,
    client_secret: str,
    instance_url: str,
) -> dict[str, Any]:
    app = find_app(server.config, client_id)
    if client_secret:
        check_secret(app, client_secret)
    check_flow(app, "refresh_token")

    expired = OAuthError("invalid_grant", "expired access/refresh token")
    record = server.tokens.find_token(form.get("refresh_token", ""))
    if record is None or record.kind != REFRESH or record.client_id != app.client_id:
        raise expired
    if not record.is_active(server.tokens.now()):
        # A rotated (revoked) refresh token used again may be stolen: revoke its
        # whole chain, as Salesforce does when rotation is on.
        revoked = server.tokens.revoke_family(record.family)
        logger.info("reused refresh token: revoked %d token(s) of its chain", revoked)
        raise expired
    user = server.user_by_id(record.user_id)
    if user is None or not user.active:
        raise expired

    if app.refresh_token_rotation:
        server.tokens.revoke_token(record.token_hash)
    return server.issue_tokens(
        app=app,
        user=user,
        scope=record.scope,
        instance_url=instance_url,
        refresh=app.refresh_token_rotation,
        family=record.family,
    )


def _authorization_code(
    server: OAuthServer,
    form: dict[str, str],
    client_id: str,
    client_secret: str,
    instance_url: str,
) -> dict[str, Any]:
    app = find_app(server.config, client_id)
    verifier = form.get("code_verifier")
    if client_secret or not verifier:
        # Without PKCE the client must prove itself with its secret.
        check_secret(app, client_secret)
    check_flow(app, "authorization_code")

    code = server.tokens.use_code(form.get("code", ""))
    if code is None or code.client_id != app.client_id:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if code.used or code.expires_at <= server.tokens.now():
        raise OAuthError("invalid_grant", "expired authorization code")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri must match configuration")
    if code.code_challenge is not None:
        method = code.code_challenge_method or "plain"
        if not verifier or not pkce_matches(verifier, code.code_challenge, method):
            raise OAuthError("invalid_grant", "invalid code verifier")

    user = server.user_by_id(code.user_id)
    if user is None:
        raise OAuthError("invalid_grant", "invalid authorization code")
    _check_active(user)

    refresh = bool(REFRESH_SCOPES & set(code.scope.split()))
    return server.issue_tokens(
        app=app, user=user, scope=code.scope, instance_url=instance_url, refresh=refresh
    )


def _password(
    server: OAuthServer,
    form: dict[str, str],
    client_id: str,
    client_secret: str,
    instance_url: str,
) -> dict[str, Any]:
    app = find_app(server.config, client_id)
    check_secret(app, client_secret)

    failure = OAuthError("invalid_grant", "authentication failure")
    if not server.config.password_flow_enabled or "password" not in app.allowed_flows:
        raise failure
    user = server.config.user_by_username(form.get("username", ""))
    if user is None or user.password is None or not user.active:
        raise failure
    given = form.get("password", "").encode("utf-8")
    if not hmac.compare_digest(given, user.password.encode("utf-8")):
        raise failure

    scope = " ".join(app.scopes)
    answer = server.issue_tokens(
        app=app, user=user, scope=scope, instance_url=instance_url, refresh=False
    )
    # The username-password flow grants a session id: no refresh token, no scope.
    answer.pop("scope")
    return answer


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """Check a PKCE code verifier against its challenge (RFC 7636, S256 or plain)."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        expected = verifier
    return hmac.compare_digest(expected.encode("utf-8"), challenge.encode("utf-8"))


def _check_active(user: UserConfig) -> None:
    if not user.active:
        raise OAuthError("inactive_user", "user is inactive")
