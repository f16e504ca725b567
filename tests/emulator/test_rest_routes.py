"""REST record resources over HTTPS: the cases simple-salesforce does not reach."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import rest_client
from orgbridge.emulator.config import CustomFieldConfig, OrgConfig, PicklistConfig
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.ids import to_15

V = "/services/data/v62.0"


@pytest.fixture
def org(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> EmulatedOrg:
    return start_org(
        org_config_factory(
            custom_fields=(
                CustomFieldConfig(
                    sobject="Case",
                    name="Source_Case_Id__c",
                    length=18,
                    external_id=True,
                    unique=True,
                    case_sensitive=True,
                ),
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
    )


class MovableClock:
    """The org's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def client(org: EmulatedOrg) -> Iterator[httpx.Client]:
    with connect(org) as session:
        yield session


def connect(org: EmulatedOrg) -> httpx.Client:
    return rest_client(org)


def create(client: httpx.Client, **fields: Any) -> str:
    response = client.post(f"{V}/sobjects/Case", json={"Subject": "x", **fields})
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    return record_id


def test_create_answer_shape(client: httpx.Client) -> None:
    response = client.post(f"{V}/sobjects/Case", json={"Subject": "hello"})

    body = response.json()
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["sforce-limit-info"].startswith("api-usage=")
    assert body["success"] is True
    assert body["errors"] == []
    assert body["id"].startswith("500")
    assert len(body["id"]) == 18


def test_get_with_fifteen_character_id(client: httpx.Client) -> None:
    record_id = create(client)

    response = client.get(f"{V}/sobjects/Case/{to_15(record_id)}?fields=Id,Subject")

    assert response.status_code == 200
    assert response.json()["Id"] == record_id
    assert set(response.json()) == {"attributes", "Id", "Subject"}


