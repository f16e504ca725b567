"""SalesforceClient: the async REST client for one named connection.

Usage::

    async with SalesforceClient(connection) as client:
        async for record in client.query_records("SELECT Id FROM Case"):
            ...
        results = await client.upsert_many("Case", "Source_Id__c", records)

One client has one pooled HTTP/1.1 connection pool and one cached access token.
``calls_made`` counts REST requests sent to the org (token requests excluded).
"""

import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from orgbridge.salesforce.auth.provider import TokenProvider
from orgbridge.salesforce.collections import RecordResult, write_in_chunks
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.limits import ApiUsage
from orgbridge.salesforce.query import QueryPage, query_pages
from orgbridge.salesforce.rest import RestSession
from orgbridge.salesforce.retry import RetryPolicy
from orgbridge.salesforce.transport import DEFAULT_TIMEOUT, build_http_client

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_NAME = "orgbridge"


class SalesforceClient:
    """Async REST client: queries, single-record calls and sObject Collections.

    ``client_name`` goes in Sforce-Call-Options (the org records it as the change
    origin). ``auto_assign`` sets Sforce-Auto-Assign (TRUE, FALSE, or an assignment
    rule Id); None sends no header, so the org's default applies.
    ``allow_duplicate_save`` sends Sforce-Duplicate-Rule-Header: allowSave=true, so
    records that only raise a duplicate-rule alert are saved.
    """

    def __init__(
        self,
        connection: ConnectionConfig,
        *,
        retry: RetryPolicy | None = None,
        client_name: str = DEFAULT_CLIENT_NAME,
        auto_assign: bool | str | None = None,
        allow_duplicate_save: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_connections: int = 10,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.connection = connection
        self._http = build_http_client(
            name=connection.name,
            ca_bundle=str(connection.ca_bundle) if connection.ca_bundle else None,
            verify_tls=connection.verify_tls,
            timeout=timeout,
            max_connections=max_connections,
            transport=transport,
        )
        self.tokens = TokenProvider(connection, self._http)
        self._rest = RestSession(
            connection_name=connection.name,
            api_version=connection.api_version,
            http=self._http,
            tokens=self.tokens,
            retry=retry or RetryPolicy(),
            default_headers=_default_headers(
                client_name, auto_assign, allow_duplicate_save
            ),
        )
        self._describes: dict[str, dict[str, Any]] = {}

    async def __aenter__(self) -> "SalesforceClient":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def login(self) -> None:
        """Get an access token now unless one is cached, or raise the org's rejection.

        Requests get a token on first use anyway. Calling this first lets a caller
        log in to several orgs at once and find a rejected login before it writes
        anything.
        """
        await self.tokens.current()

    @property
    def calls_made(self) -> int:
        """REST requests sent to the org so far, retries included."""
        return self._rest.calls_made

    @property
    def api_usage(self) -> ApiUsage | None:
        """The org's API usage from the latest Sforce-Limit-Info header."""
        return self._rest.api_usage

    @property
    def retries(self) -> Counter[str]:
        """Retries made so far, keyed by reason (an errorCode or exception name)."""
        return self._rest.retries

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send any REST request; ``path`` is relative to /services/data/vNN.0/."""
        return await self._rest.send(
            method,
            path,
            idempotent=idempotent,
            params=params,
            json_body=json_body,
            headers=headers,
        )

    # Queries

    def query(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> AsyncIterator[QueryPage]:
        """Iterate over the pages of a query (queryAll with include_deleted)."""
        return query_pages(
            self._rest, soql, include_deleted=include_deleted, batch_size=batch_size
        )

    async def query_records(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Iterate over the records of a query, fetching pages as needed."""
        pages = self.query(soql, include_deleted=include_deleted, batch_size=batch_size)
        async for page in pages:
            for record in page.records:
                yield record

    # One record

    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Retrieve one record, with all fields or only ``fields``."""
        params = {"fields": ",".join(fields)} if fields else None
        response = await self._rest.send(
            "GET", f"sobjects/{sobject}/{record_id}", params=params, idempotent=True
        )
        return dict(response.json())

    async def create(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create one record and return its Id.

        Raises OutcomeUnknownError if the connection drops after sending, because a
        retry could create the record twice.
        """
        response = await self._rest.send(
            "POST", f"sobjects/{sobject}", json_body=fields, idempotent=False
        )
        return str(response.json()["id"])

    async def update(
        self, sobject: str, record_id: str, fields: dict[str, Any]
    ) -> None:
        """Update fields of one record."""
        await self._rest.send(
            "PATCH",
            f"sobjects/{sobject}/{record_id}",
            json_body=fields,
            idempotent=True,
        )

    async def delete(self, sobject: str, record_id: str) -> None:
        """Delete one record (it goes to the recycle bin).

        A retry after a dropped connection may find the record already deleted and
        raise EntityIsDeletedError.
        """
        await self._rest.send(
            "DELETE", f"sobjects/{sobject}/{record_id}", idempotent=True
        )

    async def upsert(
        self,
        sobject: str,
        external_id_field: str,
        external_id: str,
        fields: dict[str, Any],
    ) -> RecordResult:
        """Create or update the record whose external ID field equals ``external_id``.

        Raises MultipleMatchesError when several records have that value.
        """
        path = f"sobjects/{sobject}/{external_id_field}/{quote(external_id, safe='')}"
        response = await self._rest.send(
            "PATCH", path, json_body=fields, idempotent=True
        )
        if response.status_code == 204:
            return RecordResult(id=None, success=True, created=False)
        return RecordResult.from_json(response.json())

    # Many records (sObject Collections)

    async def create_many(
        self,
        sobject: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        concurrency: int = 4,
    ) -> list[RecordResult]:
        """Create records in chunks of 200; one result per record, in input order."""

        async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            body = _collection_body(sobject, chunk, all_or_none)
            response = await self._rest.send(
                "POST", "composite/sobjects", json_body=body, idempotent=False
            )
            return list(response.json())

        return await write_in_chunks(
            self._rest,
            records,
            send,
            all_or_none=all_or_none,
            concurrency=concurrency,
            label=f"{sobject} create",
        )

    async def update_many(
        self,
        sobject: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        concurrency: int = 4,
    ) -> list[RecordResult]:
        """Update records (each with an Id) in chunks of 200, results in input order."""
        missing = [index for index, record in enumerate(records) if "Id" not in record]
        if missing:
            raise ValueError(f"update_many: records at {missing[:10]} have no Id")

        async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            body = _collection_body(sobject, chunk, all_or_none)
            response = await self._rest.send(
                "PATCH", "composite/sobjects", json_body=body, idempotent=True
            )
            return list(response.json())

        return await write_in_chunks(
            self._rest,
            records,
            send,
            all_or_none=all_or_none,
            concurrency=concurrency,
            label=f"{sobject} update",
        )

    async def upsert_many(
        self,
        sobject: str,
        external_id_field: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        concurrency: int = 4,
    ) -> list[RecordResult]:
        """Upsert records by external ID in chunks of 200, results in input order."""
        missing = [
            index
            for index, record in enumerate(records)
            if record.get(external_id_field) in (None, "")
        ]
        if missing:
            raise ValueError(
                f"upsert_many: records at {missing[:10]} have no {external_id_field}"
            )
        path = f"composite/sobjects/{sobject}/{external_id_field}"

        async def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            body = _collection_body(sobject, chunk, all_or_none)
            response = await self._rest.send(
                "PATCH", path, json_body=body, idempotent=True
            )
            return list(response.json())

        return await write_in_chunks(
            self._rest,
            records,
            send,
            all_or_none=all_or_none,
            concurrency=concurrency,
            label=f"{sobject} upsert",
        )

    async def delete_many(
        self,
        record_ids: Sequence[str],
        *,
        all_or_none: bool = False,
        concurrency: int = 4,
    ) -> list[RecordResult]:
        """Delete records by Id in chunks of 200, results in input order."""

        async def send(chunk: list[str]) -> list[dict[str, Any]]:
            params = {"ids": ",".join(chunk), "allOrNone": str(all_or_none).lower()}
            response = await self._rest.send(
                "DELETE", "composite/sobjects", params=params, idempotent=True
            )
            return list(response.json())

        return await write_in_chunks(
            self._rest,
            record_ids,
            send,
            all_or_none=all_or_none,
            concurrency=concurrency,
            label="delete",
        )

    async def composite(
        self, subrequests: list[dict[str, Any]], *, all_or_none: bool = False
    ) -> list[dict[str, Any]]:
        """Send up to 25 subrequests as one Composite call; return compositeResponse.

        The call is retried after a dropped connection only if no subrequest is a
        POST, since a POST may have created records.
        """
        if len(subrequests) > 25:
            raise ValueError("a composite request takes at most 25 subrequests")
        idempotent = all(item.get("method") != "POST" for item in subrequests)
        body = {"allOrNone": all_or_none, "compositeRequest": subrequests}
        response = await self._rest.send(
            "POST", "composite", json_body=body, idempotent=idempotent
        )
        return list(response.json()["compositeResponse"])

    # Metadata and limits

    async def describe(self, sobject: str) -> dict[str, Any]:
        """Return the sObject's describe, fetched once per client."""
        cached = self._describes.get(sobject)
        if cached is None:
            response = await self._rest.send(
                "GET", f"sobjects/{sobject}/describe", idempotent=True
            )
            cached = dict(response.json())
            self._describes[sobject] = cached
        return cached

    async def limits(self) -> dict[str, Any]:
        """Return the org's limits (DailyApiRequests and others: Max, Remaining)."""
        response = await self._rest.send("GET", "limits/", idempotent=True)
        return dict(response.json())

    async def identity(self) -> dict[str, Any]:
        """Return who the token logs in as: the identity URL, else /userinfo."""
        token, _ = await self.tokens.current()
        target = token.identity_url or "/services/oauth2/userinfo"
        response = await self._rest.send("GET", target, idempotent=True)
        return dict(response.json())


def _default_headers(
    client_name: str, auto_assign: bool | str | None, allow_duplicate_save: bool
) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "Sforce-Call-Options": f"client={client_name}",
    }
    if isinstance(auto_assign, bool):
        headers["Sforce-Auto-Assign"] = "TRUE" if auto_assign else "FALSE"
    elif auto_assign is not None:
        headers["Sforce-Auto-Assign"] = auto_assign
    if allow_duplicate_save:
        headers["Sforce-Duplicate-Rule-Header"] = "allowSave=true"
    return headers


def _collection_body(
    sobject: str, records: list[dict[str, Any]], all_or_none: bool
) -> dict[str, Any]:
    # A record read from a query carries its own attributes (type and url), which
    # a collection write does not accept; only the type is sent.
    return {
        "allOrNone": all_or_none,
        "records": [
            {"attributes": {"type": sobject}}
            | {name: value for name, value in record.items() if name != "attributes"}
            for record in records
        ],
    }
