"""Revoke, introspect, userinfo and the identity URL.

Userinfo and the identity URL describe the user of a Bearer token with the fields
real clients read (sfdx-core needs ``user_id`` and ``organization_id``). URLs in them
carry the literal ``{version}`` placeholder unless the identity URL is called with
``?version=NN.0``, as on a real org.
"""

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from orgbridge.emulator.config import UserConfig
from orgbridge.emulator.oauth.clients import (
    check_secret,
    client_credentials,
    find_app,
    read_form,
)
from orgbridge.emulator.oauth.errors import (
    JSON_MEDIA_TYPE,
    TOKEN_HEADERS,
    InvalidSessionError,
    OAuthError,
)
from orgbridge.emulator.oauth.server import OAuthServer, Session
from orgbridge.emulator.oauth.tokens import ACCESS, REFRESH, TokenRecord

logger = logging.getLogger(__name__)

_URL_PATHS = {
    "enterprise": "/services/Soap/c/{version}/{org15}",
    "metadata": "/services/Soap/m/{version}/{org15}",
    "partner": "/services/Soap/u/{version}/{org15}",
    "rest": "/services/data/v{version}/",
    "sobjects": "/services/data/v{version}/sobjects/",
    "search": "/services/data/v{version}/search/",
    "query": "/services/data/v{version}/query/",
    "recent": "/services/data/v{version}/recent/",
    "tooling_soap": "/services/Soap/T/{version}/{org15}",
    "tooling_rest": "/services/data/v{version}/tooling/",
    "profile": "/{user_id}",
    "feeds": "/services/data/v{version}/chatter/feeds",
    "groups": "/services/data/v{version}/chatter/groups",
    "users": "/services/data/v{version}/chatter/users",
    "feed_items": "/services/data/v{version}/chatter/feed-items",
    "feed_elements": "/services/data/v{version}/chatter/feed-elements",
}


async def revoke_endpoint(server: OAuthServer, request: Request) -> Response:
    """Revoke an access token, or a refresh token and every token issued with it."""
    form = await read_form(request) if request.method == "POST" else {}
    token = form.get("token") or request.query_params.get("token", "")
    if not token:
        return OAuthError("unsupported_token_type", "missing token").response()

    record = server.tokens.find_token(token)
    if record is None:
        return OAuthError("invalid_token", "invalid token").response()

    if record.kind == REFRESH:
        count = server.tokens.revoke_family(record.family)
    else:
        server.tokens.revoke_token(record.token_hash)
        count = 1
    logger.info("revoked %d token(s) of user %s", count, record.user_id)
    return Response(status_code=200, headers=TOKEN_HEADERS)


async def introspect_endpoint(server: OAuthServer, request: Request) -> Response:
    """Describe a token to its connected app: ``{"active": ...}`` and details."""
    form = await read_form(request)
    client_id, client_secret = client_credentials(request, form)
    try:
        app = find_app(server.config, client_id)
        check_secret(app, client_secret)
    except OAuthError as exc:
        return exc.response()

    body: dict[str, Any] = {"active": False}
    record = server.tokens.find_token(form.get("token", ""))
    if record is not None and _visible(server, record, app.client_id):
        user = server.user_by_id(record.user_id)
        if user is not None:
            body = _introspection(server, request, user, record)
    return JSONResponse(body, headers=TOKEN_HEADERS, media_type=JSON_MEDIA_TYPE)


def _visible(server: OAuthServer, record: TokenRecord, client_id: str) -> bool:
    """Tell whether a token is active and was issued to this connected app."""
    return record.is_active(server.tokens.now()) and record.client_id == client_id


def _introspection(
    server: OAuthServer, request: Request, user: UserConfig, record: TokenRecord
) -> dict[str, Any]:
    instance_url = str(request.base_url).rstrip("/")
    body: dict[str, Any] = {
        "active": True,
        "scope": record.scope,
        "client_id": record.client_id,
        "username": user.username,
        "sub": server.identity_url(instance_url, user),
        "token_type": "access_token" if record.kind == ACCESS else "refresh_token",
        "iat": int(record.issued_at),
        "nbf": int(record.issued_at),
    }
    if record.expires_at is not None:
        body["exp"] = int(record.expires_at)
    return body


