"""Record Ids and CaseNumbers: consecutive, rolled back with the writes, persistent.

The store reads a sequence once per transaction and writes it back at the commit,
so these tests check what a client gets: the numbers of the records it creates.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, UserConfig
from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.runtime import connect
from orgbridge.emulator.schema import build_org_schema
from orgbridge.emulator.store import RecordStore
from orgbridge.salesforce.ids import make_id, to_18

USER_ID = to_18("005A00000000001")
CONFIG = OrgConfig(
    users=(UserConfig(username="admin@example.com", user_id=USER_ID),),
    custom_fields=(
        CustomFieldConfig(
            sobject="Case",
            name="Source_Case_Id__c",
            length=18,
            external_id=True,
            unique=True,
            case_sensitive=True,
        ),
        CustomFieldConfig(sobject="Case", name="Serial__c", length=20, unique=True),
    ),
)
START = CONFIG.case_number_start


def _open(path: Path | None) -> RecordStore:
    clock = lambda: datetime(2024, 1, 1, 10, tzinfo=UTC)  # noqa: E731
    store = RecordStore(connect(path), build_org_schema(CONFIG), CONFIG, clock=clock)
    store.initialize()
    return store


@pytest.fixture
def store() -> Iterator[RecordStore]:
    record_store = _open(None)
    yield record_store
    record_store._db.close()


def _case(store: RecordStore, **fields: object) -> str:
    return store.create("Case", {"Subject": "Printer", **fields}, user_id=USER_ID)


def _case_number(store: RecordStore, record_id: str) -> int:
    return int(store.retrieve("Case", record_id, ["CaseNumber"])["CaseNumber"])


def test_numbers_consecutive(store: RecordStore) -> None:
    first, second = _case(store), _case(store)

    assert first == make_id("500", CONFIG.pod, 1)
    assert second == make_id("500", CONFIG.pod, 2)
    assert _case_number(store, first) == START
    assert _case_number(store, second) == START + 1


def test_failed_savepoint_returns_numbers(store: RecordStore) -> None:
    with store.transaction():
        first = _case(store, Serial__c="SN-1")
        with pytest.raises(RecordError), store.transaction():
            _case(store)
            # Fails on the unique check, after taking its CaseNumber.
            _case(store, Serial__c="sn-1")
        after = _case(store)

    assert after == make_id("500", CONFIG.pod, 2)
    assert _case_number(store, first) == START
    assert _case_number(store, after) == START + 1


def test_failed_transaction_returns_numbers(store: RecordStore) -> None:
    with pytest.raises(RecordError), store.transaction():
        _case(store, Serial__c="SN-1")
        _case(store, Serial__c="sn-1")

    record_id = _case(store)

    assert record_id == make_id("500", CONFIG.pod, 1)
    assert _case_number(store, record_id) == START


def test_failed_comment_rolls_back_case(store: RecordStore) -> None:
    with pytest.raises(RecordError) as caught:
        _case(store, Comments="x" * 4001)

    assert caught.value.error_code == "STRING_TOO_LONG"
    assert store.count("Case") == 0
    assert store.count("CaseComment") == 0
    assert _case_number(store, _case(store)) == START


def test_numbers_continue_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite"
    first = _open(path)
    with first.transaction():
        _case(first)
        _case(first, Comments="Called back")
    first._db.close()

    second = _open(path)
    record_id = _case(second)
    comment_id = _case(second, Comments="Again")
    second._db.close()

    assert record_id == make_id("500", CONFIG.pod, 3)
    assert comment_id == make_id("500", CONFIG.pod, 4)


def test_upsert_create_checks_other_unique(store: RecordStore) -> None:
    _case(store, Serial__c="SN-1")

    with pytest.raises(RecordError) as caught:
        store.upsert(
            "Case", "Source_Case_Id__c", "S-2", {"Serial__c": "sn-1"}, user_id=USER_ID
        )

    assert caught.value.error_code == "DUPLICATE_VALUE"
    assert caught.value.fields == ["Serial__c"]
    assert store.count("Case") == 1


def test_upsert_creates_once_per_value(store: RecordStore) -> None:
    created = store.upsert("Case", "Source_Case_Id__c", "S-1", {}, user_id=USER_ID)
    again = store.upsert(
        "Case", "Source_Case_Id__c", "S-1", {"Subject": "New"}, user_id=USER_ID
    )
    other_case = store.upsert("Case", "Source_Case_Id__c", "s-1", {}, user_id=USER_ID)

    assert created.created
    assert not again.created
    assert again.id == created.id
    assert other_case.created
    assert store.count("Case") == 2
