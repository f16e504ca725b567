"""Run the query-vector corpus against a SQLite org filled by plain SQL."""

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from soql_dataset import open_org, record_id
from soql_vectors import REJECTED, SUPPORTED

from orgbridge.emulator.soql import QueryPage, SoqlEngine, SoqlError
from orgbridge.salesforce.ids import to_15

_PLACEHOLDER = re.compile(r"\{((?:case|account|contact|user|queue|comment)\d+)(:15)?\}")


@pytest.fixture(scope="module")
def engine() -> Iterator[SoqlEngine]:
    db, _, soql_engine = open_org()
    yield soql_engine
    db.close()


def _expand(query: str) -> str:
    def replace(match: re.Match[str]) -> str:
        full = record_id(match[1])
        return to_15(full) if match[2] else full

    return _PLACEHOLDER.sub(replace, query)


def _run(engine: SoqlEngine, vector: dict[str, Any]) -> QueryPage:
    return engine.execute(
        _expand(vector["q"]),
        include_deleted=vector.get("all", False),
        batch_size=2000,
        api_version="62.0",
        time_zone=vector.get("zone", "America/Los_Angeles"),
    )


def test_corpus_size() -> None:
    assert len(SUPPORTED) + len(REJECTED) >= 80


@pytest.mark.parametrize("vector", SUPPORTED, ids=lambda v: v["q"][:70])
def test_supported_query(engine: SoqlEngine, vector: dict[str, Any]) -> None:
    page = _run(engine, vector)

    assert page.done
    assert page.next_locator is None
    if "count" in vector:
        assert page.total_size == vector["count"]
        assert page.records == []
    elif "aggregate" in vector:
        assert page.total_size == 1
        assert page.records == [
            {"attributes": {"type": "AggregateResult"}, **vector["aggregate"]}
        ]
    else:
        got = [record["Id"] for record in page.records]
        expected = [record_id(label) for label in vector["ids"]]
        if "ORDER BY" in vector["q"].upper():
            assert got == expected
        else:
            assert sorted(got) == sorted(expected)
        assert page.total_size == len(expected)


@pytest.mark.parametrize("vector", REJECTED, ids=lambda v: v["q"][:70])
def test_rejected_query(engine: SoqlEngine, vector: dict[str, Any]) -> None:
    code, message = vector["error"]

    with pytest.raises(SoqlError) as caught:
        _run(engine, vector)

    assert caught.value.error_code == code
    assert message in caught.value.message


def test_rejected_query_writes_no_locator(engine: SoqlEngine) -> None:
    db: sqlite3.Connection = engine._db  # the engine's own connection
    before = db.execute("SELECT COUNT(*) FROM _query_locator").fetchone()[0]

    with pytest.raises(SoqlError):
        _run(engine, {"q": "SELECT Id FROM Case WHERE Nope = 1"})

    after = db.execute("SELECT COUNT(*) FROM _query_locator").fetchone()[0]
    assert after == before
