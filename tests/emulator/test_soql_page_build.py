"""Query pages of plain fields: the faster builder must build the same records."""

from typing import Any

import pytest
from soql_dataset import open_org, record_id

from orgbridge.emulator.soql import SoqlEngine

PLAIN_FIELDS = "Id, Name, NumberOfEmployees, AnnualRevenue, IsDeleted, Industry"


@pytest.fixture(scope="module")
def engine() -> SoqlEngine:
    return open_org()[2]


def _records(engine: SoqlEngine, soql: str) -> list[dict[str, Any]]:
    page = engine.execute(soql, include_deleted=False, batch_size=200,
                          api_version="61.0", time_zone="UTC")  # fmt: skip
    return page.records


def test_plain_page_values_and_types(engine: SoqlEngine) -> None:
    soql = f"SELECT {PLAIN_FIELDS} FROM Account ORDER BY Name"

    acme, globex = _records(engine, soql)

    url = f"/services/data/v61.0/sobjects/Account/{record_id('account1')}"
    assert acme["attributes"] == {"type": "Account", "url": url}
    assert acme["Id"] == record_id("account1")
    assert acme["NumberOfEmployees"] == 100
    assert type(acme["NumberOfEmployees"]) is int
    assert acme["AnnualRevenue"] == 1500000.5
    assert globex["AnnualRevenue"] == 20.0
    assert type(globex["AnnualRevenue"]) is float
    assert acme["IsDeleted"] is False
    assert globex["NumberOfEmployees"] is None
    assert globex["Industry"] is None
    assert list(acme) == ["attributes", *PLAIN_FIELDS.split(", ")]


def test_plain_page_matches_general_path(engine: SoqlEngine) -> None:
    # A parent field sends the page through the general builder. Without the
    # parent's key, its records must equal the plain page's, key order included.
    plain = _records(engine, f"SELECT {PLAIN_FIELDS} FROM Account ORDER BY Name")
    general = _records(
        engine, f"SELECT {PLAIN_FIELDS}, Owner.Name FROM Account ORDER BY Name"
    )

    for record in general:
        del record["Owner"]
    assert [list(r.items()) for r in plain] == [list(r.items()) for r in general]


def test_plain_page_of_many_rows(engine: SoqlEngine) -> None:
    soql = "SELECT Id, Subject, IsEscalated FROM Case ORDER BY Id"

    records = _records(engine, soql)

    assert len(records) > 5
    assert all(type(r["IsEscalated"]) is bool for r in records)
    assert [r["Id"] for r in records] == sorted(r["Id"] for r in records)
    assert all(r["attributes"]["url"].endswith("/Case/" + r["Id"]) for r in records)
