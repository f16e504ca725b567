"""The Apex REST class of the hand-written pattern that orgbridge replaces.

``POST /services/apexrest/records/createcases`` with ``{"cases": [{...}, ...]}``
inserts every Case or none, as ``insert`` on a list does in Apex, and answers the
String the class returns: 201 "N cases created successfully." or 400 "Error: ...",
serialized as JSON strings the way Apex REST serializes a returned String.
"""

import json
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.rest.responses import JSON_CONTENT_TYPE
from orgbridge.emulator.runtime import OrgRuntime

logger = logging.getLogger(__name__)

CASE_FIELDS = ("Subject", "Origin", "Status", "Description")


def apexrest_routes(runtime: OrgRuntime) -> list[BaseRoute]:
    """Build the route of the createcases endpoint."""

    async def create_cases(request: Request) -> Response:
        user_id = request.state.session.user.user_id
        try:
            body = json.loads(await request.body())
            cases = body["cases"]
            if not isinstance(cases, list):
                raise TypeError("cases is not a list")
        except (ValueError, KeyError, TypeError) as error:
            return _answer(400, f"Error: {error}")

        store = runtime.store
        failed_row = 0
        try:
            with store.transaction():
                for row, case in enumerate(cases):
                    failed_row = row
                    fields = {k: case.get(k) for k in CASE_FIELDS if k in case}
                    store.create("Case", fields, user_id=user_id)
        except RecordError as error:
            names = ", ".join(error.fields)
            message = (
                f"Insert failed. First exception on row {failed_row}; first error: "
                f"{error.error_code}, {error.message}: [{names}]"
            )
            logger.info("createcases rolled back %d Cases: %s", len(cases), message)
            return _answer(400, f"Error: {message}")

        logger.info("createcases inserted %d Cases", len(cases))
        return _answer(201, f"{len(cases)} cases created successfully.")

    return [
        Route("/services/apexrest/records/createcases", create_cases, methods=["POST"])
    ]


def _answer(status: int, text: str) -> Response:
    return Response(json.dumps(text), status_code=status, media_type=JSON_CONTENT_TYPE)
