"""The OAuth server's routes: /services/oauth2/* and the identity URL."""

from starlette.routing import BaseRoute

from orgbridge.emulator.oauth.server import OAuthServer


def oauth_routes(server: OAuthServer) -> list[BaseRoute]:
    """Build the routes of every OAuth endpoint the emulator serves."""
    routes: list[BaseRoute] = []
    return routes
