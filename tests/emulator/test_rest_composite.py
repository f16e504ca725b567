"""The composite resource in-process: references, allOrNone, one API call."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import (
    ConnectedAppConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.salesforce.ids import make_id

V = "/services/data/v62.0"
USER_ID = make_id("005", "A0", 1)
HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in "
        "the same transaction failed.",
    }
]


@pytest.fixture
def runtime() -> OrgRuntime:
    config = OrgConfig(
        users=(UserConfig(username="admin@comp.example", user_id=USER_ID),),
        connected_apps=(
            ConnectedAppConfig(
                name="comp-tests",
                client_id="comp-client",
                client_secret="comp-secret-7a19",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@comp.example",
            ),
        ),
        picklists=(
            PicklistConfig(
                sobject="Case",
                field="Status",
                values=("New", "Closed"),
                default="New",
                restricted=True,
            ),
        ),
    )
    return open_org(config)


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
                "client_id": "comp-client",
                "client_secret": "comp-secret-7a19",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runtime.counters.reset()
        yield client
    runtime.close()


async def composite(
    api: httpx.AsyncClient, *subrequests: dict[str, Any], all_or_none: bool = False
) -> list[dict[str, Any]]:
    response = await api.post(
        f"{V}/composite",
        json={"allOrNone": all_or_none, "compositeRequest": list(subrequests)},
    )
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()["compositeResponse"]
    return answers


def sub(method: str, path: str, ref: str, body: Any = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": f"{V}/{path}",
        "referenceId": ref,
    }
    if body is not None:
        request["body"] = body
    return request


async def test_reference_chain(api: httpx.AsyncClient, runtime: OrgRuntime) -> None:
    answers = await composite(
        api,
        sub("POST", "sobjects/Account", "acct", {"Name": "Acme"}),
        sub(
            "POST", "sobjects/Case", "case", {"Subject": "x", "AccountId": "@{acct.id}"}
        ),
        sub("GET", "sobjects/Case/@{case.id}?fields=AccountId,Subject", "read"),
        sub("GET", "query?q=SELECT+Id+FROM+Case+WHERE+AccountId='@{acct.id}'", "q"),
        sub("PATCH", "sobjects/Case/@{q.records[0].Id}", "close", {"Status": "Closed"}),
    )

    assert [a["httpStatusCode"] for a in answers] == [201, 201, 200, 200, 204]
    assert [a["referenceId"] for a in answers] == ["acct", "case", "read", "q", "close"]
    assert answers[0]["httpHeaders"]["Location"].startswith(f"{V}/sobjects/Account/")
    assert answers[2]["body"]["AccountId"] == answers[0]["body"]["id"]
    assert answers[3]["body"]["records"][0]["Id"] == answers[1]["body"]["id"]
    assert answers[4]["body"] is None
    case_id = answers[1]["body"]["id"]
    assert runtime.store.retrieve("Case", case_id, ["IsClosed"]) == {"IsClosed": True}


async def test_counts_one_call(api: httpx.AsyncClient, runtime: OrgRuntime) -> None:
    await composite(
        api,
        sub("POST", "sobjects/Case", "a", {"Subject": "1"}),
        sub("POST", "sobjects/Case", "b", {"Subject": "2"}),
        sub("GET", "sobjects/Case/@{a.id}", "c"),
    )

    counts = runtime.counters.snapshot()

    assert counts["total_calls"] == 1
    assert counts["calls_by_endpoint"] == {"composite": 1}
    assert counts["records_written"] == 2


async def test_all_or_none_rolls_back(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    answers = await composite(
        api,
        sub("POST", "sobjects/Case", "good", {"Subject": "kept?"}),
        sub("POST", "sobjects/Case", "bad", {"Status": "Bogus"}),
        sub("POST", "sobjects/Case", "later", {"Subject": "never run"}),
        all_or_none=True,
    )

    assert [a["httpStatusCode"] for a in answers] == [400, 400, 400]
    assert answers[0]["body"] == HALTED
    assert answers[1]["body"][0]["errorCode"] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    assert answers[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert runtime.store.count("Case", include_deleted=True) == 0
    assert runtime.counters.snapshot()["records_written"] == 0


async def test_without_all_or_none_keeps_going(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    answers = await composite(
        api,
        sub("POST", "sobjects/Case", "bad", {"Status": "Bogus"}),
        sub("POST", "sobjects/Case", "good", {"Subject": "kept"}),
    )

    assert [a["httpStatusCode"] for a in answers] == [400, 201]
    assert runtime.store.count("Case") == 1


async def test_reference_to_failed_subrequest(api: httpx.AsyncClient) -> None:
    answers = await composite(
        api,
        sub("POST", "sobjects/Case", "bad", {"Status": "Bogus"}),
        sub("GET", "sobjects/Case/@{bad.id}", "read"),
        sub("GET", "sobjects/Case/@{bad.id.more}", "deeper"),
    )

    assert answers[1]["httpStatusCode"] == 400
    assert answers[1]["body"][0]["errorCode"] == "INVALID_REFERENCE"
    assert answers[2]["body"][0]["errorCode"] == "INVALID_REFERENCE"


async def test_collections_inside_composite(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    records = [{"attributes": {"type": "Case"}, "Subject": f"c{n}"} for n in range(3)]

    answers = await composite(
        api,
        sub("POST", "composite/sobjects", "many", {"records": records}),
        sub("GET", "sobjects/Case/@{many[1].id}?fields=Subject", "second"),
    )

    assert answers[0]["httpStatusCode"] == 200
    assert len(answers[0]["body"]) == 3
    assert answers[1]["body"]["Subject"] == "c1"
    assert runtime.store.count("Case") == 3


@pytest.mark.parametrize(
    "request_json",
    [
        {"method": "POST", "url": f"{V}/composite", "referenceId": "nested"},
        {"method": "GET", "url": "/services/oauth2/userinfo", "referenceId": "x"},
        {"method": "TRACE", "url": f"{V}/sobjects/Case", "referenceId": "m"},
        {"method": "GET", "url": 7, "referenceId": "u"},
        {"method": "GET", "url": f"{V}/sobjects", "httpHeaders": "no"},
    ],
)
async def test_bad_subrequest_answered_400(
    api: httpx.AsyncClient, request_json: dict[str, Any]
) -> None:
    answers = await composite(api, request_json)

    assert answers[0]["httpStatusCode"] == 400
    assert isinstance(answers[0]["body"][0]["errorCode"], str)


async def test_more_than_25_rejected(api: httpx.AsyncClient) -> None:
    requests = [sub("GET", "sobjects/Case/describe", f"r{n}") for n in range(26)]

    response = await api.post(f"{V}/composite", json={"compositeRequest": requests})

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_BATCH_REQUEST"


async def test_25_subrequests_accepted(api: httpx.AsyncClient) -> None:
    requests = [
        sub("POST", "sobjects/Case", f"r{n}", {"Subject": "s"}) for n in range(25)
    ]

    answers = await composite(api, *requests)

    assert [a["httpStatusCode"] for a in answers] == [201] * 25


async def test_get_composite_405(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{V}/composite")

    assert response.status_code == 405
