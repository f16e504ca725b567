"""Query locators: page sizes, snapshot semantics, expiry and child subqueries."""

import sqlite3
from datetime import datetime, timedelta

import pytest
from soql_dataset import NOW, insert, open_org, record_id

from orgbridge.emulator.soql import QueryPage, SoqlEngine, SoqlError
from orgbridge.emulator.soql.engine import MAX_LOCATORS
from orgbridge.salesforce.ids import make_id

CASES = 450
QUERY = "SELECT Id, Subject FROM Case ORDER BY CreatedDate"


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _many_cases(db: sqlite3.Connection, count: int) -> list[str]:
    ids = []
    db.execute("BEGIN")
    for n in range(count):
        case_id = make_id("500", "B0", n + 1)
        stamp = f"2024-02-01T00:{n // 60:02d}:{n % 60:02d}.000+0000"
        insert(db, "Case", {"Id": case_id, "Subject": f"Case {n}", "IsDeleted": 0,
                            "CreatedDate": stamp, "SystemModstamp": stamp})  # fmt: skip
        ids.append(case_id)
    db.execute("COMMIT")
    return ids


@pytest.fixture
def org() -> tuple[sqlite3.Connection, SoqlEngine, list[str], Clock]:
    db, schema, _ = open_org(filled=False)
    clock = Clock()
    engine = SoqlEngine(db, schema, clock=clock)
    engine.initialize()
    return db, engine, _many_cases(db, CASES), clock


def _first(engine: SoqlEngine, soql: str = QUERY, batch_size: int = 200) -> QueryPage:
    return engine.execute(soql, include_deleted=False, batch_size=batch_size,
                          api_version="62.0", time_zone="UTC")  # fmt: skip


def _next(engine: SoqlEngine, locator: str | None) -> QueryPage:
    assert locator is not None
    return engine.next_page(locator, batch_size=200, api_version="62.0")


def test_pages_cover_result_once(org: tuple) -> None:
    _, engine, ids, _ = org

    first = _first(engine)
    second = _next(engine, first.next_locator)
    third = _next(engine, second.next_locator)

    got = [r["Id"] for page in (first, second, third) for r in page.records]
    assert got == ids
    assert [first.total_size, second.total_size, third.total_size] == [CASES] * 3
    assert [first.done, second.done, third.done] == [False, False, True]
    assert third.next_locator is None
    assert first.next_locator is not None
    assert first.next_locator.startswith("01g")
    assert first.next_locator.endswith("-200")
    assert len(first.next_locator.split("-")[0]) == 18


def test_batch_size_clamped(org: tuple) -> None:
    _, engine, _, _ = org

    assert len(_first(engine, batch_size=5).records) == 200
    assert len(_first(engine, batch_size=10_000).records) == CASES


def test_snapshot_ignores_new_and_deleted_rows(org: tuple) -> None:
    db, engine, ids, _ = org
    first = _first(engine)

    early = "2000-01-01T00:00:00.000+0000"
    late = {"Id": make_id("500", "C0", 1), "Subject": "late", "IsDeleted": 0}
    insert(db, "Case", {**late, "CreatedDate": early})
    db.execute('UPDATE "Case" SET "IsDeleted" = 1 WHERE "Id" = ?', (ids[0],))
    db.execute('UPDATE "Case" SET "Subject" = ? WHERE "Id" = ?', ("edited", ids[250]))
    second = _next(engine, first.next_locator)
    third = _next(engine, second.next_locator)

    rest = [r["Id"] for page in (second, third) for r in page.records]
    assert rest == ids[200:]
    assert second.records[50]["Subject"] == "edited"
    assert third.total_size == CASES


def test_locator_page_can_be_read_again(org: tuple) -> None:
    _, engine, _, _ = org
    first = _first(engine)

    again = _next(engine, first.next_locator)
    once_more = _next(engine, first.next_locator)

    assert again.records == once_more.records


