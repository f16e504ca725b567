"""The sync engine end to end on two emulated orgs."""

from collections import Counter

import pytest

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.state import FailedRecord, PairLockedError
from orgbridge.sync.deliver import Delivery
from orgbridge.sync.detect import Batch
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.report import EXIT_BUDGET, EXIT_DEAD_LETTERS, EXIT_OK
from orgbridge.sync.retry import retry_dead_letters

from .conftest import Orgs, create_cases, target_cases

Clients = tuple[SalesforceClient, SalesforceClient]


class SimulatedCrash(Exception):
    """Raised from the before-commit hook to stop a run mid-batch."""


async def test_cases_arrive_once_and_rerun_sends_nothing(
    orgs: Orgs, clients: Clients
) -> None:
    a, b = clients
    source_ids = await create_cases(a, 30)

    with orgs.state() as state:
        first = await SyncEngine(orgs.pair(), a, b, state).run()
        second = await SyncEngine(orgs.pair(), a, b, state).run()

    landed = await target_cases(b)
    assert sorted(row["Source_Case_Id__c"] for row in landed) == sorted(source_ids)
    assert first.counts.created == 30
    assert first.exit_code == EXIT_OK
    assert second.counts.sent == 0
    assert second.counts.read == 30
    assert second.counts.skipped == 30
    # The target client already knows its usage from the first run: no call.
    assert second.counts.target_api_calls == 0
    assert second.counts.source_api_calls == 1


async def test_shared_modstamp_across_page_boundary(
    orgs: Orgs, clients: Clients
) -> None:
    a, b = clients
    orgs.clock.frozen = True
    source_ids = await create_cases(a, 450)
    orgs.clock.frozen = False
    pair = orgs.pair(query_batch_size=200, batch_size=50)

    with orgs.state() as state:
        report = await SyncEngine(pair, a, b, state).run()
        cursor = state.cursor("a_to_b")

    landed = {row["Source_Case_Id__c"] for row in await target_cases(b)}
    assert landed == set(source_ids)
    assert report.counts.sent == 450
    assert cursor is not None
    assert cursor.record_id == max(source_ids)


async def test_more_than_2000_cases_page_through(orgs: Orgs, clients: Clients) -> None:
    a, b = clients
    await create_cases(a, 2300)
    calls_before = (a.calls_made, b.calls_made)

    with orgs.state() as state:
        report = await SyncEngine(orgs.pair(), a, b, state).run()

    assert report.counts.created == 2300
    assert len(await target_cases(b)) == 2300
    # Two query pages in A; 12 upsert chunks in B.
    assert a.calls_made - calls_before[0] == 2
    assert report.counts.source_api_calls == 2
    assert report.counts.target_api_calls == 12


async def test_rejected_picklist_dead_letters_then_retry(
    orgs: Orgs, clients: Clients
) -> None:
    a, b = clients
    await create_cases(a, 5)
    (escalated,) = await create_cases(a, 1, Status="Escalated")

    with orgs.state() as state:
        report = await SyncEngine(orgs.pair(), a, b, state).run()
        letters = state.dead_letters("a_to_b")

        assert report.counts.created == 5
        assert report.counts.dead_lettered == 1
        assert report.exit_code == EXIT_DEAD_LETTERS
        assert [letter.source_id for letter in letters] == [escalated]
        assert letters[0].error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        assert letters[0].fields == ["Status"]
        assert letters[0].payload is not None
        assert letters[0].payload["Status"] == "Escalated"

        rerun = await SyncEngine(orgs.pair(), a, b, state).run()
        assert rerun.counts.sent == 0

        fixed = orgs.pair(value_maps={"Status": {"Escalated": "Working"}})
        retried = await retry_dead_letters(fixed, a, b, state)
        assert retried.resolved == 1
        assert state.dead_letters("a_to_b") == []

    landed = {row["Source_Case_Id__c"]: row for row in await target_cases(b)}
    assert landed[escalated]["Status"] == "Working"
    assert len(landed) == 6


async def test_changes_mode_sends_updates(orgs: Orgs, clients: Clients) -> None:
    a, b = clients
    ids = await create_cases(a, 3)
    pair = orgs.pair(mode="changes")

    with orgs.state() as state:
        await SyncEngine(pair, a, b, state).run()
        await a.update("Case", ids[1], {"Subject": "Changed"})
        report = await SyncEngine(pair, a, b, state).run()

    assert report.counts.updated == 1
    assert report.counts.created == 0
    subjects = {
        row["Source_Case_Id__c"]: row["Subject"] for row in await target_cases(b)
    }
    assert subjects[ids[1]] == "Changed"
    assert subjects[ids[0]] == "Case 0"


