"""The OAuth server's routes: /services/oauth2/* and the identity URL."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.oauth.authorize import authorize_endpoint
from orgbridge.emulator.oauth.grants import token_endpoint
from orgbridge.emulator.oauth.identity import (
    identity_endpoint,
    introspect_endpoint,
    revoke_endpoint,
    userinfo_endpoint,
)
from orgbridge.emulator.oauth.server import OAuthServer

Endpoint = Callable[[OAuthServer, Request], Awaitable[Response]]


def oauth_routes(server: OAuthServer) -> list[BaseRoute]:
    """Build the routes of every OAuth endpoint the emulator serves."""

    def bind(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await endpoint(server, request)

        return handle

    return [
        Route("/services/oauth2/token", bind(token_endpoint), methods=["POST"]),
        Route("/services/oauth2/authorize", bind(authorize_endpoint), methods=["GET"]),
        Route(
            "/services/oauth2/revoke", bind(revoke_endpoint), methods=["GET", "POST"]
        ),
        Route(
            "/services/oauth2/introspect", bind(introspect_endpoint), methods=["POST"]
        ),
        Route(
            "/services/oauth2/userinfo",
            bind(userinfo_endpoint),
            methods=["GET", "POST"],
        ),
        Route("/id/{org_id}/{user_id}", bind(identity_endpoint), methods=["GET"]),
    ]
