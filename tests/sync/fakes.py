"""An in-process stand-in for SalesforceClient, for fast engine unit tests.

It understands only the detection query shape the engine sends
(``SELECT ... FROM Case [WHERE F >= literal] ORDER BY F ASC, Id ASC``) and
``WHERE Id IN (...)``, and keeps Cases in a dict.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from orgbridge.salesforce.collections import RecordError, RecordResult
from orgbridge.salesforce.datetimes import format_datetime, parse_datetime
from orgbridge.salesforce.ids import make_id
from orgbridge.salesforce.limits import ApiUsage
from orgbridge.salesforce.query import QueryPage

_SELECT = re.compile(r"SELECT (?P<fields>.+?) FROM Case(?P<rest>.*)$")
_LOWER = re.compile(r"WHERE (\w+) >= (\S+)")
_IN = re.compile(r"WHERE Id IN \((.*)\)")


class FakeOrg:
    """Cases in memory; upserts by external ID; counts calls like the real client."""

    def __init__(self, pod: str, *, daily_max: int = 100_000) -> None:
        self.pod = pod
        self.cases: dict[str, dict[str, Any]] = {}
        self.calls_made = 0
        self.daily_max = daily_max
        self.api_usage: ApiUsage | None = None
        self.rejected_statuses: set[str] = set()
        self.upsert_calls = 0
        # Raised when the query reaches this page (1 is the first), if set.
        self.query_error: tuple[int, Exception] | None = None
        self._next = 1
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def _call(self) -> None:
        self.calls_made += 1
        self.api_usage = ApiUsage(self.calls_made, self.daily_max)

    def add_case(self, created: datetime | None = None, **fields: Any) -> str:
        """Insert a Case; CreatedDate and SystemModstamp default to a ticking clock."""
        if created is None:
            self.now += timedelta(milliseconds=10)
            created = self.now
        record_id = make_id("500", self.pod, self._next)
        self._next += 1
        stamp = format_datetime(created)
        self.cases[record_id] = {
            "Id": record_id,
            "CreatedDate": stamp,
            "SystemModstamp": stamp,
            "Subject": None,
            "Status": "New",
            **fields,
        }
        return record_id

    async def login(self) -> None:
        """Nothing to do: the fake org needs no token."""

    async def limits(self) -> dict[str, Any]:
        self._call()
        remaining = self.daily_max - self.calls_made
        return {"DailyApiRequests": {"Max": self.daily_max, "Remaining": remaining}}

    async def describe(self, sobject: str) -> dict[str, Any]:
        self._call()
        fields = [
            {"name": "Subject", "type": "string"},
            {"name": "Status", "type": "picklist"},
            {"name": "IsEscalated", "type": "boolean"},
            {"name": "Source_Case_Id__c", "type": "string"},
        ]
        return {"name": sobject, "fields": fields}

    async def query(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> AsyncIterator[QueryPage]:
        match = _SELECT.match(soql)
        assert match is not None, soql
        fields = [name.strip() for name in match["fields"].split(",")]
        rows = list(self.cases.values())

        lower = _LOWER.search(match["rest"])
        if lower:
            bound = parse_datetime(lower[2])
            rows = [r for r in rows if parse_datetime(r[lower[1]]) >= bound]
        ids = _IN.search(match["rest"])
        if ids:
            wanted = {item.strip(" '") for item in ids[1].split(",")}
            rows = [r for r in rows if r["Id"] in wanted]
        if "ORDER BY" in soql:
            order = soql.split("ORDER BY ")[1].split()[0]
            rows.sort(key=lambda r: (r[order], r["Id"]))

        size = batch_size or 2000
        for number, start in enumerate(range(0, max(len(rows), 1), size), 1):
            self._call()
            await asyncio.sleep(0)
            if self.query_error is not None and self.query_error[0] == number:
                raise self.query_error[1]
            chunk = [
                {name: r.get(name) for name in fields}
                for r in rows[start : start + size]
            ]
            done = start + size >= len(rows)
            yield QueryPage(len(rows), done, chunk, None if done else "next")

    async def query_records(
        self, soql: str, **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        async for page in self.query(soql, **kwargs):
            for row in page.records:
                yield row

    async def upsert_many(
        self,
        sobject: str,
        external_id_field: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
        concurrency: int = 4,
    ) -> list[RecordResult]:
        self._call()
        self.upsert_calls += 1
        await asyncio.sleep(0)
        results = []
        for record in records:
            if record.get("Status") in self.rejected_statuses:
                status = record["Status"]
                message = f"Status: bad value for restricted picklist field: {status}"
                error = RecordError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, ["Status"]
                )
                results.append(RecordResult(None, False, None, [error]))
                continue
            key = record[external_id_field]
            existing = [
                c for c in self.cases.values() if c.get(external_id_field) == key
            ]
            if existing:
                existing[0].update(record)
                results.append(RecordResult(existing[0]["Id"], True, False))
            else:
                new_id = self.add_case(**record)
                results.append(RecordResult(new_id, True, True))
        return results
