"""SyncEngine against an in-process fake client: ordering, lookback, crashes."""

import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orgbridge.cli.sync import StopRequest
from orgbridge.salesforce.datetimes import soql_literal
from orgbridge.salesforce.limits import ApiUsage
from orgbridge.state import CursorPosition, StateStore
from orgbridge.sync.detect import Batch, detection_soql
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.map import Mapper
from orgbridge.sync.pair import PairConfig, parse_pair_config
from orgbridge.sync.report import EXIT_BUDGET

from .fakes import FakeOrg


def make_pair(**table: Any) -> PairConfig:
    base = {"source": "a", "target": "b", "fields": ["Subject", "Status"]}
    return parse_pair_config("p", {**base, **table}, {"a", "b"})


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path}/state.sqlite")


def engine(
    pair: PairConfig, a: FakeOrg, b: FakeOrg, state: StateStore, **kw: Any
) -> SyncEngine:
    return SyncEngine(pair, a, b, state, **kw)  # type: ignore[arg-type]


def copies_by_source(b: FakeOrg) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in b.cases.values():
        key = case["Source_Case_Id__c"]
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_detection_soql_floors_lookback_bound() -> None:
    pair = make_pair(lookback_seconds=300)
    cursor = CursorPosition("2024-05-01T10:00:00.750+0000", "500A0000000001AAAA")
    soql = detection_soql(pair, Mapper(pair), cursor)

    assert soql == (
        "SELECT Id, CreatedDate, SystemModstamp, Subject, Status FROM Case "
        "WHERE CreatedDate >= 2024-05-01T09:55:00Z ORDER BY CreatedDate ASC, Id ASC"
    )


def test_detection_soql_first_run_reads_all() -> None:
    pair = make_pair(mode="changes")
    soql = detection_soql(pair, Mapper(pair), None)
    assert "WHERE" not in soql
    assert soql.endswith("ORDER BY SystemModstamp ASC, Id ASC")


