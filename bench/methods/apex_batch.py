"""The original design, replayed: all of today's Cases in one Apex REST call.

The script queries the Cases created today in the source org and posts them as one
``{"cases": [...]}`` body to ``/services/apexrest/records/createcases`` in the
target, which inserts all of them or none. It keeps no state, so every run sends
every Case created that day again.
"""

import time
from typing import Any

from simple_salesforce.exceptions import SalesforceError

from bench.methods.common import (
    CASE_FIELDS,
    TODAY_SOQL,
    connect_both,
    parse_options,
    print_result,
)


def main() -> None:
    """Query today's Cases in A and post them to B's Apex endpoint in one body."""
    options = parse_options(__doc__ or "")
    started = time.perf_counter()
    source, target = connect_both(options)

    records = source.query_all(TODAY_SOQL)["records"]
    cases: list[dict[str, Any]] = [
        {name: record[name] for name in CASE_FIELDS} for record in records
    ]
    if options.limit is not None:
        cases = cases[: options.limit]

    try:
        target.apexecute("records/createcases", method="POST", data={"cases": cases})
        succeeded = len(cases)
    except SalesforceError:
        # The endpoint inserts all or none: one bad Case fails the whole body.
        succeeded = 0
    print_result(len(cases), succeeded, len(cases) - succeeded, started)


if __name__ == "__main__":
    main()
