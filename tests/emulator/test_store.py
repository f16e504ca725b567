"""RecordStore on a real in-memory SQLite database, without HTTP."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orgbridge.emulator.config import (
    CustomFieldConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.errors import MultipleMatchesError, RecordError
from orgbridge.emulator.runtime import connect
from orgbridge.emulator.schema import build_org_schema
from orgbridge.emulator.store import RecordStore
from orgbridge.salesforce.ids import to_15, to_18

USER_ID = to_18("005A00000000001")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[RecordStore]:
    config = OrgConfig(
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
            CustomFieldConfig(sobject="Case", name="Region__c", external_id=True),
            CustomFieldConfig(sobject="Case", name="Code__c", required=True),
        ),
        picklists=(
            PicklistConfig(
                sobject="Case",
                field="Status",
                values=("New", "Working", "Closed"),
                default="New",
                restricted=True,
            ),
        ),
    )
    db = connect(None)
    record_store = RecordStore(db, build_org_schema(config), config, clock=clock)
    record_store.initialize()
    yield record_store
    db.close()


def create_case(store: RecordStore, **fields: object) -> str:
    body: dict[str, object] = {"Subject": "Printer on fire", "Code__c": "C1"}
    body.update(fields)
    return store.create("Case", body, user_id=USER_ID)


def error_of(action: object) -> RecordError:
    with pytest.raises(RecordError) as caught:
        action()  # type: ignore[operator]
    return caught.value


def test_create_sets_system_fields(store: RecordStore) -> None:
    record_id = create_case(store)

    record = store.retrieve("Case", record_id)
    assert record_id.startswith("500")
    assert len(record_id) == 18
    assert record["Id"] == record_id
    assert record["CaseNumber"] == "00001000"
    assert record["Status"] == "New"
    assert record["Priority"] == "Medium"
    assert record["IsClosed"] is False
    assert record["IsDeleted"] is False
    assert record["OwnerId"] == USER_ID
    assert record["CreatedById"] == USER_ID
    assert record["CreatedDate"] == "2024-01-01T10:00:00.000+0000"
    assert record["SystemModstamp"] == record["CreatedDate"]


def test_case_numbers_increase(store: RecordStore) -> None:
    first = create_case(store)
    second = create_case(store)

    assert store.retrieve("Case", first, ["CaseNumber"])["CaseNumber"] == "00001000"
    assert store.retrieve("Case", second, ["CaseNumber"])["CaseNumber"] == "00001001"


def test_fifteen_character_id_accepted(store: RecordStore) -> None:
    record_id = create_case(store)

    record = store.retrieve("Case", to_15(record_id), ["Id"])
    assert record == {"Id": record_id}


def test_update_moves_modstamp_and_closes(store: RecordStore, clock: Clock) -> None:
    record_id = create_case(store)
    clock.now += timedelta(minutes=5)

    store.update("Case", record_id, {"Status": "Closed"}, user_id=USER_ID)

    record = store.retrieve("Case", record_id)
    assert record["IsClosed"] is True
    assert record["ClosedDate"] == "2024-01-01T10:05:00.000+0000"
    assert record["SystemModstamp"] == "2024-01-01T10:05:00.000+0000"
    assert record["CreatedDate"] == "2024-01-01T10:00:00.000+0000"


def test_one_transaction_shares_modstamp(store: RecordStore, clock: Clock) -> None:
    with store.transaction():
        first = create_case(store)
        clock.now += timedelta(seconds=3)
        second = create_case(store)

    stamps = {store.retrieve("Case", i)["SystemModstamp"] for i in (first, second)}
    assert len(stamps) == 1


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"Status": "Bogus"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status"),
        ({"Subject": "x" * 256}, "STRING_TOO_LONG", "Subject"),
        ({"SuppliedEmail": "not-an-email"}, "INVALID_EMAIL_ADDRESS", "SuppliedEmail"),
        ({"ContactId": "abc"}, "MALFORMED_ID", "ContactId"),
        ({"ContactId": "003A00000000042"}, "INVALID_CROSS_REFERENCE_KEY", "ContactId"),
        ({"ContactId": "001A00000000042"}, "FIELD_INTEGRITY_EXCEPTION", "ContactId"),
        ({"Foo__c": "x"}, "INVALID_FIELD", "Foo__c"),
        ({"CaseNumber": "1"}, "INVALID_FIELD_FOR_INSERT_UPDATE", "CaseNumber"),
        ({"Code__c": None}, "REQUIRED_FIELD_MISSING", "Code__c"),
        ({"Subject": "bad\x00byte"}, "JSON_PARSER_ERROR", "Subject"),
    ],
)
def test_create_rejects_bad_field(
    store: RecordStore, fields: dict[str, object], code: str, field: str
) -> None:
    error = error_of(lambda: create_case(store, **fields))

    assert error.status == 400
    assert error.error_code == code
    assert error.fields == [field]
    assert store.count("Case") == 0


def test_wrong_json_type_is_parser_error(store: RecordStore) -> None:
    error = error_of(lambda: create_case(store, IsEscalated="yes"))

    assert error.error_code == "JSON_PARSER_ERROR"
    assert "boolean" in error.message


def test_messages_match_salesforce(store: RecordStore) -> None:
    picklist = error_of(lambda: create_case(store, Status="Bogus"))
    too_long = error_of(lambda: create_case(store, Subject="y" * 300))

    assert picklist.message == "Status: bad value for restricted picklist field: Bogus"
    assert too_long.message.startswith("Subject: data value too large: yyy")
    assert too_long.message.endswith("(max length=255)")


def test_duplicate_external_id_rejected(store: RecordStore) -> None:
    first = create_case(store, Source_Case_Id__c="500X00000000001AAA")

    error = error_of(lambda: create_case(store, Source_Case_Id__c="500X00000000001AAA"))

    assert error.error_code == "DUPLICATE_VALUE"
    assert error.message.endswith(f"record with id: {to_15(first)}")


def test_unicode_and_long_text_kept(store: RecordStore) -> None:
    description = "لا يمكن الوصول 🔥 ログイン\t" + "x" * 31000
    record_id = create_case(store, Description=description)

    assert store.retrieve("Case", record_id)["Description"] == description


def test_upsert_creates_then_updates(store: RecordStore) -> None:
    created = store.upsert(
        "Case", "Source_Case_Id__c", "S1", {"Subject": "A", "Code__c": "1"},
        user_id=USER_ID,
    )  # fmt: skip
    updated = store.upsert(
        "Case", "Source_Case_Id__c", "S1", {"Subject": "B"}, user_id=USER_ID
    )

    assert created.created is True
    assert updated.created is False
    assert updated.id == created.id
    assert store.retrieve("Case", created.id)["Subject"] == "B"
    assert store.count("Case") == 1


def test_upsert_multiple_matches(store: RecordStore) -> None:
    create_case(store, Region__c="north")
    create_case(store, Region__c="NORTH")

    with pytest.raises(MultipleMatchesError) as caught:
        store.upsert("Case", "Region__c", "north", {"Subject": "x"}, user_id=USER_ID)
    assert len(caught.value.ids) == 2


def test_upsert_unknown_external_id_field(store: RecordStore) -> None:
    error = error_of(lambda: store.upsert("Case", "Subject", "x", {}, user_id=USER_ID))

    assert error.status == 404
    assert error.error_code == "NOT_FOUND"


def test_upsert_body_with_key_field_rejected(store: RecordStore) -> None:
    error = error_of(
        lambda: store.upsert(
            "Case", "Source_Case_Id__c", "S1", {"Source_Case_Id__c": "S1"},
            user_id=USER_ID,
        )
    )  # fmt: skip

    assert error.status == 400


def test_delete_keeps_row_for_query_all(store: RecordStore, clock: Clock) -> None:
    record_id = create_case(store)
    clock.now += timedelta(minutes=1)

    store.delete("Case", record_id, user_id=USER_ID)

    assert store.count("Case") == 0
    assert store.count("Case", include_deleted=True) == 1
    deleted = store.deleted_records(
        "Case", clock.now - timedelta(hours=1), clock.now + timedelta(hours=1)
    )
    assert deleted == [(record_id, "2024-01-01T10:01:00.000+0000")]


@pytest.mark.parametrize("action", ["retrieve", "update", "delete"])
def test_deleted_record_is_entity_is_deleted(store: RecordStore, action: str) -> None:
    record_id = create_case(store)
    store.delete("Case", record_id, user_id=USER_ID)

    calls = {
        "retrieve": lambda: store.retrieve("Case", record_id),
        "update": lambda: store.update("Case", record_id, {}, user_id=USER_ID),
        "delete": lambda: store.delete("Case", record_id, user_id=USER_ID),
    }
    error = error_of(calls[action])

    assert error.status == 404
    assert error.error_code == "ENTITY_IS_DELETED"


def test_missing_record_not_found(store: RecordStore) -> None:
    error = error_of(lambda: store.retrieve("Case", "500A00000000999"))

    assert error.status == 404
    assert error.error_code == "NOT_FOUND"


def test_undelete_restores(store: RecordStore) -> None:
    record_id = create_case(store)
    store.delete("Case", record_id, user_id=USER_ID)

    store.undelete("Case", record_id, user_id=USER_ID)

    assert store.retrieve("Case", record_id, ["IsDeleted"]) == {"IsDeleted": False}


def test_savepoint_rolls_back_one_record(store: RecordStore) -> None:
    with store.transaction():
        kept = create_case(store)
        with pytest.raises(RecordError), store.transaction():
            create_case(store)
            create_case(store, Status="Bogus")

    assert store.count("Case") == 1
    assert store.retrieve("Case", kept, ["Id"]) == {"Id": kept}
    assert store.records_written == 1


def test_outer_rollback_discards_all(store: RecordStore) -> None:
    with pytest.raises(RecordError), store.transaction():
        create_case(store)
        create_case(store, Status="Bogus")

    assert store.count("Case") == 0
    assert store.records_written == 0


def test_updated_ids_window(store: RecordStore, clock: Clock) -> None:
    early = create_case(store)
    clock.now += timedelta(hours=2)
    late = create_case(store)

    window = store.updated_ids(
        "Case", clock.now - timedelta(minutes=30), clock.now + timedelta(minutes=1)
    )
    assert window == [late]
    assert early not in window


def test_comments_create_case_comment(store: RecordStore) -> None:
    record_id = create_case(store, Comments="Called the customer back")

    assert store.count("CaseComment") == 1
    assert store.retrieve("Case", record_id, ["Comments"]) == {"Comments": None}


def test_reopened_file_keeps_records(tmp_path: object, clock: Clock) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "org.sqlite"
    config = OrgConfig()
    schema = build_org_schema(config)
    user_id = config.users[0].user_id if config.users else USER_ID

    db = connect(path)
    first = RecordStore(db, schema, config, clock=clock)
    first.initialize()
    record_id = first.create("Case", {"Subject": "kept"}, user_id=user_id)
    db.close()

    db = connect(path)
    second = RecordStore(db, schema, config, clock=clock)
    second.initialize()
    assert second.retrieve("Case", record_id, ["Subject"]) == {"Subject": "kept"}
    next_id = second.create("Case", {"Subject": "next"}, user_id=user_id)
    assert next_id != record_id
    db.close()
