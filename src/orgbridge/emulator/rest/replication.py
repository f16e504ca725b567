"""The replication resources: sobjects/{type}/updated and sobjects/{type}/deleted.

Both take ``start`` and ``end`` (ISO 8601 with an offset). Salesforce truncates the
window to whole minutes and returns the latest minute it covers.
"""

from datetime import datetime, timedelta

from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import ApiFailure, Result
from orgbridge.emulator.schema import SObjectSchema
from orgbridge.salesforce.datetimes import format_datetime, parse_datetime

UPDATED_WINDOW = timedelta(days=30)
DELETED_WINDOW = timedelta(days=15)


def route(call: Call, sobject: SObjectSchema, kind: str) -> Result:
    """GET updated/ or deleted/ for one sObject."""
    if call.method != "GET":
        raise ApiFailure(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{call.method}' not allowed. Allowed are GET",
        )
    start = _minute(_parameter(call, "start"))
    end = _minute(_parameter(call, "end"))
    if end <= start:
        raise ApiFailure(
            400, "INVALID_REPLICATION_DATE", "end date must be after start date"
        )

    now = call.runtime.clock()
    window = UPDATED_WINDOW if kind == "updated" else DELETED_WINDOW
    earliest = now - window
    if start < earliest:
        raise ApiFailure(
            400,
            "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {window.days} days ago",
        )

    end = min(end, _minute(format_datetime(now)))
    store = call.runtime.store
    if kind == "updated":
        ids = store.updated_ids(sobject.name, start, end)
        return Result(200, {"ids": ids, "latestDateCovered": format_datetime(end)})

    deleted = store.deleted_records(sobject.name, start, end)
    return Result(
        200,
        {
            "deletedRecords": [{"id": i, "deletedDate": d} for i, d in deleted],
            "earliestDateAvailable": format_datetime(
                _minute(format_datetime(earliest))
            ),
            "latestDateCovered": format_datetime(end),
        },
    )


def _parameter(call: Call, name: str) -> str:
    value = call.params.get(name)
    if not value:
        raise ApiFailure(400, "MISSING_ARGUMENT", f"{name} parameter not specified")
    return value


def _minute(text: str) -> datetime:
    try:
        # A '+' in a query string that was not URL-encoded arrives as a space.
        parsed = parse_datetime(text.replace(" ", "+"))
    except ValueError:
        raise ApiFailure(
            400, "INVALID_REPLICATION_DATE", f"invalid date: {text}"
        ) from None
    return parsed.replace(second=0, microsecond=0)
