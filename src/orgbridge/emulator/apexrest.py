"""The Apex REST class of the hand-written pattern that orgbridge replaces.

``POST /services/apexrest/records/createcases`` with ``{"cases": [{...}, ...]}``
inserts every Case or none, as ``insert`` on a list does in Apex. It responds with
the String the class returns: 201 "N cases created successfully." or 400 "Error: ..."
with the DmlException message of the first failing row, serialized as a JSON string
the way Apex REST serializes a returned String.

The class binds ``cases`` as the method's parameter, so a body the platform cannot
bind (malformed JSON, no ``cases`` array, an entry that is not an object) never
reaches the Apex code. The platform rejects it with 400 and a JSON_PARSER_ERROR
array, as for any REST call. Keys other than Subject, Origin, Status and
Description in an entry are ignored, as the class copies only those four fields.
"""

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.rest.responses import (
    JSON_CONTENT_TYPE,
    ApiFailure,
    parse_json_body,
    to_response,
)
from orgbridge.emulator.runtime import OrgRuntime

logger = logging.getLogger(__name__)

CASE_FIELDS = ("Subject", "Origin", "Status", "Description")
PATH = "/services/apexrest/records/createcases"


def apexrest_routes(runtime: OrgRuntime) -> list[BaseRoute]:
    """Build the route of the createcases endpoint."""

    async def create_cases(request: Request) -> Response:
        if request.method != "POST":
            failure = ApiFailure(
                405,
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{request.method}' not allowed. Allowed are POST",
            )
            return to_response(failure.result())

        user_id = request.state.session.user.user_id
        try:
            body = parse_json_body(
                await request.body(), request.headers.get("content-type")
            )
            cases = case_fields(body)
        except ApiFailure as failure:
            logger.info("createcases rejected the body: %s", failure.message)
            return to_response(failure.result())

        status, text = insert_cases(runtime, cases, user_id=user_id)
        return Response(
            json.dumps(text), status_code=status, media_type=JSON_CONTENT_TYPE
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [Route(PATH, create_cases, methods=methods)]


def case_fields(body: Any) -> list[dict[str, Any]]:
    """Bind the request body to the class's ``cases`` parameter."""
    cases = body.get("cases") if isinstance(body, dict) else None
    if not isinstance(cases, list):
        raise ApiFailure(
            400,
            "JSON_PARSER_ERROR",
            'Expected a JSON object with a "cases" array of Case objects',
        )

    bound: list[dict[str, Any]] = []
    for row, case in enumerate(cases):
        if not isinstance(case, dict):
            raise ApiFailure(
                400,
                "JSON_PARSER_ERROR",
                f"cases[{row}]: expected a JSON object, got {type(case).__name__}",
            )
        bound.append({k: case[k] for k in CASE_FIELDS if k in case})
    return bound


def insert_cases(
    runtime: OrgRuntime, cases: list[dict[str, Any]], *, user_id: str
) -> tuple[int, str]:
    """Insert all Cases in one transaction and return the HTTP status and String."""
    store = runtime.store
    row = 0
    try:
        with store.transaction():
            for index, fields in enumerate(cases):
                row = index
                store.create("Case", fields, user_id=user_id)
    except RecordError as error:
        names = ", ".join(error.fields)
        message = (
            f"Insert failed. First exception on row {row}; first error: "
            f"{error.error_code}, {error.message}: [{names}]"
        )
        logger.info("createcases rolled back %d Cases: %s", len(cases), message)
        return 400, f"Error: {message}"

    logger.info("createcases inserted %d Cases", len(cases))
    return 201, f"{len(cases)} cases created successfully."
