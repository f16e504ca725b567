"""The careful script: simple-salesforce with sObject Collections upserts.

It streams the Cases created today from the source org and upserts them into the
target 200 a call (``PATCH /composite/sobjects/Case/Source_Case_Id__c``) with
``allOrNone`` false. A rejected Case therefore does not fail its neighbours, and a
second run updates the Cases it created instead of duplicating them. It keeps no
state, so a second run still sends every Case again.
"""

import time
from itertools import islice
from typing import Any

from simple_salesforce.api import Salesforce

from bench.methods.common import (
    CASE_FIELDS,
    TODAY_SOQL,
    connect_both,
    parse_options,
    print_result,
)

CHUNK_SIZE = 200
EXTERNAL_ID_FIELD = "Source_Case_Id__c"


def upsert_chunk(target: Salesforce, chunk: list[dict[str, Any]]) -> int:
    """Upsert up to 200 Cases in one call; return how many succeeded."""
    body = {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Case"},
                EXTERNAL_ID_FIELD: record["Id"],
                **{name: record[name] for name in CASE_FIELDS},
            }
            for record in chunk
        ],
    }
    results = target.restful(
        f"composite/sobjects/Case/{EXTERNAL_ID_FIELD}", method="PATCH", json=body
    )
    return sum(1 for result in results or [] if result["success"])


def main() -> None:
    """Upsert today's Cases of A into B, 200 per sObject Collections call."""
    options = parse_options(__doc__ or "")
    started = time.perf_counter()
    source, target = connect_both(options)

    records = source.query_all_iter(TODAY_SOQL)
    if options.limit is not None:
        records = islice(records, options.limit)

    sent = succeeded = 0
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK_SIZE:
            succeeded += upsert_chunk(target, chunk)
            sent += len(chunk)
            chunk = []
    if chunk:
        succeeded += upsert_chunk(target, chunk)
        sent += len(chunk)
    print_result(sent, succeeded, sent - succeeded, started)


if __name__ == "__main__":
    main()
