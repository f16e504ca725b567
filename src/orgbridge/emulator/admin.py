"""The emulator's admin API, for tests and benchmarks; not counted as API calls.

Every route needs ``Authorization: Bearer <admin token>``:

- ``GET /_emulator/counters``: API calls by endpoint and in total, records written.
- ``POST /_emulator/counters/reset``: set the counters (and daily usage) to zero.
- ``GET`` / ``PUT /_emulator/faults``: read or replace the fault settings; a PUT
  body is a JSON object of FaultConfig fields, and fields left out get defaults.
- ``POST /_emulator/tokens/expire``: expire every access token of the org.
"""

import dataclasses
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.config import FaultConfig
from orgbridge.emulator.faults import FaultConfigError
from orgbridge.emulator.runtime import OrgRuntime

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def admin_routes(runtime: OrgRuntime, admin_token: str) -> list[BaseRoute]:
    """Build the admin routes, each guarded by the admin token."""

    def guarded(handler: Handler) -> Handler:
        async def check(request: Request) -> Response:
            if not _has_token(request, admin_token):
                return JSONResponse(
                    {"error": "admin token missing or invalid"}, status_code=401
                )
            return await handler(request)

        return check

    async def counters(request: Request) -> Response:
        return JSONResponse(runtime.counters.snapshot())

    async def reset_counters(request: Request) -> Response:
        runtime.counters.reset()
        logger.info("counters of org %s reset", runtime.config.org_id)
        return JSONResponse(runtime.counters.snapshot())

    async def faults(request: Request) -> Response:
        return JSONResponse(dataclasses.asdict(runtime.faults.config))

    async def set_faults(request: Request) -> Response:
        try:
            config = _fault_config(await request.body())
            runtime.faults.configure(config)
        except FaultConfigError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(dataclasses.asdict(config))

    async def expire_tokens(request: Request) -> Response:
        return JSONResponse({"expired": runtime.oauth.expire_access_tokens()})

    return [
        Route("/_emulator/counters", guarded(counters), methods=["GET"]),
        Route("/_emulator/counters/reset", guarded(reset_counters), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["GET"]),
        Route("/_emulator/faults", guarded(set_faults), methods=["PUT"]),
        Route("/_emulator/tokens/expire", guarded(expire_tokens), methods=["POST"]),
    ]


def _has_token(request: Request, admin_token: str) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), admin_token.encode())


def _fault_config(body: bytes) -> FaultConfig:
    try:
        values = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise FaultConfigError(f"fault settings are not valid JSON: {exc}") from exc
    if not isinstance(values, dict):
        raise FaultConfigError("fault settings must be a JSON object")

    allowed = {f.name for f in dataclasses.fields(FaultConfig)}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise FaultConfigError(
            f"unknown fault setting(s) {unknown}; allowed: {allowed}"
        )
    try:
        return FaultConfig(**values)
    except TypeError as exc:
        raise FaultConfigError(str(exc)) from exc
