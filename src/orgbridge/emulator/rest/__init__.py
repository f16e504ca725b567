"""The emulated org's REST resources for records: sObjects, query, collections.

``dispatch`` runs one call (a direct request or a composite subrequest) and turns
the store's and the SOQL engine's errors into Salesforce's error responses.
``rest_routes`` mounts it under ``/services/data/vNN.0/`` for the resource families
it serves. Versions, resources and limits are served by the platform routes.
"""

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.apexrest import apexrest_routes
from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.rest import collections, composite, query, sobjects
from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import (
    ApiFailure,
    Result,
    not_found,
    parse_json_body,
    to_response,
)
from orgbridge.emulator.runtime import OrgRuntime

__all__ = ["dispatch", "rest_routes"]

logger = logging.getLogger(__name__)

FAMILIES = ("sobjects", "query", "queryAll", "composite")
ALL_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


def dispatch(call: Call) -> Result:
    """Run one REST call and return its response, errors included."""
    try:
        return _route(call)
    except ApiFailure as failure:
        return failure.result()
    except RecordError as error:
        return ApiFailure(
            error.status, error.error_code, error.message, error.fields
        ).result()


def _route(call: Call) -> Result:
    parts = call.path.split("/")
    family, rest = parts[0], parts[1:]
    if family == "sobjects":
        return sobjects.route(call, rest)
    if family in ("query", "queryAll"):
        return query.route(call, rest, include_deleted=family == "queryAll")
    if family == "composite":
        if rest and rest[0] == "sobjects":
            return collections.route(call, rest[1:])
        if not [p for p in rest if p]:
            return composite.run(call, dispatch)
    raise not_found()


def rest_routes(runtime: OrgRuntime) -> list[BaseRoute]:
    """Build the routes of the record resources, plus the Apex REST endpoint."""

    async def handle(request: Request) -> Response:
        version = request.path_params["version"]
        prefix = f"/services/data/v{version}/"
        body = None
        if request.method in _BODY_METHODS:
            raw = await request.body()
            try:
                body = parse_json_body(raw, request.headers.get("content-type"))
            except ApiFailure as failure:
                return to_response(failure.result())

        call = Call(
            runtime=runtime,
            api_version=request.state.api_version,
            user=request.state.session.user,
            instance_url=str(request.base_url).rstrip("/"),
            method=request.method,
            path=request.url.path[len(prefix) :],
            params=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        return to_response(dispatch(call))

    routes: list[BaseRoute] = []
    for family in FAMILIES:
        base = f"/services/data/v{{version}}/{family}"
        routes.append(Route(base, handle, methods=ALL_METHODS))
        routes.append(Route(base + "/{rest:path}", handle, methods=ALL_METHODS))
    return [*routes, *apexrest_routes(runtime)]
