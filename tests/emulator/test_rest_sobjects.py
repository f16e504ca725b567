"""sObject resources in-process: describe, CRUD, upsert, errors and call counts.

The app runs on httpx's ASGI transport around a real in-memory org, so every
request goes through the middleware (auth, counting) and the REST routes.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.salesforce.ids import make_id, to_15

V = "/services/data/v62.0"
USER_ID = make_id("005", "A0", 1)
JSON_TYPE = "application/json;charset=UTF-8"


def org_config() -> OrgConfig:
    return OrgConfig(
        users=(UserConfig(username="admin@rest.example", user_id=USER_ID),),
        connected_apps=(
            ConnectedAppConfig(
                name="rest-tests",
                client_id="rest-client",
                client_secret="rest-secret-51c0",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@rest.example",
            ),
        ),
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
        ),
        picklists=(
            PicklistConfig(
                sobject="Case",
                field="Status",
                values=("New", "Working", "Closed", "Closed - Duplicate"),
                default="New",
                restricted=True,
            ),
        ),
    )


@pytest.fixture
def runtime() -> OrgRuntime:
    return open_org(org_config(), clock=lambda: datetime(2024, 3, 1, 9, tzinfo=UTC))


@pytest.fixture
async def api(runtime: OrgRuntime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        token = await client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "rest-client",
                "client_secret": "rest-secret-51c0",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runtime.counters.reset()
        yield client
    runtime.close()


async def create(api: httpx.AsyncClient, **fields: Any) -> str:
    response = await api.post(f"{V}/sobjects/Case", json={"Subject": "x", **fields})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_global_describe_lists_objects(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{V}/sobjects/")
    names = {entry["name"] for entry in response.json()["sobjects"]}

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    assert {"Case", "Account", "Contact", "User"} <= names
    assert response.json()["maxBatchSize"] == 200


async def test_basic_info_and_describe(api: httpx.AsyncClient) -> None:
    info = await api.get(f"{V}/sobjects/Case")
    describe = await api.get(f"{V}/sobjects/Case/describe")
    fields = {f["name"]: f for f in describe.json()["fields"]}

    assert info.json()["objectDescribe"]["keyPrefix"] == "500"
    assert info.json()["recentItems"] == []
    assert describe.status_code == 200
    assert fields["Source_Case_Id__c"]["externalId"] is True
    assert [p["value"] for p in fields["Status"]["picklistValues"]][:2] == [
        "New",
        "Working",
    ]


async def test_create_answers_location(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/sobjects/Case", json={"Subject": "Printer"})
    record_id = response.json()["id"]

    assert response.status_code == 201
    assert response.json() == {"id": record_id, "success": True, "errors": []}
    assert response.headers["location"] == f"{V}/sobjects/Case/{record_id}"


async def test_get_record_and_fields(api: httpx.AsyncClient) -> None:
    record_id = await create(api, Subject="Printer", Status="Working")

    full = (await api.get(f"{V}/sobjects/Case/{record_id}")).json()
    some = await api.get(f"{V}/sobjects/Case/{record_id}?fields=Subject,Status")

    assert full["attributes"] == {
        "type": "Case",
        "url": f"{V}/sobjects/Case/{record_id}",
    }
    assert full["CaseNumber"] == "00001000"
    assert full["OwnerId"] == USER_ID
    assert full["CreatedDate"] == "2024-03-01T09:00:00.000+0000"
    assert full["IsEscalated"] is False
    assert full["ClosedDate"] is None
    assert set(some.json()) == {"attributes", "Subject", "Status"}
    assert some.json()["Status"] == "Working"


async def test_update_and_close(api: httpx.AsyncClient) -> None:
    record_id = await create(api)

    patched = await api.patch(
        f"{V}/sobjects/Case/{to_15(record_id)}",
        json={"Status": "Closed - Duplicate"},
    )
    record = (await api.get(f"{V}/sobjects/Case/{record_id}")).json()

    assert patched.status_code == 204
    assert patched.content == b""
    assert record["IsClosed"] is True
    assert record["ClosedDate"] == "2024-03-01T09:00:00.000+0000"


async def test_delete_then_entity_is_deleted(api: httpx.AsyncClient) -> None:
    record_id = await create(api)

    deleted = await api.delete(f"{V}/sobjects/Case/{record_id}")
    read = await api.get(f"{V}/sobjects/Case/{record_id}")
    again = await api.delete(f"{V}/sobjects/Case/{record_id}")

    assert deleted.status_code == 204
    assert read.status_code == 404
    assert read.json() == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    assert again.json()[0]["errorCode"] == "ENTITY_IS_DELETED"


async def test_missing_record_not_found(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{V}/sobjects/Case/500A00000000999AAA")

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Status": "Bogus"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({"Subject": "s" * 256}, "STRING_TOO_LONG", ["Subject"]),
        ({"Description": "d" * 32001}, "STRING_TOO_LONG", ["Description"]),
        ({"SuppliedEmail": "no-at-sign"}, "INVALID_EMAIL_ADDRESS", ["SuppliedEmail"]),
        ({"ContactId": "not-an-id"}, "MALFORMED_ID", ["ContactId"]),
        (
            {"ContactId": "003A00000000777"},
            "INVALID_CROSS_REFERENCE_KEY",
            ["ContactId"],
        ),
        ({"IsClosed": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsClosed"]),
        ({"Nope__c": 1}, "INVALID_FIELD", ["Nope__c"]),
        ({"IsEscalated": "yes"}, "JSON_PARSER_ERROR", []),
        ({"OwnerId": "00GA00000000001"}, "INVALID_CROSS_REFERENCE_KEY", ["OwnerId"]),
    ],
)
async def test_create_errors_as_array(
    api: httpx.AsyncClient,
    runtime: OrgRuntime,
    body: dict[str, Any],
    code: str,
    fields: list[str],
) -> None:
    response = await api.post(f"{V}/sobjects/Case", json=body)
    error = response.json()

    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_TYPE
    assert len(error) == 1
    assert error[0]["errorCode"] == code
    assert error[0]["fields"] == fields
    assert runtime.store.count("Case") == 0


async def test_update_blanking_owner_rejected(api: httpx.AsyncClient) -> None:
    record_id = await create(api)

    response = await api.patch(f"{V}/sobjects/Case/{record_id}", json={"OwnerId": None})

    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "Required fields are missing: [OwnerId]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["OwnerId"],
        }
    ]


async def test_unknown_field_message(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/sobjects/Case", json={"Foo": "x"})

    assert response.json()[0]["message"] == (
        "No such column 'Foo' on sobject of type Case"
    )


async def test_duplicate_value_names_first_record(api: httpx.AsyncClient) -> None:
    first = await create(api, Source_Case_Id__c="S-1")

    response = await api.post(
        f"{V}/sobjects/Case", json={"Subject": "y", "Source_Case_Id__c": "S-1"}
    )

    assert response.status_code == 400
    assert response.json()[0]["message"] == (
        "duplicate value found: Source_Case_Id__c duplicates value on record with "
        f"id: {to_15(first)}"
    )


async def test_upsert_created_updated(api: httpx.AsyncClient) -> None:
    url = f"{V}/sobjects/Case/Source_Case_Id__c/S-7"

    created = await api.patch(url, json={"Subject": "first"})
    updated = await api.patch(url, json={"Subject": "second"})
    record = (await api.get(url)).json()

    assert created.status_code == 201
    assert created.json()["created"] is True
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    assert record["Subject"] == "second"
    assert record["Source_Case_Id__c"] == "S-7"


async def test_upsert_before_v46_answers_204(api: httpx.AsyncClient) -> None:
    url = "/services/data/v45.0/sobjects/Case/Source_Case_Id__c/S-8"

    created = await api.patch(url, json={"Subject": "first"})
    updated = await api.patch(url, json={"Subject": "second"})

    assert created.status_code == 201
    assert updated.status_code == 204
    assert updated.content == b""


async def test_upsert_several_matches_300(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    first = await create(api, Region__c="north")
    second = await create(api, Region__c="NORTH")

    response = await api.patch(
        f"{V}/sobjects/Case/Region__c/North", json={"Subject": "changed"}
    )

    assert response.status_code == 300
    assert sorted(response.json()) == sorted(
        [f"{V}/sobjects/Case/{first}", f"{V}/sobjects/Case/{second}"]
    )
    assert runtime.store.retrieve("Case", first, ["Subject"])["Subject"] == "x"


async def test_upsert_after_delete_creates_again(api: httpx.AsyncClient) -> None:
    url = f"{V}/sobjects/Case/Source_Case_Id__c/S-9"
    first = (await api.patch(url, json={"Subject": "one"})).json()["id"]
    await api.delete(f"{V}/sobjects/Case/{first}")

    again = await api.patch(url, json={"Subject": "two"})

    assert again.status_code == 201
    assert again.json()["id"] != first


async def test_upsert_body_with_key_rejected(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        f"{V}/sobjects/Case/Source_Case_Id__c/S-1",
        json={"Subject": "x", "Source_Case_Id__c": "S-1"},
    )

    assert response.status_code == 400
    assert response.json()[0]["fields"] == ["Source_Case_Id__c"]


async def test_delete_by_external_id(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    record_id = await create(api, Source_Case_Id__c="S-3")

    deleted = await api.delete(f"{V}/sobjects/Case/Source_Case_Id__c/S-3")
    missing = await api.delete(f"{V}/sobjects/Case/Source_Case_Id__c/S-3")

    assert deleted.status_code == 204
    assert runtime.store.count("Case") == 0
    assert runtime.store.count("Case", include_deleted=True) == 1
    assert missing.status_code == 404
    assert record_id.startswith("500")


async def test_post_to_id_path_creates(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/sobjects/Case/Id", json={"Subject": "via Id"})
    old = await api.post(
        "/services/data/v36.0/sobjects/Case/Id", json={"Subject": "too old"}
    )

    assert response.status_code == 201
    assert response.json()["id"].startswith("500")
    assert old.status_code == 404


async def test_wrong_method_405(api: httpx.AsyncClient) -> None:
    record_id = await create(api)

    put = await api.put(f"{V}/sobjects/Case/{record_id}", json={"Subject": "p"})
    delete_all = await api.delete(f"{V}/sobjects/Case")

    assert put.status_code == 405
    assert put.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert delete_all.status_code == 405


async def test_unknown_sobject_404(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/sobjects/Widget__c", json={"Name": "w"})

    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


async def test_each_request_one_call(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    record_id = await create(api)
    await api.patch(f"{V}/sobjects/Case/{record_id}", json={"Subject": "y"})
    await api.post(f"{V}/sobjects/Case", json={"Status": "Bogus"})

    counts = runtime.counters.snapshot()

    assert counts["total_calls"] == 3
    assert counts["calls_by_endpoint"] == {"sobjects": 3}
    assert counts["records_written"] == 2