def test_single_page_leaves_no_snapshot(org: tuple) -> None:
    db, engine, _, _ = org

    page = _first(engine, "SELECT Id FROM Case LIMIT 10")

    assert page.done
    assert db.execute("SELECT COUNT(*) FROM _query_locator_rows").fetchone()[0] == 0


@pytest.mark.parametrize("locator", ["01gA0000000XXXXAAA-200", "garbage", "x-y"])
def test_unknown_locator_rejected(org: tuple, locator: str) -> None:
    _, engine, _, _ = org

    with pytest.raises(SoqlError) as caught:
        engine.next_page(locator, batch_size=200, api_version="62.0")

    assert caught.value.error_code == "INVALID_QUERY_LOCATOR"


def test_locator_expires_when_idle(org: tuple) -> None:
    _, engine, _, clock = org
    first = _first(engine)

    clock.now = NOW + timedelta(minutes=16)

    with pytest.raises(SoqlError) as caught:
        _next(engine, first.next_locator)
    assert caught.value.error_code == "INVALID_QUERY_LOCATOR"


def test_oldest_locators_dropped_beyond_limit(org: tuple) -> None:
    db, engine, _, _ = org
    oldest = _first(engine)

    for _ in range(MAX_LOCATORS):
        _first(engine)

    with pytest.raises(SoqlError):
        _next(engine, oldest.next_locator)
    kept = db.execute("SELECT COUNT(*) FROM _query_locator").fetchone()[0]
    assert kept == MAX_LOCATORS
    rows = db.execute("SELECT COUNT(*) FROM _query_locator_rows").fetchone()[0]
    assert rows == MAX_LOCATORS * CASES


def test_offset_and_limit_with_paging(org: tuple) -> None:
    _, engine, ids, _ = org

    first = _first(engine, QUERY + " LIMIT 300 OFFSET 100")
    second = _next(engine, first.next_locator)

    assert first.total_size == 300
    assert [r["Id"] for r in first.records + second.records] == ids[100:400]


def test_child_subquery_per_page() -> None:
    _, _, engine = open_org()

    page = engine.execute(
        "SELECT Id, (SELECT CommentBody, IsPublished FROM CaseComments "
        "WHERE IsPublished = true ORDER BY CreatedDate DESC LIMIT 1) "
        "FROM Case WHERE Id IN ('{}', '{}', '{}') ORDER BY CreatedDate".format(
            record_id("case1"), record_id("case2"), record_id("case3")
        ),
        include_deleted=False, batch_size=200, api_version="62.0", time_zone="UTC",
    )  # fmt: skip

    by_id = {r["Id"]: r["CaseComments"] for r in page.records}
    case1 = by_id[record_id("case1")]
    assert case1["totalSize"] == 1
    assert case1["done"] is True
    assert case1["records"][0]["CommentBody"] == "First"
    assert case1["records"][0]["IsPublished"] is True
    assert by_id[record_id("case2")]["records"][0]["CommentBody"] == "Only"
    assert by_id[record_id("case3")] is None


def test_query_all_child_rows_include_deleted() -> None:
    _, _, engine = open_org()
    soql = "SELECT Id, (SELECT Id FROM CaseComments) FROM Case WHERE Id = '{}'".format(
        record_id("case1")
    )

    live = engine.execute(soql, include_deleted=False, batch_size=200,
                          api_version="62.0", time_zone="UTC")  # fmt: skip
    every = engine.execute(soql, include_deleted=True, batch_size=200,
                           api_version="62.0", time_zone="UTC")  # fmt: skip

    assert live.records[0]["CaseComments"]["totalSize"] == 3
    assert every.records[0]["CaseComments"]["totalSize"] == 4


def test_initialize_is_idempotent(org: tuple) -> None:
    _, engine, _, _ = org
    first = _first(engine)

    engine.initialize()

    assert _next(engine, first.next_locator).records
