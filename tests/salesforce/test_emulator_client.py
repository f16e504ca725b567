"""The REST client against the emulated org: paging, collections, retries, expiry."""

from collections.abc import Callable

import pytest

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.errors import NotFoundError, OutcomeUnknownError
from orgbridge.salesforce.retry import RetryPolicy

from .conftest import OrgUnderTest

SetFaults = Callable[..., None]


def cases(prefix: str, count: int) -> list[dict[str, str]]:
    return [
        {"Source_Id__c": f"{prefix}-{index:05d}", "Subject": f"{prefix} {index}"}
        for index in range(count)
    ]


async def count_cases(client: SalesforceClient, prefix: str) -> int:
    soql = f"SELECT Id FROM Case WHERE Source_Id__c LIKE '{prefix}-%'"
    ids = [record["Id"] async for record in client.query_records(soql)]
    return len(ids)


async def test_paging_past_2000_rows(cc_connection: ConnectionConfig) -> None:
    async with SalesforceClient(cc_connection) as client:
        results = await client.create_many("Case", cases("page", 2300))
        assert all(result.success for result in results)

        soql = "SELECT Id, Source_Id__c FROM Case WHERE Source_Id__c LIKE 'page-%'"
        calls_before = client.calls_made
        pages = [page async for page in client.query(soql)]

    assert [len(page.records) for page in pages] == [2000, 300]
    assert {page.total_size for page in pages} == {2300}
    assert pages[-1].done is True
    assert pages[0].next_records_url is not None
    assert client.calls_made - calls_before == 2
    sources = {record["Source_Id__c"] for page in pages for record in page.records}
    assert len(sources) == 2300


async def test_partial_failures_map_to_inputs(cc_connection: ConnectionConfig) -> None:
    records = cases("partial", 450)
    bad_positions = [17, 222, 431]
    for position in bad_positions:
        records[position]["Subject"] = "x" * 300

    async with SalesforceClient(cc_connection) as client:
        results = await client.upsert_many("Case", "Source_Id__c", records)
        stored = await count_cases(client, "partial")

    assert len(results) == 450
    failed = [index for index, result in enumerate(results) if not result.success]
    assert failed == bad_positions
    for position in bad_positions:
        assert results[position].status_codes == ["STRING_TOO_LONG"]
        assert results[position].errors[0].fields == ["Subject"]
        assert results[position].id is None
    assert all(results[i].created is True for i in range(450) if i not in failed)
    assert stored == 447


async def test_upsert_many_updates_second_time(
    cc_connection: ConnectionConfig,
) -> None:
    records = cases("again", 250)
    async with SalesforceClient(cc_connection) as client:
        first = await client.upsert_many("Case", "Source_Id__c", records)
        second = await client.upsert_many("Case", "Source_Id__c", records)

    assert [result.created for result in first] == [True] * 250
    assert [result.created for result in second] == [False] * 250
    assert [result.id for result in first] == [result.id for result in second]


async def test_token_expiry_mid_query(
    sf_org: OrgUnderTest, cc_connection: ConnectionConfig
) -> None:
    async with SalesforceClient(cc_connection) as client:
        await client.create_many("Case", cases("expiry", 450))
        soql = "SELECT Id FROM Case WHERE Source_Id__c LIKE 'expiry-%'"
        seen = 0
        async for page in client.query(soql, batch_size=200):
            seen += len(page.records)
            sf_org.admin("POST", "tokens/expire")

    assert seen == 450
    assert client.tokens.tokens_fetched == 3
    assert sum(client.retries.values()) == 0


async def test_lock_faults_retried_and_counted(
    cc_connection: ConnectionConfig, faults: SetFaults
) -> None:
    faults(unable_to_lock_row_rate=0.05, seed=11)
    client = SalesforceClient(cc_connection, retry=RetryPolicy.without_sleeping(10))
    async with client:
        results = await client.upsert_many("Case", "Source_Id__c", cases("lock", 450))
        faults()
        stored = await count_cases(client, "lock")

    assert all(result.success for result in results)
    assert client.retries["UNABLE_TO_LOCK_ROW"] > 0
    assert stored == 450


async def test_server_unavailable_retried(
    cc_connection: ConnectionConfig, faults: SetFaults
) -> None:
    faults(server_unavailable_rate=0.3, seed=5)
    client = SalesforceClient(cc_connection, retry=RetryPolicy.without_sleeping(10))
    async with client:
        for _ in range(10):
            await client.limits()

    assert client.retries["SERVER_UNAVAILABLE"] > 0
    assert client.calls_made == 10 + client.retries["SERVER_UNAVAILABLE"]


async def test_create_not_retried_after_drop(
    cc_connection: ConnectionConfig, faults: SetFaults
) -> None:
    client = SalesforceClient(cc_connection, retry=RetryPolicy.without_sleeping(5))
    async with client:
        await client.limits()  # fetch the token before the connection drops
        faults(drop_after_commit_rate=1.0)
        with pytest.raises(OutcomeUnknownError, match="not retried"):
            await client.create("Case", {"Source_Id__c": "drop-00001", "Subject": "d"})
        faults()
        stored = await count_cases(client, "drop")

    assert stored == 1
    assert sum(client.retries.values()) == 0


async def test_upsert_retried_after_drop(
    cc_connection: ConnectionConfig, faults: SetFaults
) -> None:
    client = SalesforceClient(cc_connection, retry=RetryPolicy.without_sleeping(10))
    async with client:
        await client.limits()
        faults(drop_after_commit_rate=0.5, seed=3)
        results = await client.upsert_many(
            "Case", "Source_Id__c", cases("redrop", 30), concurrency=1
        )
        faults()
        stored = await count_cases(client, "redrop")

    assert all(result.success for result in results)
    assert stored == 30


async def test_single_record_calls(cc_connection: ConnectionConfig) -> None:
    async with SalesforceClient(cc_connection) as client:
        record_id = await client.create("Case", {"Subject": "one", "Origin": "Web"})
        await client.update("Case", record_id, {"Subject": "two"})
        record = await client.get("Case", record_id, ["Subject"])
        upserted = await client.upsert(
            "Case", "Source_Id__c", "single-1", {"Subject": "three"}
        )
        describe = await client.describe("Case")
        calls = client.calls_made
        assert await client.describe("Case") is describe
        assert client.calls_made == calls
        await client.delete("Case", record_id)
        with pytest.raises(NotFoundError):
            await client.get("Case", record_id)

    assert record["Subject"] == "two"
    assert upserted.created is True
    assert upserted.id is not None
    assert describe["name"] == "Case"