def test_unknown_id_segment_is_external_id_error(client: httpx.Client) -> None:
    response = client.get(f"{V}/sobjects/Case/notanid")

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_unknown_sobject_not_found(client: httpx.Client) -> None:
    response = client.get(f"{V}/sobjects/Widget__c/describe")

    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_malformed_json_body(client: httpx.Client) -> None:
    response = client.post(
        f"{V}/sobjects/Case",
        content=b'{"Subject": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_wrong_content_type(client: httpx.Client) -> None:
    response = client.post(
        f"{V}/sobjects/Case",
        content=b"Subject=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415


def test_upsert_status_codes(client: httpx.Client) -> None:
    url = f"{V}/sobjects/Case/Source_Case_Id__c/500A00000000042AAA"

    created = client.patch(url, json={"Subject": "first"})
    updated = client.patch(url, json={"Subject": "second"})
    old_version = client.patch(url.replace("v62.0", "v45.0"), json={"Subject": "third"})

    assert created.status_code == 201
    assert created.json()["created"] is True
    assert updated.status_code == 200
    assert updated.json()["created"] is False
    assert updated.json()["id"] == created.json()["id"]
    assert old_version.status_code == 204


def test_upsert_on_non_external_field(client: httpx.Client) -> None:
    response = client.patch(f"{V}/sobjects/Case/Subject/abc", json={"Status": "New"})

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_collection_upsert_results_in_order(client: httpx.Client) -> None:
    existing = "500A00000000001AAA"
    client.patch(f"{V}/sobjects/Case/Source_Case_Id__c/{existing}", json={})
    records = [
        {"attributes": {"type": "Case"}, "Source_Case_Id__c": existing, "Subject": "u"},
        {"attributes": {"type": "Case"}, "Source_Case_Id__c": "500A00000000002AAA"},
        {"attributes": {"type": "Case"}, "Source_Case_Id__c": "500A00000000003AAA",
         "Status": "Bogus"},
    ]  # fmt: skip

    response = client.patch(
        f"{V}/composite/sobjects/Case/Source_Case_Id__c",
        json={"allOrNone": False, "records": records},
    )

    results = response.json()
    assert response.status_code == 200
    assert [r["success"] for r in results] == [True, True, False]
    assert results[0]["created"] is False
    assert results[1]["created"] is True
    assert results[2]["errors"][0]["statusCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert results[2]["errors"][0]["fields"] == ["Status"]


def test_collection_delete_and_retrieve(client: httpx.Client) -> None:
    kept, removed = create(client, Subject="kept"), create(client, Subject="gone")

    deleted = client.delete(f"{V}/composite/sobjects", params={"ids": removed})
    retrieved = client.get(
        f"{V}/composite/sobjects/Case",
        params={"ids": f"{kept},{removed}", "fields": "Id,Subject"},
    )

    assert deleted.json() == [{"id": removed, "success": True, "errors": []}]
    first, second = retrieved.json()
    assert first["Subject"] == "kept"
    assert second is None


def test_query_batch_size_header(client: httpx.Client) -> None:
    records = [{"attributes": {"type": "Case"}, "Subject": str(n)} for n in range(250)]
    client.post(f"{V}/composite/sobjects", json={"records": records[:200]})
    client.post(f"{V}/composite/sobjects", json={"records": records[200:]})

    first = client.get(
        f"{V}/query",
        params={"q": "SELECT Id FROM Case"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    ).json()
    second = client.get(first["nextRecordsUrl"]).json()

    assert first["totalSize"] == 250
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].endswith("-200")
    assert second["done"] is True
    assert len(second["records"]) == 50
    assert "nextRecordsUrl" not in second


def test_query_all_sees_deleted(client: httpx.Client) -> None:
    record_id = create(client)
    client.delete(f"{V}/sobjects/Case/{record_id}")

    live = client.get(f"{V}/query", params={"q": "SELECT Id FROM Case"}).json()
    everything = client.get(
        f"{V}/queryAll", params={"q": "SELECT Id, IsDeleted FROM Case"}
    ).json()

    assert live["totalSize"] == 0
    assert everything["records"][0]["IsDeleted"] is True


def test_query_errors(client: httpx.Client) -> None:
    missing_q = client.get(f"{V}/query")
    bad_field = client.get(f"{V}/query", params={"q": "SELECT Foo FROM Case"})
    bad_locator = client.get(f"{V}/query/01gA0000000AAAAAAA-2000")

    assert missing_q.status_code == 400
    assert missing_q.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert bad_field.status_code == 400
    assert bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert bad_locator.status_code == 400
    assert bad_locator.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_replication_updated_and_deleted(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> None:
    clock = MovableClock(datetime(2024, 5, 6, 10, 0, 30, tzinfo=UTC))
    org = start_org(org_config_factory(), clock=clock)
    with connect(org) as session:
        kept, removed = create(session), create(session)
        session.delete(f"{V}/sobjects/Case/{removed}")
        clock.now += timedelta(minutes=3)
        window = {"start": "2024-05-06T09:00:00+00:00", "end": "2024-05-06T11:00:00Z"}

        updated = session.get(f"{V}/sobjects/Case/updated/", params=window).json()
        deleted = session.get(f"{V}/sobjects/Case/deleted/", params=window).json()

    assert updated["ids"] == [kept]
    assert updated["latestDateCovered"] == "2024-05-06T10:03:00.000+0000"
    assert [entry["id"] for entry in deleted["deletedRecords"]] == [removed]
    assert deleted["earliestDateAvailable"].endswith("+0000")


def test_replication_excludes_current_minute(client: httpx.Client) -> None:
    create(client)
    now = datetime.now(UTC)
    window = {
        "start": (now - timedelta(hours=1)).isoformat(timespec="seconds"),
        "end": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
    }

    updated = client.get(f"{V}/sobjects/Case/updated/", params=window).json()

    # The window ends at the current minute, which is not covered until it is over.
    assert updated["ids"] == []


def test_composite_all_or_none_rolls_back(client: httpx.Client) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{V}/sobjects/Case", "referenceId": "ok",
             "body": {"Subject": "fine"}},
            {"method": "POST", "url": f"{V}/sobjects/Case", "referenceId": "bad",
             "body": {"Status": "Bogus"}},
            {"method": "GET", "url": f"{V}/sobjects/Case/@{{ok.id}}",
             "referenceId": "never"},
        ],
    }  # fmt: skip

    answer = client.post(f"{V}/composite", json=body).json()["compositeResponse"]
    count = client.get(f"{V}/query", params={"q": "SELECT COUNT() FROM Case"})

    assert [a["httpStatusCode"] for a in answer] == [400, 400, 400]
    assert answer[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert answer[1]["body"][0]["errorCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert answer[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert count.json()["totalSize"] == 0


def test_composite_over_25_subrequests(client: httpx.Client) -> None:
    request = {"method": "GET", "url": f"{V}/sobjects/Case/describe"}
    body = {"compositeRequest": [dict(request, referenceId=f"r{n}") for n in range(26)]}

    response = client.post(f"{V}/composite", json=body)

    assert response.status_code == 400


def test_apexrest_inserts_all(client: httpx.Client) -> None:
    cases = [
        {"Subject": f"Case {n}", "Origin": "Web", "Status": "New"} for n in range(3)
    ]

    response = client.post(
        "/services/apexrest/records/createcases", json={"cases": cases}
    )

    assert response.status_code == 201
    assert response.json() == "3 cases created successfully."


def test_apexrest_fails_whole_batch(client: httpx.Client) -> None:
    cases = [
        {"Subject": "good", "Status": "New"},
        {"Subject": "bad", "Status": "Bogus"},
    ]

    response = client.post(
        "/services/apexrest/records/createcases", json={"cases": cases}
    )
    count = client.get(f"{V}/query", params={"q": "SELECT COUNT() FROM Case"})

    assert response.status_code == 400
    assert response.json().startswith(
        "Error: Insert failed. First exception on row 1; first error: "
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert count.json()["totalSize"] == 0


def test_lock_row_fault_fails_one_record(
    org: EmulatedOrg, client: httpx.Client
) -> None:
    admin = {"Authorization": f"Bearer {org.admin_token}"}
    client.put(
        "/_emulator/faults",
        json={"unable_to_lock_row_rate": 1.0, "seed": 1},
        headers=admin,
    )
    records = [{"attributes": {"type": "Case"}, "Subject": "locked"}]

    results = client.post(f"{V}/composite/sobjects", json={"records": records}).json()

    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
