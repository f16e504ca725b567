"""The query and queryAll resources, with nextRecordsUrl paging."""

import re

from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import ApiFailure, Result, not_found
from orgbridge.emulator.soql import QueryPage, SoqlError

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def route(call: Call, parts: list[str], *, include_deleted: bool) -> Result:
    """GET query?q=, queryAll?q=, and query/{locator} for the next page."""
    if call.method != "GET":
        raise ApiFailure(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{call.method}' not allowed. Allowed are GET,HEAD",
        )
    locator = "/".join(p for p in parts if p)
    batch_size = _batch_size(call)
    engine = call.runtime.soql

    try:
        if locator:
            page = engine.next_page(
                locator, batch_size=batch_size, api_version=call.api_version
            )
        else:
            soql = call.params.get("q")
            if not soql:
                raise ApiFailure(
                    400, "MALFORMED_QUERY", "A query string has to be specified"
                )
            page = engine.execute(
                soql,
                include_deleted=include_deleted,
                batch_size=batch_size,
                api_version=call.api_version,
                time_zone=call.user.time_zone,
            )
    except SoqlError as error:
        if error.error_code == "INVALID_QUERY_LOCATOR" and not locator:
            raise not_found() from None
        raise ApiFailure(400, error.error_code, error.message) from None
    return Result(200, page_body(call, page))


def page_body(call: Call, page: QueryPage) -> dict[str, object]:
    """Render one page of a query result."""
    body: dict[str, object] = {
        "totalSize": page.total_size,
        "done": page.done,
        "records": page.records,
    }
    if not page.done and page.next_locator is not None:
        body["nextRecordsUrl"] = (
            f"/services/data/v{call.api_version}/query/{page.next_locator}"
        )
    return body


def _batch_size(call: Call) -> int:
    """Read ``Sforce-Query-Options: batchSize=N``, clamped to 200..2000 as Salesforce
    does; the org may still return fewer rows in a page."""
    options = call.headers.get("sforce-query-options", "")
    match = _BATCH_SIZE.search(options)
    if match is None:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(match.group(1))))
