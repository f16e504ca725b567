"""sObject Collections in-process: results in input order, allOrNone, limits."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    FaultConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.salesforce.ids import make_id

V = "/services/data/v62.0"
USER_ID = make_id("005", "A0", 1)
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the "
    "request was using AllOrNone header",
    "fields": [],
}


@pytest.fixture
def runtime() -> OrgRuntime:
    config = OrgConfig(
        users=(UserConfig(username="admin@coll.example", user_id=USER_ID),),
        connected_apps=(
            ConnectedAppConfig(
                name="coll-tests",
                client_id="coll-client",
                client_secret="coll-secret-2b7e",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@coll.example",
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
    return open_org(config, clock=lambda: datetime(2024, 3, 1, 9, tzinfo=UTC))


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
                "client_id": "coll-client",
                "client_secret": "coll-secret-2b7e",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runtime.counters.reset()
        yield client
    runtime.close()


def case(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Case"}, "Subject": "x", **fields}


async def create_all(
    api: httpx.AsyncClient, records: list[dict[str, Any]], *, all_or_none: bool
) -> list[dict[str, Any]]:
    response = await api.post(
        f"{V}/composite/sobjects",
        json={"allOrNone": all_or_none, "records": records},
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()
    return results


async def test_partial_success_in_order(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    records = [case(), case(Status="Bogus"), case(Subject="z" * 300), case()]

    results = await create_all(api, records, all_or_none=False)

    assert [r["success"] for r in results] == [True, False, False, True]
    assert results[1]["errors"] == [
        {
            "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Status: bad value for restricted picklist field: Bogus",
            "fields": ["Status"],
        }
    ]
    assert results[2]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert "id" not in results[1]
    assert runtime.store.count("Case") == 2
    assert runtime.counters.snapshot()["records_written"] == 2


async def test_all_or_none_rolls_back(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    records = [case(), case(Status="Bogus"), case()]

    results = await create_all(api, records, all_or_none=True)

    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert results[2] == {"success": False, "errors": [ROLLED_BACK]}
    assert runtime.store.count("Case", include_deleted=True) == 0
    assert runtime.counters.snapshot()["records_written"] == 0


async def test_all_or_none_success_commits(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    results = await create_all(api, [case(), case()], all_or_none=True)
    stamps = {
        runtime.store.retrieve("Case", r["id"], ["SystemModstamp"])["SystemModstamp"]
        for r in results
    }

    assert all(r["success"] for r in results)
    assert runtime.store.count("Case") == 2
    assert len(stamps) == 1


async def test_update_by_id(api: httpx.AsyncClient, runtime: OrgRuntime) -> None:
    created = await create_all(api, [case(), case()], all_or_none=False)
    first, second = (r["id"] for r in created)

    response = await api.patch(
        f"{V}/composite/sobjects",
        json={
            "records": [
                case(Id=first, Status="Closed"),
                case(Id=second, Status="Bogus"),
                case(Id="nonsense"),
            ]
        },
    )
    results = response.json()

    assert response.status_code == 200
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert results[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert runtime.store.retrieve("Case", first, ["IsClosed"]) == {"IsClosed": True}


async def test_upsert_reports_created(api: httpx.AsyncClient) -> None:
    url = f"{V}/composite/sobjects/Case/Source_Case_Id__c"
    records = [case(Source_Case_Id__c="A"), case(Source_Case_Id__c="B")]

    first = (await api.patch(url, json={"records": records})).json()
    second = (await api.patch(url, json={"records": records[:1]})).json()

    assert [r["created"] for r in first] == [True, True]
    assert second[0]["created"] is False
    assert second[0]["id"] == first[0]["id"]


async def test_upsert_unknown_field_404(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        f"{V}/composite/sobjects/Case/Subject", json={"records": [case()]}
    )

    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


async def test_delete_all_or_none(api: httpx.AsyncClient, runtime: OrgRuntime) -> None:
    created = await create_all(api, [case(), case()], all_or_none=False)
    ids = [r["id"] for r in created]
    missing = "500A00000000999AAA"

    rolled = await api.delete(
        f"{V}/composite/sobjects",
        params={"ids": ",".join([*ids, missing]), "allOrNone": "true"},
    )
    partial = await api.delete(
        f"{V}/composite/sobjects", params={"ids": ",".join([*ids, missing])}
    )

    assert [r["success"] for r in rolled.json()] == [False, False, False]
    assert rolled.json()[0]["errors"] == [ROLLED_BACK]
    assert rolled.json()[2]["errors"][0]["statusCode"] == "NOT_FOUND"
    assert [r["success"] for r in partial.json()] == [True, True, False]
    assert runtime.store.count("Case") == 0


async def test_retrieve_nulls_for_missing(api: httpx.AsyncClient) -> None:
    created = await create_all(api, [case(Subject="kept")], all_or_none=False)
    record_id = created[0]["id"]
    missing = "500A00000000999AAA"

    by_get = await api.get(
        f"{V}/composite/sobjects/Case",
        params={"ids": f"{record_id},{missing}", "fields": "Subject"},
    )
    by_post = await api.post(
        f"{V}/composite/sobjects/Case",
        json={"ids": [missing, record_id], "fields": ["Id", "Subject"]},
    )
    bad_field = await api.post(
        f"{V}/composite/sobjects/Case",
        json={"ids": [record_id], "fields": ["Nope"]},
    )

    assert by_get.json()[0]["Subject"] == "kept"
    assert by_get.json()[1] is None
    assert by_post.json()[0] is None
    assert by_post.json()[1]["Id"] == record_id
    assert bad_field.status_code == 400
    assert bad_field.json()[0]["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "composite/sobjects"), ("PATCH", "composite/sobjects")],
)
async def test_over_200_records_rejected(
    api: httpx.AsyncClient, runtime: OrgRuntime, method: str, path: str
) -> None:
    records = [case() for _ in range(201)]

    response = await api.request(method, f"{V}/{path}", json={"records": records})

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert runtime.store.count("Case") == 0


async def test_exactly_200_records_accepted(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    results = await create_all(api, [case() for _ in range(200)], all_or_none=True)

    assert len(results) == 200
    assert runtime.store.count("Case") == 200
    assert runtime.counters.snapshot()["total_calls"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"records": "x"},
        {"allOrNone": "yes", "records": []},
        [case()],
    ],
)
async def test_malformed_bodies_400(api: httpx.AsyncClient, body: Any) -> None:
    response = await api.post(f"{V}/composite/sobjects", json=body)

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


async def test_record_without_type(api: httpx.AsyncClient) -> None:
    results = await create_all(api, [{"Subject": "no type"}], all_or_none=False)

    assert results[0]["errors"][0]["statusCode"] == "INVALID_TYPE"


async def test_lock_fault_names_record(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    created = await create_all(api, [case()], all_or_none=False)
    record_id = created[0]["id"]
    runtime.faults.configure(FaultConfig(unable_to_lock_row_rate=1.0, seed=3))

    response = await api.patch(
        f"{V}/composite/sobjects", json={"records": [case(Id=record_id)]}
    )
    error = response.json()[0]["errors"][0]

    assert error["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert error["message"] == (
        f"unable to obtain exclusive access to this record or 1 records: {record_id}"
    )
