"""External ID and unique lookups: matched as Salesforce does, through an index."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, UserConfig
from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.integrity import live_condition, match_condition
from orgbridge.emulator.runtime import connect
from orgbridge.emulator.schema import build_org_schema
from orgbridge.emulator.store import RecordStore
from orgbridge.salesforce.ids import to_18

USER_ID = to_18("005A00000000001")
CONFIG = OrgConfig(
    users=(UserConfig(username="admin@example.com", user_id=USER_ID),),
    custom_fields=(
        CustomFieldConfig(sobject="Case", name="Ext__c", external_id=True, unique=True),
        CustomFieldConfig(
            sobject="Case", name="Exact__c", external_id=True, case_sensitive=True
        ),
        CustomFieldConfig(sobject="Account", name="Code__c", unique=True),
    ),
)


@pytest.fixture
def store() -> Iterator[RecordStore]:
    clock = lambda: datetime(2024, 1, 1, 10, tzinfo=UTC)  # noqa: E731
    db = connect(None)
    record_store = RecordStore(db, build_org_schema(CONFIG), CONFIG, clock=clock)
    record_store.initialize()
    yield record_store
    db.close()


@pytest.mark.parametrize(
    ("sobject", "field", "index"),
    [
        ("Case", "Ext__c", "ix_Case_Ext__c_nocase"),
        ("Case", "Exact__c", "ix_Case_Exact__c"),
        ("Account", "Code__c", "ix_Account_Code__c_nocase"),
    ],
)
def test_lookup_uses_index(
    store: RecordStore, sobject: str, field: str, index: str
) -> None:
    schema = store._schema.sobjects[sobject]
    lookup = (
        f'SELECT "Id" FROM {schema.table} WHERE '
        f"{match_condition(schema.fields[field])} AND {live_condition(schema)}"
    )

    plan = " ".join(
        str(row[3]) for row in store._db.execute("EXPLAIN QUERY PLAN " + lookup, ("x",))
    )

    assert f"USING INDEX {index} " in plan
    assert "SCAN" not in plan


def test_initialize_twice(store: RecordStore) -> None:
    store.initialize()

    names = {
        str(row[0])
        for row in store._db.execute(
            "SELECT name FROM sqlite_master WHERE type='index'"
        )
    }
    assert "ix_Case_Ext__c_nocase" in names
    assert "ix_Case_Exact__c_nocase" not in names


def test_upsert_matches_without_case(store: RecordStore) -> None:
    created = store.upsert("Case", "Ext__c", "abc-1", {}, user_id=USER_ID)
    matched = store.upsert("Case", "Ext__c", "ABC-1", {}, user_id=USER_ID)

    assert created.created
    assert not matched.created
    assert matched.id == created.id


def test_upsert_matches_exact_case(store: RecordStore) -> None:
    created = store.upsert("Case", "Exact__c", "abc-1", {}, user_id=USER_ID)
    other = store.upsert("Case", "Exact__c", "ABC-1", {}, user_id=USER_ID)

    assert created.created
    assert other.created
    assert other.id != created.id


def test_unique_clash_without_case(store: RecordStore) -> None:
    store.create("Account", {"Name": "Acme", "Code__c": "ac-1"}, user_id=USER_ID)

    with pytest.raises(RecordError) as caught:
        store.create("Account", {"Name": "Acme 2", "Code__c": "AC-1"}, user_id=USER_ID)

    assert caught.value.error_code == "DUPLICATE_VALUE"
    assert caught.value.fields == ["Code__c"]
