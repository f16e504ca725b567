"""The HTTP app of one emulated org: OAuth, REST, platform and admin routes.

``create_app`` mounts, in order: the OAuth endpoints, the REST record and query
routes, the platform resources (versions, resources, limits), the admin API and a
catch-all that responds to unknown REST paths with a NOT_FOUND array. ``ApiMiddleware``
wraps them all; see its module for what it does to REST calls.
"""

import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware

from orgbridge.emulator.admin import admin_routes
from orgbridge.emulator.middleware import ApiMiddleware
from orgbridge.emulator.platform import fallback_routes, platform_routes
from orgbridge.emulator.rest import rest_routes
from orgbridge.emulator.runtime import OrgRuntime


def create_app(runtime: OrgRuntime, *, admin_token: str | None = None) -> Starlette:
    """Build the org's Starlette app.

    The admin token is, in order: the argument, the org setup's ``admin_token``, or
    a random one; ``app.state.admin_token`` contains it.
    """
    token = admin_token or runtime.config.admin_token or secrets.token_urlsafe(32)
    runtime.counters.track_records_written(lambda: runtime.store.records_written)

    routes = [
        *runtime.oauth.routes(),
        *rest_routes(runtime),
        *platform_routes(runtime),
        *admin_routes(runtime, token),
        *fallback_routes(),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(ApiMiddleware, runtime=runtime)]
    )
    app.state.admin_token = token
    app.state.runtime = runtime
    return app
