"""A run that stops early never moves the cursor backwards, stored or reported.

The detection query re-reads ``lookback_seconds`` behind the cursor, so the first
batch of a run can end before the stored cursor when it contains a late commit (a
Case committed after a later one had been read). A run stopped right after that batch
must still report and store a cursor at or after the one it started from.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orgbridge.salesforce.limits import ApiUsage
from orgbridge.state import StateStore
from orgbridge.sync.detect import Batch
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.pair import PairConfig, parse_pair_config
from orgbridge.sync.report import BUDGET_STOPPED, STOPPED

from .fakes import FakeOrg


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path}/state.sqlite")


def make_pair(**table: Any) -> PairConfig:
    base = {"source": "a", "target": "b", "fields": ["Subject", "Status"]}
    return parse_pair_config("p", {**base, **table}, {"a", "b"})


def make_engine(
    pair: PairConfig, a: FakeOrg, b: FakeOrg, state: StateStore, **kw: Any
) -> SyncEngine:
    return SyncEngine(pair, a, b, state, **kw)  # type: ignore[arg-type]


async def sync_then_add_late_commit(a: FakeOrg, b: FakeOrg, state: StateStore) -> str:
    """Sync five Cases, then add a late commit before the cursor and two new Cases."""
    for index in range(5):
        a.add_case(Subject=f"on time {index}")
    await make_engine(make_pair(), a, b, state).run()

    late = a.add_case(created=a.now - timedelta(seconds=30), Subject="late")
    a.add_case(Subject="new 1")
    a.add_case(Subject="new 2")
    return late


async def test_stop_keeps_cursor(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    late = await sync_then_add_late_commit(a, b, state)
    cursor_before = state.cursor("p")
    assert cursor_before is not None

    pair = make_pair(batch_size=1, concurrency=1)
    engine = make_engine(pair, a, b, state)

    def stop_after_first_batch(_batch: Batch, _delivery: object) -> None:
        engine.request_stop()

    engine.before_commit = stop_after_first_batch
    report = await engine.run()

    # The run sent only the late commit, whose position is before the cursor.
    assert report.status == STOPPED
    assert report.counts.sent == 1
    assert late in {case["Source_Case_Id__c"] for case in b.cases.values()}
    assert report.cursor_from == cursor_before
    assert report.cursor_to == cursor_before
    assert state.cursor("p") == cursor_before
    (last_run, *_) = state.recent_runs("p")
    assert last_run.cursor_to == cursor_before


async def test_budget_stop_keeps_cursor(state: StateStore) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    await sync_then_add_late_commit(a, b, state)
    cursor_before = state.cursor("p")
    assert cursor_before is not None

    # The first upsert of the next run uses 91 of 100 calls, below the 10% reserve.
    b.calls_made = 90
    b.daily_max = 100
    b.api_usage = ApiUsage(b.calls_made, b.daily_max)
    pair = make_pair(batch_size=1, concurrency=1)
    report = await make_engine(pair, a, b, state).run()

    assert report.status == BUDGET_STOPPED
    assert report.counts.sent == 1
    assert report.cursor_to == cursor_before
    assert state.cursor("p") == cursor_before
    (last_run, *_) = state.recent_runs("p")
    assert last_run.cursor_to == cursor_before


async def test_later_stop_moves_cursor(
    state: StateStore,
) -> None:
    a, b = FakeOrg("A0"), FakeOrg("B0")
    await sync_then_add_late_commit(a, b, state)
    cursor_before = state.cursor("p")
    assert cursor_before is not None

    pair = make_pair(batch_size=1, concurrency=1)
    engine = make_engine(pair, a, b, state)
    batches: list[int] = []

    def stop_after_second_batch(batch: Batch, _delivery: object) -> None:
        batches.append(batch.number)
        if len(batches) == 2:
            engine.request_stop()

    engine.before_commit = stop_after_second_batch
    report = await engine.run()

    # The second batch contains "new 1", which is after the old cursor.
    assert report.status == STOPPED
    assert report.cursor_to is not None
    assert report.cursor_to > cursor_before
    assert state.cursor("p") == report.cursor_to