async def test_crash_before_commit_then_rerun_keeps_one_copy(
    orgs: Orgs, clients: Clients
) -> None:
    a, b = clients
    source_ids = await create_cases(a, 500)
    pair = orgs.pair(batch_size=100, concurrency=2)

    def crash_on_third_batch(batch: Batch, _delivery: Delivery) -> None:
        if batch.number == 3:
            raise SimulatedCrash

    with orgs.state() as state:
        engine = SyncEngine(pair, a, b, state, before_commit=crash_on_third_batch)
        with pytest.raises(SimulatedCrash):
            await engine.run()
        cursor = state.cursor("a_to_b")
        assert cursor is not None
        assert cursor.record_id == source_ids[199]

        rerun = await SyncEngine(pair, a, b, state).run()
        (crashed, _) = state.recent_runs("a_to_b", limit=2)[::-1]
        assert crashed.status == "failed"

    copies = Counter(row["Source_Case_Id__c"] for row in await target_cases(b))
    assert set(copies) == set(source_ids)
    assert set(copies.values()) == {1}
    # Batch 3 reached B before the crash; the rerun updates it, never duplicates.
    assert rerun.counts.created + rerun.counts.updated == 300
    assert rerun.counts.updated >= 100


async def test_dry_run_sends_nothing(orgs: Orgs, clients: Clients) -> None:
    a, b = clients
    await create_cases(a, 10)
    seen: list[str] = []

    with orgs.state() as state:
        engine = SyncEngine(
            orgs.pair(), a, b, state, dry_run_sink=lambda r: seen.append(r.source_id)
        )
        report = await engine.run(dry_run=True)
        assert state.cursor("a_to_b") is None
        assert state.recent_runs("a_to_b") == []

    assert len(seen) == 10
    assert report.counts.sent == 10
    assert report.counts.target_api_calls == 0
    assert await target_cases(b) == []


async def test_budget_guard_stops_run(orgs_factory: object) -> None:
    orgs = orgs_factory(daily_api_limit=100)  # type: ignore[operator]
    async with orgs.client("a") as a, orgs.client("b") as b:
        await create_cases(a, 10)
        pair = orgs.pair(min_api_share=0.985)

        with orgs.state() as state:
            report = await SyncEngine(pair, a, b, state).run()
            (run,) = state.recent_runs("a_to_b")

        assert report.exit_code == EXIT_BUDGET
        assert "org 'a'" in (report.error or "")
        assert "min_api_share" in (report.error or "")
        assert run.status == "budget_stopped"
        assert await target_cases(b) == []


@pytest.mark.parametrize("mode", ["created", "changes"])
async def test_only_transient_dead_letters_resent(
    orgs: Orgs, clients: Clients, mode: str
) -> None:
    a, b = clients
    locked, rejected, discarded = await create_cases(a, 3)
    modstamps = {
        row["Id"]: row["SystemModstamp"]
        async for row in a.query_records("SELECT Id, SystemModstamp FROM Case")
    }

    def failure(source_id: str, code: str) -> FailedRecord:
        return FailedRecord(source_id, modstamps[source_id], code, "failed", [], None)

    with orgs.state() as state:
        state.ensure_pair("a_to_b", "a", "b", "Case")
        state.record_batch(
            "a_to_b",
            [],
            [
                failure(locked, "UNABLE_TO_LOCK_ROW"),
                failure(rejected, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
                failure(discarded, "STRING_TOO_LONG"),
            ],
            None,
        )
        state.set_dead_letter_status("a_to_b", [discarded], "discarded")

        report = await SyncEngine(orgs.pair(mode=mode), a, b, state).run()
        still_open = [letter.source_id for letter in state.dead_letters("a_to_b")]
        resolved = state.dead_letters("a_to_b", status="resolved")

    landed = [row["Source_Case_Id__c"] for row in await target_cases(b)]
    assert landed == [locked]
    assert report.counts.sent == 1
    assert report.exit_code == EXIT_OK
    assert still_open == [rejected]
    assert [letter.source_id for letter in resolved] == [locked]


async def test_second_run_of_pair_is_locked(orgs: Orgs, clients: Clients) -> None:
    a, b = clients
    with orgs.state() as state:
        state.ensure_pair("a_to_b", "a", "b", "Case")
        state.acquire_lease("a_to_b", "otherhost:1:other")
        with pytest.raises(PairLockedError):
            await SyncEngine(orgs.pair(), a, b, state).run()
