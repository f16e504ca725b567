"""Emulator micro-benchmark: service time of a login, a query page and an upsert.

A login is a client credentials token request on a new HTTPS connection, like
every method's first request, so its time includes the TLS handshake. The 2,000-row
query page and the 200-record upsert are sent one at a time over one keep-alive
HTTPS connection. No latency is injected. The clock runs from sending the encoded
request to receiving the whole response body, so the time is the emulator's service
time plus TLS and transfer on this machine, without the client's JSON work. The
pipeline bound uses these times.
"""

import json
import logging
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench.orgs import (
    CASE_FIELDS,
    EXTERNAL_ID_FIELD,
    HTTP_TIMEOUT,
    BenchOrg,
    fetch_token,
)

logger = logging.getLogger(__name__)

QUERY_PAGE_ROWS = 2000
UPSERT_RECORDS = 200
QUERY_SOQL = (
    f"SELECT Id, SystemModstamp, CreatedDate, {', '.join(CASE_FIELDS)} FROM Case"
    " ORDER BY CreatedDate ASC, Id ASC"
)


@dataclass(frozen=True)
class ServiceTimes:
    """Median seconds per request and requests per second, per request kind."""

    query_page_seconds: float
    query_pages_per_second: float
    upsert_seconds: float
    upserts_per_second: float
    login_seconds: float
    samples: int

    def as_dict(self) -> dict[str, Any]:
        """Return the times as a JSON-ready dict."""
        return asdict(self)


def measure_service_times(
    source: BenchOrg,
    target: BenchOrg,
    cases: list[dict[str, Any]],
    *,
    samples: int,
) -> ServiceTimes:
    """Time ``samples`` query pages in A and ``samples`` 200-record upserts in B.

    ``cases`` must hold at least UPSERT_RECORDS Cases and A at least
    QUERY_PAGE_ROWS; every upsert creates new Cases in B.
    """
    for org in (source, target):
        org.set_latency(0)
        # Get the token and open the connection before the clock runs.
        org.rest("GET", "limits")
    query_times = [_time_query_page(source) for _ in range(samples)]
    upsert_times = [
        _time_upsert(target, cases[:UPSERT_RECORDS], sample)
        for sample in range(samples)
    ]

    login_times = [_time_login(target) for _ in range(samples)]

    query = statistics.median(query_times)
    upsert = statistics.median(upsert_times)
    times = ServiceTimes(
        query_page_seconds=query,
        query_pages_per_second=len(query_times) / sum(query_times),
        upsert_seconds=upsert,
        upserts_per_second=len(upsert_times) / sum(upsert_times),
        login_seconds=statistics.median(login_times),
        samples=samples,
    )
    logger.info("emulator service times: %s", times)
    return times


def _time_login(org: BenchOrg) -> float:
    started = time.perf_counter()
    with httpx.Client(
        base_url=org.access.instance_url,
        verify=str(org.access.ca_bundle),
        timeout=HTTP_TIMEOUT,
    ) as http:
        fetch_token(http, org.access)
    return time.perf_counter() - started


def _time_query_page(org: BenchOrg) -> float:
    headers = {"Sforce-Query-Options": f"batchSize={QUERY_PAGE_ROWS}"}
    started = time.perf_counter()
    response = org.rest("GET", "query", params={"q": QUERY_SOQL}, headers=headers)
    elapsed = time.perf_counter() - started

    # Parsed after the clock stops: in a sync the client parses the page on its
    # own CPU while the emulator serves the next request.
    rows = len(response.json()["records"])
    if rows != QUERY_PAGE_ROWS:
        raise ValueError(
            f"the query page has {rows} rows, expected {QUERY_PAGE_ROWS}: seed more"
        )
    return elapsed


def _time_upsert(org: BenchOrg, cases: list[dict[str, Any]], sample: int) -> float:
    records = [
        {
            "attributes": {"type": "Case"},
            # A made-up, unique 18-character value per record and sample.
            EXTERNAL_ID_FIELD: f"micro{sample:05d}{index:08d}",
            **case,
        }
        for index, case in enumerate(cases)
    ]
    # Encoded before the clock starts, for the same reason as the parse above.
    body = json.dumps({"allOrNone": False, "records": records}).encode()
    path = f"composite/sobjects/Case/{EXTERNAL_ID_FIELD}"
    headers = {"Content-Type": "application/json"}
    started = time.perf_counter()
    response = org.rest("PATCH", path, content=body, headers=headers)
    elapsed = time.perf_counter() - started

    failed = [result for result in response.json() if not result["success"]]
    if failed:
        raise ValueError(f"micro-benchmark upsert failed: {failed[0]}")
    return elapsed
