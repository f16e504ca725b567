"""The plain script: simple-salesforce, one create call per Case.

It reads the Cases created today in the source org and creates each one in the
target with its own API call, logging and skipping a Case the target rejects. It
keeps no state, so a second run creates every Case again.
"""

import time
from typing import cast

from simple_salesforce.api import SFType
from simple_salesforce.exceptions import SalesforceError

from bench.methods.common import (
    CASE_FIELDS,
    TODAY_SOQL,
    connect_both,
    parse_options,
    print_result,
)


def main() -> None:
    """Create each of today's Cases of A in B with one call per Case."""
    options = parse_options(__doc__ or "")
    started = time.perf_counter()
    source, target = connect_both(options)

    records = source.query_all(TODAY_SOQL)["records"]
    if options.limit is not None:
        records = records[: options.limit]

    cases = cast(SFType, target.Case)
    succeeded = 0
    for record in records:
        try:
            cases.create({name: record[name] for name in CASE_FIELDS})
            succeeded += 1
        except SalesforceError:
            pass
    print_result(len(records), succeeded, len(records) - succeeded, started)


if __name__ == "__main__":
    main()
