"""write_back on two emulated orgs: the target's Id or CaseNumber lands in A.

The write-back is an update of the source Case, so it moves the Case's
SystemModstamp past the cursor. In ``changes`` mode the next run reads those
Cases again, finds their mapped payload unchanged and stores the new
SystemModstamp without sending them; the run after that skips them outright.
"""

from collections.abc import Callable
from typing import Any

from orgbridge.emulator.config import CustomFieldConfig
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.sync.engine import SyncEngine

from .conftest import Orgs, create_cases

A_WRITE_BACK_FIELDS = (
    CustomFieldConfig(sobject="Case", name="Target_Case_Id__c", length=18),
    CustomFieldConfig(sobject="Case", name="Target_Case_Number__c", length=30),
)


async def _source_values(a: SalesforceClient, field: str) -> dict[str, Any]:
    soql = f"SELECT Id, {field} FROM Case"
    return {str(row["Id"]): row[field] async for row in a.query_records(soql)}


async def _target_rows(b: SalesforceClient) -> dict[str, dict[str, Any]]:
    soql = "SELECT Id, CaseNumber, Source_Case_Id__c FROM Case"
    return {str(row["Source_Case_Id__c"]): row async for row in b.query_records(soql)}


async def test_write_back_of_id_does_not_echo(
    orgs_factory: Callable[..., Orgs],
) -> None:
    orgs = orgs_factory(custom_fields=A_WRITE_BACK_FIELDS)
    pair = orgs.pair(mode="changes", write_back="Target_Case_Id__c")

    async with orgs.client("a") as a, orgs.client("b") as b:
        source_ids = await create_cases(a, 5)
        with orgs.state() as state:
            first = await SyncEngine(pair, a, b, state).run()
            links_after_first = state.links("a_to_b", source_ids)
            written = await _source_values(a, "Target_Case_Id__c")
            modstamps = await _source_values(a, "SystemModstamp")
            second = await SyncEngine(pair, a, b, state).run()
            links_after_second = state.links("a_to_b", source_ids)
            third = await SyncEngine(pair, a, b, state).run()
        landed = await _target_rows(b)

    assert first.counts.created == 5
    assert first.write_back_failures == 0
    for source_id in source_ids:
        assert written[source_id] == landed[source_id]["Id"]

    # The write-back moved each SystemModstamp past the delivered one; the second
    # run stores the new SystemModstamp in the link...
    for source_id in source_ids:
        assert modstamps[source_id] > links_after_first[source_id].source_modstamp
        assert links_after_second[source_id].source_modstamp == modstamps[source_id]
    assert second.counts.read == 5
    assert second.counts.sent == 0
    assert second.counts.skipped == 5
    # ...and sends or writes back nothing: one query call, no target call.
    assert second.counts.source_api_calls == 1
    assert second.counts.target_api_calls == 0
    assert third.counts.sent == 0
    assert third.counts.source_api_calls == 1
    assert third.counts.target_api_calls == 0


async def test_changed_case_is_sent_and_written_back_again(
    orgs_factory: Callable[..., Orgs],
) -> None:
    orgs = orgs_factory(custom_fields=A_WRITE_BACK_FIELDS)
    pair = orgs.pair(mode="changes", write_back="Target_Case_Id__c")

    async with orgs.client("a") as a, orgs.client("b") as b:
        (source_id,) = await create_cases(a, 1)
        with orgs.state() as state:
            await SyncEngine(pair, a, b, state).run()
            await a.update("Case", source_id, {"Subject": "Changed"})
            changed = await SyncEngine(pair, a, b, state).run()
            settled = await SyncEngine(pair, a, b, state).run()
        written = await _source_values(a, "Target_Case_Id__c")
        landed = await _target_rows(b)

    assert changed.counts.updated == 1
    assert changed.write_back_failures == 0
    assert written[source_id] == landed[source_id]["Id"]
    assert settled.counts.sent == 0
    assert settled.counts.target_api_calls == 0


async def test_write_back_of_case_number(orgs_factory: Callable[..., Orgs]) -> None:
    orgs = orgs_factory(custom_fields=A_WRITE_BACK_FIELDS)
    pair = orgs.pair(
        mode="changes",
        write_back={"field": "Target_Case_Number__c", "value": "CaseNumber"},
    )

    async with orgs.client("a") as a, orgs.client("b") as b:
        source_ids = await create_cases(a, 3)
        with orgs.state() as state:
            first = await SyncEngine(pair, a, b, state).run()
            second = await SyncEngine(pair, a, b, state).run()
        written = await _source_values(a, "Target_Case_Number__c")
        landed = await _target_rows(b)

    assert first.counts.created == 3
    assert first.write_back_failures == 0
    for source_id in source_ids:
        assert written[source_id] == landed[source_id]["CaseNumber"]
        assert written[source_id]
    assert second.counts.sent == 0
    assert second.counts.target_api_calls == 0


async def test_write_back_to_missing_field_is_counted(orgs: Orgs) -> None:
    pair = orgs.pair(write_back="Target_Case_Id__c")

    async with orgs.client("a") as a, orgs.client("b") as b:
        await create_cases(a, 2)
        with orgs.state() as state:
            report = await SyncEngine(pair, a, b, state).run()

    assert report.counts.created == 2
    assert report.write_back_failures == 2
    assert "write-back failed for 2 Cases" in report.summary()
