"""Record shapes: attributes, relationships, types, and error positions."""

from datetime import UTC, datetime
from typing import Any

import pytest
from soql_dataset import open_org, record_id

from orgbridge.emulator.soql import SoqlEngine, SoqlError
from orgbridge.emulator.soql.dates import date_range, user_time_zone


@pytest.fixture(scope="module")
def engine() -> SoqlEngine:
    return open_org()[2]


def _records(engine: SoqlEngine, soql: str, version: str = "62.0") -> list[Any]:
    page = engine.execute(soql, include_deleted=False, batch_size=200,
                          api_version=version, time_zone="UTC")  # fmt: skip
    return page.records


def test_record_shape_with_parents(engine: SoqlEngine) -> None:
    soql = (
        "SELECT Id, Subject, IsEscalated, CreatedDate, Account.Name, "
        "Account.Owner.Name, Account.Parent.Name, Owner.Name, Owner.Id, "
        f"CreatedBy.Name, Priority FROM Case WHERE Id = '{record_id('case1')}'"
    )

    (record,) = _records(engine, soql, version="59.0")

    case_id = record_id("case1")
    account_url = f"/services/data/v59.0/sobjects/Account/{record_id('account1')}"
    assert record == {
        "attributes": {"type": "Case",
                       "url": f"/services/data/v59.0/sobjects/Case/{case_id}"},
        "Id": case_id,
        "Subject": "Printer on fire",
        "IsEscalated": True,
        "CreatedDate": "2024-03-10T05:00:00.000+0000",
        "Account": {
            "attributes": {"type": "Account", "url": account_url},
            "Name": "Acme",
            "Owner": {
                "attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/"
                               f"User/{record_id('user1')}"},
                "Name": "Ada Admin",
            },
            "Parent": None,
        },
        "Owner": {
            "attributes": {"type": "Name", "url": "/services/data/v59.0/sobjects/"
                           f"User/{record_id('user1')}"},
            "Name": "Ada Admin",
            "Id": record_id("user1"),
        },
        "CreatedBy": {
            "attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/"
                           f"User/{record_id('user1')}"},
            "Name": "Ada Admin",
        },
        "Priority": "High",
    }  # fmt: skip


def test_queue_owner_and_empty_lookup(engine: SoqlEngine) -> None:
    soql = (
        "SELECT Owner.Name, Owner.Type, Account.Name FROM Case "
        f"WHERE Id IN ('{record_id('case2')}', '{record_id('case5')}') "
        "ORDER BY CreatedDate"
    )

    queued, unassigned = _records(engine, soql)

    assert queued["Owner"]["attributes"]["url"].endswith(f"Group/{record_id('queue1')}")
    assert queued["Owner"]["Name"] == "Tier 2"
    assert queued["Owner"]["Type"] == "Queue"
    assert unassigned["Account"] is None
    assert unassigned["Owner"]["Type"] == "User"


def test_numbers_and_nulls(engine: SoqlEngine) -> None:
    soql = "SELECT Name, NumberOfEmployees, AnnualRevenue FROM Account ORDER BY Name"

    acme, globex = _records(engine, soql)

    assert acme["NumberOfEmployees"] == 100
    assert isinstance(acme["NumberOfEmployees"], int)
    assert acme["AnnualRevenue"] == 1500000.5
    assert globex["NumberOfEmployees"] is None


def test_field_names_in_describe_case(engine: SoqlEngine) -> None:
    (record,) = _records(engine, "select subject, account.name from case "
                         f"where id = '{record_id('case1')}'")  # fmt: skip

    assert list(record) == ["attributes", "Subject", "Account"]
    assert record["Account"]["Name"] == "Acme"


def test_error_column_points_at_field(engine: SoqlEngine) -> None:
    with pytest.raises(SoqlError) as caught:
        _records(engine, "SELECT Id,\n  Nope FROM Case")

    assert caught.value.message.startswith("\n  Nope FROM Case\n  ^\n")
    assert "ERROR at Row:2:Column:3\n" in caught.value.message


def test_unknown_time_zone_rejected(engine: SoqlEngine) -> None:
    with pytest.raises(ValueError, match="time zone"):
        engine.execute("SELECT Id FROM Case", include_deleted=False, batch_size=200,
                       api_version="62.0", time_zone="Mars/Olympus")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "amount", "zone", "expected"),
    [
        ("TODAY", None, "America/Los_Angeles", ("2024-03-09", "2024-03-10")),
        ("TODAY", None, "Asia/Tokyo", ("2024-03-10", "2024-03-11")),
        ("TOMORROW", None, "America/Los_Angeles", ("2024-03-10", "2024-03-11")),
        ("LAST_N_DAYS", 7, "UTC", ("2024-03-03", "2024-03-11")),
        ("NEXT_N_DAYS", 2, "UTC", ("2024-03-11", "2024-03-13")),
        ("THIS_WEEK", None, "UTC", ("2024-03-10", "2024-03-17")),
        ("LAST_MONTH", None, "UTC", ("2024-02-01", "2024-03-01")),
        ("NEXT_QUARTER", None, "UTC", ("2024-04-01", "2024-07-01")),
        ("LAST_N_QUARTERS", 2, "UTC", ("2023-07-01", "2024-01-01")),
        ("NEXT_N_MONTHS", 10, "UTC", ("2024-04-01", "2025-02-01")),
        ("N_YEARS_AGO", 1, "UTC", ("2023-01-01", "2024-01-01")),
    ],
)
def test_date_range(
    name: str, amount: int | None, zone: str, expected: tuple[str, str]
) -> None:
    now = datetime(2024, 3, 10, 6, 30, tzinfo=UTC)

    start, end = date_range(name, amount, now, user_time_zone(zone))

    assert (start.isoformat(), end.isoformat()) == expected


def test_tomorrow_spans_daylight_saving_change(engine: SoqlEngine) -> None:
    # 2024-03-10 has 23 hours in Los Angeles: 08:00Z to 07:00Z next day.
    page = engine.execute(
        "SELECT Id FROM Case WHERE CreatedDate = TOMORROW ORDER BY CreatedDate",
        include_deleted=False, batch_size=200, api_version="62.0",
        time_zone="America/Los_Angeles",
    )  # fmt: skip

    assert [r["Id"] for r in page.records] == [record_id("case5"), record_id("case6")]
