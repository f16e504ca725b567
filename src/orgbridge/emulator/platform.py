"""Platform resources outside sObjects and queries: versions, resources, limits.

``GET /services/data`` lists the API versions without authentication; the versioned
resources (``/services/data/vNN.0/`` and ``/limits``) go through the API middleware
like every other REST call.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.runtime import OrgRuntime

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"
NOT_FOUND_BODY = [
    {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
]
# The resources the emulator serves under /services/data/vNN.0/.
SERVED_RESOURCES = ("sobjects", "query", "queryAll", "composite", "limits")
_SEASONS = ("Winter", "Spring", "Summer")


def release_label(version: str) -> str:
    """Name the release of an API version: "62.0" is "Winter '25".

    Salesforce ships three releases a year; 32.0 was Winter '15, so every three
    versions after it add one year.
    """
    offset = int(float(version)) - 32
    year = 15 + offset // 3
    return f"{_SEASONS[offset % 3]} '{year:02d}"


def platform_routes(runtime: OrgRuntime) -> list[BaseRoute]:
    """Build the version list, resource list and limits routes."""

    async def versions(request: Request) -> Response:
        ordered = sorted(runtime.config.api_versions, key=float)
        body = [
            {"label": release_label(v), "url": f"/services/data/v{v}", "version": v}
            for v in ordered
        ]
        return JSONResponse(body, media_type=JSON_MEDIA_TYPE)

    async def resources(request: Request) -> Response:
        version = request.state.api_version
        body = {name: f"/services/data/v{version}/{name}" for name in SERVED_RESOURCES}
        session = request.state.session
        body["identity"] = runtime.oauth.identity_url(
            str(request.base_url).rstrip("/"), session.user
        )
        return JSONResponse(body, media_type=JSON_MEDIA_TYPE)

    async def limits(request: Request) -> Response:
        return JSONResponse(limits_body(runtime), media_type=JSON_MEDIA_TYPE)

    return [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route("/services/data/v{version}", resources, methods=["GET"]),
        Route("/services/data/v{version}/", resources, methods=["GET"]),
        Route("/services/data/v{version}/limits", limits, methods=["GET"]),
        Route("/services/data/v{version}/limits/", limits, methods=["GET"]),
    ]


def limits_body(runtime: OrgRuntime) -> dict[str, Any]:
    """Build the limits resource: DailyApiRequests from the counters, others full.

    Only DailyApiRequests is tracked; the other entries report their whole
    allowance as remaining, with Developer Edition sizes.
    """
    daily_max = runtime.config.daily_api_limit
    used = min(runtime.counters.total_calls, daily_max)
    fixed = {
        "DailyBulkApiBatches": 15000,
        "DailyBulkV2QueryJobs": 10000,
        "DailyBulkV2QueryFileStorageMB": 976562,
        "ConcurrentAsyncGetReportInstances": 200,
        "DailyDurableStreamingApiEvents": 10000,
        "DataStorageMB": 5,
        "FileStorageMB": 20,
    }
    body: dict[str, Any] = {
        "DailyApiRequests": {"Max": daily_max, "Remaining": daily_max - used}
    }
    for name, maximum in fixed.items():
        body[name] = {"Max": maximum, "Remaining": maximum}
    return body


async def not_found(request: Request) -> Response:
    """Answer an unknown REST resource as Salesforce does: 404 NOT_FOUND."""
    return JSONResponse(NOT_FOUND_BODY, status_code=404, media_type=JSON_MEDIA_TYPE)


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def fallback_routes() -> list[BaseRoute]:
    """Build the catch-all routes that give unknown REST paths a NOT_FOUND array."""
    return [
        Route("/services/data/{rest:path}", not_found, methods=ALL_METHODS),
        Route("/services/apexrest/{rest:path}", not_found, methods=ALL_METHODS),
    ]