async def userinfo_endpoint(server: OAuthServer, request: Request) -> Response:
    """Describe the token's user in OpenID Connect form."""
    session = _session(server, request)
    if isinstance(session, Response):
        return session

    instance_url = str(request.base_url).rstrip("/")
    body = userinfo(server, session.user, instance_url, version=None)
    return JSONResponse(body, media_type=JSON_MEDIA_TYPE)


async def identity_endpoint(server: OAuthServer, request: Request) -> Response:
    """Serve the identity URL ``/id/{orgId}/{userId}`` to the user it names."""
    session = _session(server, request)
    if isinstance(session, Response):
        return session

    org_id = str(request.path_params["org_id"])
    user_id = str(request.path_params["user_id"])
    if (
        org_id[:15] != server.config.org_id[:15]
        or user_id[:15] != (session.user.user_id[:15])
    ):
        # A real org answers a token for another user or org with this text.
        return PlainTextResponse("Bad_Id", status_code=403)

    instance_url = str(request.base_url).rstrip("/")
    version = request.query_params.get("version")
    info = userinfo(server, session.user, instance_url, version=version)
    body = identity(server, session.user, info)
    return JSONResponse(body, media_type=JSON_MEDIA_TYPE)


def _session(server: OAuthServer, request: Request) -> Session | Response:
    header = request.headers.get("authorization")
    token = request.query_params.get("oauth_token")
    if header is None and token:
        header = f"Bearer {token}"
    try:
        return server.authenticate(header)
    except InvalidSessionError as exc:
        return exc.response()


def userinfo(
    server: OAuthServer, user: UserConfig, instance_url: str, *, version: str | None
) -> dict[str, Any]:
    """Build the userinfo document of a user."""
    given_name, _, family_name = user.name.rpartition(" ")
    org_id = server.config.org_id
    photo = f"{instance_url}/profilephoto/005/F"
    return {
        "sub": server.identity_url(instance_url, user),
        "user_id": user.user_id,
        "organization_id": org_id,
        "preferred_username": user.username,
        "nickname": user.username.split("@")[0],
        "name": user.name,
        "email": user.email,
        "email_verified": True,
        "given_name": given_name,
        "family_name": family_name or user.name,
        "zoneinfo": user.time_zone,
        "photos": {"picture": photo, "thumbnail": f"{photo}/T"},
        "profile": f"{instance_url}/{user.user_id}",
        "picture": photo,
        "address": {"country": "US"},
        "is_salesforce_integration_user": False,
        "urls": _urls(instance_url, org_id, user.user_id, version),
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": _utc_offset_ms(user.time_zone, server.clock()),
        "updated_at": "2024-01-01T00:00:00Z",
        "is_app_installed": True,
    }


def identity(
    server: OAuthServer, user: UserConfig, info: dict[str, Any]
) -> dict[str, Any]:
    """Build the identity URL document from a user's userinfo document."""
    return {
        "id": info["sub"],
        "asserted_user": True,
        "user_id": user.user_id,
        "organization_id": server.config.org_id,
        "username": user.username,
        "nick_name": info["nickname"],
        "display_name": user.name,
        "email": user.email,
        "email_verified": True,
        "first_name": info["given_name"],
        "last_name": info["family_name"],
        "timezone": user.time_zone,
        "photos": info["photos"],
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": "US",
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": info["urls"],
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": info["utcOffset"],
        "last_modified_date": "2024-01-01T00:00:00.000+0000",
        "is_app_installed": True,
    }


def _urls(
    instance_url: str, org_id: str, user_id: str, version: str | None
) -> dict[str, str]:
    values = {
        "version": version or "{version}",
        "org15": org_id[:15],
        "user_id": user_id,
    }
    urls = {
        name: instance_url + path.format(**values) for name, path in _URL_PATHS.items()
    }
    urls["custom_domain"] = instance_url
    return urls


def _utc_offset_ms(time_zone: str, now: datetime) -> int:
    try:
        offset = now.astimezone(ZoneInfo(time_zone)).utcoffset()
    except ZoneInfoNotFoundError:
        return 0
    return 0 if offset is None else int(offset.total_seconds() * 1000)
