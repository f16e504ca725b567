"""Connected app lookup and client authentication for the token endpoints."""

import base64
import binascii
import hmac
from urllib.parse import parse_qsl

from starlette.requests import Request

from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig
from orgbridge.emulator.oauth.errors import OAuthError

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request) -> dict[str, str]:
    """Return the fields of a form-encoded body; a field sent twice keeps its first.

    OAuth requests are ``application/x-www-form-urlencoded`` only, so the body is
    parsed here rather than with a multipart parser. Other bodies give no fields.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != FORM_MEDIA_TYPE:
        return {}

    body = (await request.body()).decode("utf-8", "replace")
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        fields.setdefault(key, value)
    return fields


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Return (client_id, client_secret) from a Basic header, else from the body.

    A missing value is returned as an empty string.
    """
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "invalid client credentials") from exc
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def find_app(config: OrgConfig, client_id: str) -> ConnectedAppConfig:
    """Return the connected app with this consumer key or raise invalid_client_id."""
    app = config.app_by_client_id(client_id) if client_id else None
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    return app


def check_secret(app: ConnectedAppConfig, client_secret: str) -> None:
    """Raise invalid_client unless the secret is the app's (constant-time compare)."""
    expected = app.client_secret
    if expected is None or not client_secret:
        raise OAuthError("invalid_client", "invalid client credentials")
    if not hmac.compare_digest(expected.encode("utf-8"), client_secret.encode("utf-8")):
        raise OAuthError("invalid_client", "invalid client credentials")


def check_flow(app: ConnectedAppConfig, flow: str) -> None:
    """Raise unsupported_grant_type unless the app allows this flow."""
    if flow not in app.allowed_flows:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