async def test_shared_timestamp_pages_then_nothing(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    same = a.now
    ids = [a.add_case(created=same, Subject=f"s{i}") for i in range(450)]
    pair = make_pair(query_batch_size=200, batch_size=64)

    first = await engine(pair, a, b, state).run()
    upserts = b.upsert_calls
    second = await engine(pair, a, b, state).run()

    assert copies_by_source(b) == {source_id: 1 for source_id in ids}
    assert first.counts.created == 450
    assert upserts == 8
    assert second.counts.sent == 0
    assert b.upsert_calls == upserts


async def test_late_commit_inside_lookback_is_sent(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    a.add_case(Subject="one")
    a.add_case(Subject="two")
    await engine(make_pair(), a, b, state).run()

    late = a.add_case(created=a.now - timedelta(seconds=60), Subject="late")
    report = await engine(make_pair(), a, b, state).run()

    assert report.counts.sent == 1
    assert late in copies_by_source(b)


async def test_commits_in_order_with_concurrency(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    for index in range(1000):
        a.add_case(Subject=f"s{index}")
    committed: list[int] = []

    def record(batch: Batch, _delivery: object) -> None:
        committed.append(batch.number)

    pair = make_pair(batch_size=50, concurrency=4)
    report = await engine(pair, a, b, state, before_commit=record).run()

    assert committed == list(range(1, 21))
    assert report.counts.created == 1000
    # 1 page in A and 20 upserts in B: the budget guard reads the usage that
    # every response reports and spends no call of its own.
    assert report.counts.source_api_calls == 1
    assert report.counts.target_api_calls == 20


async def test_next_page_read_during_upserts(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    for index in range(600):
        a.add_case(Subject=f"s{index}")
    pages_at_commit: list[int] = []

    def record(_batch: Batch, _delivery: object) -> None:
        pages_at_commit.append(a.calls_made)

    pair = make_pair(query_batch_size=200, batch_size=50, concurrency=4)
    report = await engine(pair, a, b, state, before_commit=record).run()

    # Page 1 contains batches 1 to 4. When batch 1 commits, page 2 is already read.
    assert pages_at_commit[0] == 2
    assert report.counts.created == 600
    assert report.counts.source_api_calls == 3


async def test_stop_discards_page_read_ahead(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    ids = [a.add_case(Subject=f"s{index}") for index in range(600)]
    pair = make_pair(query_batch_size=200, batch_size=200, concurrency=1)
    holder: list[SyncEngine] = []

    def stop(_batch: Batch, _delivery: object) -> None:
        holder[0].request_stop()

    first = engine(pair, a, b, state, before_commit=stop)
    holder.append(first)
    report = await first.run()

    # Batch 1 is page 1. The page read ahead (page 2) is one call not used.
    assert report.counts.sent == 200
    assert report.counts.source_api_calls == 2
    cursor = state.cursor("p")
    assert cursor is not None
    assert cursor.record_id == ids[199]

    rerun = await engine(pair, a, b, state).run()
    assert rerun.counts.created == 400
    assert copies_by_source(b) == {source_id: 1 for source_id in ids}


async def test_failed_page_read_ahead_keeps_cursor(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    ids = [a.add_case(Subject=f"s{index}") for index in range(600)]
    a.query_error = (2, RuntimeError("page 2 failed"))
    pair = make_pair(query_batch_size=200, batch_size=100, concurrency=2)

    with pytest.raises(RuntimeError, match="page 2 failed"):
        await engine(pair, a, b, state).run()

    # Both batches of page 1 were delivered and stored before the error surfaced.
    cursor = state.cursor("p")
    assert cursor is not None
    assert cursor.record_id == ids[199]

    a.query_error = None
    rerun = await engine(pair, a, b, state).run()
    assert rerun.counts.created == 400
    assert copies_by_source(b) == {source_id: 1 for source_id in ids}


async def test_crash_keeps_cursor_at_last_stored_batch(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    ids = [a.add_case(Subject=f"s{index}") for index in range(300)]

    def crash(batch: Batch, _delivery: object) -> None:
        if batch.number == 2:
            raise RuntimeError("simulated crash")

    pair = make_pair(batch_size=100, concurrency=3)
    with pytest.raises(RuntimeError):
        await engine(pair, a, b, state, before_commit=crash).run()

    cursor = state.cursor("p")
    assert cursor is not None
    assert cursor.record_id == ids[99]

    rerun = await engine(pair, a, b, state).run()
    assert copies_by_source(b) == {source_id: 1 for source_id in ids}
    assert rerun.counts.sent == 200


async def test_rejected_value_and_mapping_error_dead_letter(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    b.rejected_statuses = {"Escalated"}
    a.add_case(Subject="ok")
    bad = a.add_case(Subject="bad", Status="Escalated")
    pair = make_pair()

    report = await engine(pair, a, b, state).run()
    letters = state.dead_letters("p")

    assert report.counts.dead_lettered == 1
    assert report.exit_code == 1
    assert [(d.source_id, d.error_code) for d in letters] == [
        (bad, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    ]

    typed = make_pair(constants={"IsEscalated": "yes"})
    calls = b.upsert_calls
    a.add_case(Subject="third")
    local = await engine(typed, a, b, state).run()
    assert local.counts.dead_lettered == 1
    assert b.upsert_calls == calls
    assert state.dead_letters("p")[-1].error_code == "MAPPING_ERROR"


async def test_budget_guard_stops_before_sending(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0", daily_max=100)
    a.add_case(Subject="x")
    b.calls_made = 95
    b.api_usage = ApiUsage(95, 100)  # reported by an earlier response (watch)

    report = await engine(make_pair(), a, b, state).run()

    assert report.exit_code == EXIT_BUDGET
    assert "org 'b'" in (report.error or "")
    assert b.upsert_calls == 0


async def test_budget_guard_learns_target_usage_from_first_upsert(
    state: StateStore,
) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0", daily_max=10)
    ids = [a.add_case(Subject=f"s{index}") for index in range(5)]
    b.calls_made = 9

    pair = make_pair(batch_size=1, concurrency=1)
    report = await engine(pair, a, b, state).run()

    # The first upsert goes out unchecked and reports 10 of 10 calls used, which is
    # below the 10% reserve: the run stops there and the next run resumes after it.
    assert report.exit_code == EXIT_BUDGET
    assert b.upsert_calls == 1
    assert copies_by_source(b) == {ids[0]: 1}
    cursor = state.cursor("p")
    assert cursor is not None and cursor.record_id == ids[0]


async def test_dry_run_keeps_state(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    a.add_case(Subject="x")
    seen: list[str] = []

    report = await engine(
        make_pair(), a, b, state, dry_run_sink=lambda r: seen.append(r.source_id)
    ).run(dry_run=True)

    assert report.counts.sent == 1
    assert len(seen) == 1
    assert b.upsert_calls == 0
    assert state.cursor("p") is None
    assert soql_literal(a.now)  # the fake's clock is aware


async def test_stop_request_reaches_late_engine(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    for index in range(400):
        a.add_case(Subject=f"s{index}")
    stop = StopRequest()
    stop.request(signal.SIGTERM)

    late = engine(make_pair(batch_size=200, concurrency=1), a, b, state)
    stop.add(late)
    report = await late.run()

    # The signal came before the engine existed: it still stops after one batch.
    assert report.counts.sent == 200
    assert stop.engines == [late]
