"""SOQL queries: pages fetched lazily by following nextRecordsUrl."""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from orgbridge.salesforce.errors import SalesforceError
from orgbridge.salesforce.rest import RestSession

logger = logging.getLogger(__name__)

MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000


@dataclass(frozen=True)
class QueryPage:
    """One page of a query result. ``total_size`` counts the whole result."""

    total_size: int
    done: bool
    records: list[dict[str, Any]]
    next_records_url: str | None


def query_options_header(batch_size: int | None) -> dict[str, str]:
    """Build the Sforce-Query-Options header for a page size, if one is set."""
    if batch_size is None:
        return {}
    if not MIN_BATCH_SIZE <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(
            f"batch_size must be between {MIN_BATCH_SIZE} and {MAX_BATCH_SIZE}, "
            f"got {batch_size}"
        )
    return {"Sforce-Query-Options": f"batchSize={batch_size}"}


async def query_pages(
    session: RestSession,
    soql: str,
    *,
    include_deleted: bool = False,
    batch_size: int | None = None,
) -> AsyncIterator[QueryPage]:
    """Yield the pages of a query; the next page is requested only when needed."""
    headers = query_options_header(batch_size)
    resource = "queryAll" if include_deleted else "query"
    response = await session.send(
        "GET", resource, params={"q": soql}, headers=headers, idempotent=True
    )
    page = _page(response.json())
    pages = 1
    yield page

    while not page.done:
        if page.next_records_url is None:
            raise SalesforceError(
                "query result has done=false but no nextRecordsUrl; the result is "
                "incomplete"
            )
        response = await session.send(
            "GET", page.next_records_url, headers=headers, idempotent=True
        )
        page = _page(response.json())
        pages += 1
        yield page

    logger.debug(
        "connection %s: query finished after %d page(s), %d row(s)",
        session.connection_name,
        pages,
        page.total_size,
    )


def _page(body: Any) -> QueryPage:
    if not isinstance(body, dict) or "records" not in body:
        raise SalesforceError("query response has no records key")
    return QueryPage(
        total_size=int(body.get("totalSize", 0)),
        done=bool(body.get("done", True)),
        records=list(body["records"]),
        next_records_url=body.get("nextRecordsUrl"),
    )
