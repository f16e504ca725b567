"""RecordStore rules beyond the basics: uniqueness, closing, references, counts."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orgbridge.emulator.config import (
    CustomFieldConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.runtime import connect
from orgbridge.emulator.schema import build_org_schema
from orgbridge.emulator.store import RecordStore
from orgbridge.salesforce.ids import make_id, to_15

USER_ID = make_id("005", "B7", 1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 8, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[RecordStore]:
    config = OrgConfig(
        pod="B7",
        case_number_start=5000,
        users=(UserConfig(username="owner@rules.example", user_id=USER_ID),),
        custom_fields=(
            CustomFieldConfig(
                sobject="Case", name="Ticket__c", external_id=True, unique=True
            ),
            CustomFieldConfig(
                sobject="Case",
                name="Token__c",
                external_id=True,
                unique=True,
                case_sensitive=True,
            ),
            CustomFieldConfig(sobject="Case", name="Visits__c", type="int"),
        ),
        picklists=(
            PicklistConfig(
                sobject="Case",
                field="Status",
                values=("New", "Working", "Closed", "Closed - Resolved"),
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
    return store.create("Case", {"Subject": "s", **fields}, user_id=USER_ID)


def error_of(action: object) -> RecordError:
    with pytest.raises(RecordError) as caught:
        action()  # type: ignore[operator]
    return caught.value


def test_ids_use_pod_and_sequence(store: RecordStore) -> None:
    first = create_case(store)
    second = create_case(store)
    account = store.create("Account", {"Name": "Acme"}, user_id=USER_ID)

    assert first == make_id("500", "B7", 1)
    assert second == make_id("500", "B7", 2)
    assert account == make_id("001", "B7", 1)


def test_case_number_start_from_config(store: RecordStore) -> None:
    record_id = create_case(store)

    assert store.retrieve("Case", record_id, ["CaseNumber"]) == {
        "CaseNumber": "00005000"
    }


def test_defaults_on_create(store: RecordStore) -> None:
    record_id = create_case(store)

    record = store.retrieve("Case", record_id)

    assert record["Status"] == "New"
    assert record["Priority"] == "Medium"
    assert record["IsEscalated"] is False
    assert record["OwnerId"] == USER_ID
    assert record["LastModifiedById"] == USER_ID
    assert record["ClosedDate"] is None


def test_closed_prefix_closes(store: RecordStore, clock: Clock) -> None:
    record_id = create_case(store, Status="Closed - Resolved")
    closed_at = store.retrieve("Case", record_id, ["ClosedDate"])["ClosedDate"]
    clock.now += timedelta(hours=1)

    store.update("Case", record_id, {"Status": "Closed"}, user_id=USER_ID)
    still_closed = store.retrieve("Case", record_id, ["IsClosed", "ClosedDate"])
    store.update("Case", record_id, {"Status": "Working"}, user_id=USER_ID)
    reopened = store.retrieve("Case", record_id, ["IsClosed", "ClosedDate"])

    assert closed_at == "2024-05-06T08:30:00.000+0000"
    assert still_closed == {"IsClosed": True, "ClosedDate": closed_at}
    assert reopened == {"IsClosed": False, "ClosedDate": None}


def test_update_touches_audit_fields_only(store: RecordStore, clock: Clock) -> None:
    record_id = create_case(store)
    clock.now += timedelta(minutes=7)
    other_user = make_id("005", "B7", 2)

    store.update("Case", record_id, {"Subject": "new"}, user_id=other_user)
    record = store.retrieve("Case", record_id)

    assert record["LastModifiedDate"] == "2024-05-06T08:37:00.000+0000"
    assert record["SystemModstamp"] == "2024-05-06T08:37:00.000+0000"
    assert record["LastModifiedById"] == other_user
    assert record["CreatedById"] == USER_ID
    assert record["CreatedDate"] == "2024-05-06T08:30:00.000+0000"


def test_unique_ignores_case_unless_sensitive(store: RecordStore) -> None:
    first = create_case(store, Ticket__c="abc", Token__c="abc")

    clash = error_of(lambda: create_case(store, Ticket__c="ABC"))
    create_case(store, Token__c="ABC")

    assert clash.error_code == "DUPLICATE_VALUE"
    assert clash.fields == ["Ticket__c"]
    assert clash.message == (
        "duplicate value found: Ticket__c duplicates value on record with id: "
        f"{to_15(first)}"
    )
    assert store.count("Case") == 2


def test_update_to_duplicate_rejected(store: RecordStore) -> None:
    create_case(store, Ticket__c="T-1")
    second = create_case(store, Ticket__c="T-2")

    error = error_of(
        lambda: store.update("Case", second, {"Ticket__c": "t-1"}, user_id=USER_ID)
    )
    store.update("Case", second, {"Ticket__c": "T-2"}, user_id=USER_ID)

    assert error.error_code == "DUPLICATE_VALUE"


def test_deleted_record_frees_unique_value(store: RecordStore) -> None:
    first = create_case(store, Ticket__c="T-9")
    store.delete("Case", first, user_id=USER_ID)

    outcome = store.upsert(
        "Case", "Ticket__c", "T-9", {"Subject": "again"}, user_id=USER_ID
    )
    undelete = error_of(lambda: store.undelete("Case", first, user_id=USER_ID))

    assert outcome.created is True
    assert outcome.id != first
    assert undelete.error_code == "DUPLICATE_VALUE"
    assert store.count("Case") == 1


def test_reference_to_deleted_record(store: RecordStore) -> None:
    parent = create_case(store)
    store.delete("Case", parent, user_id=USER_ID)

    error = error_of(lambda: create_case(store, ParentId=parent))

    assert error.error_code == "INVALID_CROSS_REFERENCE_KEY"
    assert error.fields == ["ParentId"]


def test_owner_may_be_queue(store: RecordStore) -> None:
    queue = store.create("Group", {"Name": "Tier 2", "Type": "Queue"}, user_id=USER_ID)

    record_id = create_case(store, OwnerId=to_15(queue))
    wrong = error_of(lambda: create_case(store, OwnerId=record_id))

    assert store.retrieve("Case", record_id, ["OwnerId"]) == {"OwnerId": queue}
    assert wrong.error_code == "FIELD_INTEGRITY_EXCEPTION"
    assert wrong.message == f"Owner ID: id value of incorrect type: {record_id}"


def test_int_field_range(store: RecordStore) -> None:
    record_id = create_case(store, Visits__c="42")
    too_big = error_of(lambda: create_case(store, Visits__c=2**31))
    fraction = create_case(store, Visits__c=3.0)

    assert store.retrieve("Case", record_id, ["Visits__c"]) == {"Visits__c": 42}
    assert too_big.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert too_big.fields == ["Visits__c"]
    assert store.retrieve("Case", fraction, ["Visits__c"]) == {"Visits__c": 3}


def test_lone_surrogate_rejected(store: RecordStore) -> None:
    error = error_of(lambda: create_case(store, Subject="bad \ud800"))

    assert error.error_code == "JSON_PARSER_ERROR"
    assert store.count("Case") == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ClosedDate", "2024-01-01T00:00:00Z"),
        ("CreatedDate", "2024-01-01T00:00:00Z"),
        ("IsDeleted", True),
        ("SystemModstamp", "2024-01-01T00:00:00Z"),
    ],
)
def test_system_fields_not_writable(
    store: RecordStore, field: str, value: object
) -> None:
    error = error_of(lambda: create_case(store, **{field: value}))

    assert error.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error.fields == [field]
    assert error.message.startswith(f"Unable to create/update fields: {field}.")


def test_wrong_object_id_not_found(store: RecordStore) -> None:
    account = store.create("Account", {"Name": "Acme"}, user_id=USER_ID)

    error = error_of(
        lambda: store.update("Case", account, {"Subject": "x"}, user_id=USER_ID)
    )

    assert error.status == 404
    assert error.error_code == "NOT_FOUND"


def test_upsert_by_id_field(store: RecordStore) -> None:
    record_id = create_case(store)

    outcome = store.upsert(
        "Case", "Id", to_15(record_id), {"Subject": "by id"}, user_id=USER_ID
    )

    assert outcome.created is False
    assert outcome.id == record_id
    assert store.retrieve("Case", record_id, ["Subject"]) == {"Subject": "by id"}


def test_records_written_counts_commits(store: RecordStore) -> None:
    record_id = create_case(store)
    store.update("Case", record_id, {"Subject": "u"}, user_id=USER_ID)
    store.upsert("Case", "Ticket__c", "K", {"Subject": "n"}, user_id=USER_ID)
    store.delete("Case", record_id, user_id=USER_ID)
    store.undelete("Case", record_id, user_id=USER_ID)
    error_of(lambda: create_case(store, Status="Bogus"))

    assert store.records_written == 5


def test_replication_lists_skip_other_states(store: RecordStore, clock: Clock) -> None:
    live_id = create_case(store)
    deleted_id = create_case(store)
    clock.now += timedelta(minutes=2)
    store.delete("Case", deleted_id, user_id=USER_ID)
    start = clock.now - timedelta(hours=1)
    end = clock.now + timedelta(minutes=1)

    updated = store.updated_ids("Case", start, end)
    deleted = store.deleted_records("Case", start, end)

    assert updated == [live_id]
    assert deleted == [(deleted_id, "2024-05-06T08:32:00.000+0000")]


def test_retrieve_rejects_compound_field(store: RecordStore) -> None:
    account = store.create("Account", {"Name": "Acme"}, user_id=USER_ID)

    error = error_of(lambda: store.retrieve("Account", account, ["BillingAddress"]))

    assert error.error_code == "INVALID_FIELD"
