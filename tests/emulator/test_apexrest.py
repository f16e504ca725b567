"""The createcases Apex REST endpoint in-process: all or none, Apex responses."""

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

PATH = "/services/apexrest/records/createcases"
USER_ID = make_id("005", "A0", 1)


@pytest.fixture
def runtime() -> OrgRuntime:
    config = OrgConfig(
        users=(UserConfig(username="admin@apex.example", user_id=USER_ID),),
        connected_apps=(
            ConnectedAppConfig(
                name="apex-tests",
                client_id="apex-client",
                client_secret="apex-secret-c4f2",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@apex.example",
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
                "client_id": "apex-client",
                "client_secret": "apex-secret-c4f2",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runtime.counters.reset()
        yield client
    runtime.close()


def cases(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"Subject": f"Case {n}", "Origin": "Web", **fields} for n in range(count)]


async def test_inserts_all_in_one_transaction(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    response = await api.post(PATH, json={"cases": cases(5, Description="d")})
    rows = runtime.db.execute(
        'SELECT DISTINCT "SystemModstamp", "Origin", "Status" FROM "Case"'
    ).fetchall()

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == "5 cases created successfully."
    assert runtime.store.count("Case") == 5
    assert len(rows) == 1
    assert (rows[0]["Origin"], rows[0]["Status"]) == ("Web", "New")


async def test_one_bad_case_inserts_none(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    batch = cases(3)
    batch[2]["Status"] = "Bogus"

    response = await api.post(PATH, json={"cases": batch})

    assert response.status_code == 400
    assert response.json() == (
        "Error: Insert failed. First exception on row 2; first error: "
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, Status: bad value for restricted "
        "picklist field: Bogus: [Status]"
    )
    assert runtime.store.count("Case", include_deleted=True) == 0
    assert runtime.counters.snapshot()["records_written"] == 0


async def test_first_failing_row_reported(api: httpx.AsyncClient) -> None:
    batch = cases(4)
    batch[1]["Subject"] = "s" * 256
    batch[3]["Status"] = "Bogus"

    response = await api.post(PATH, json={"cases": batch})

    assert response.json().startswith(
        "Error: Insert failed. First exception on row 1; first error: STRING_TOO_LONG"
    )


async def test_other_keys_ignored(api: httpx.AsyncClient, runtime: OrgRuntime) -> None:
    response = await api.post(
        PATH, json={"cases": [{"Subject": "s", "Priority": "High", "Nope": 1}]}
    )
    row = runtime.db.execute('SELECT "Priority" FROM "Case"').fetchone()

    assert response.status_code == 201
    assert row["Priority"] == "Medium"


async def test_empty_list_creates_nothing(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    response = await api.post(PATH, json={"cases": []})

    assert response.status_code == 201
    assert response.json() == "0 cases created successfully."
    assert runtime.store.count("Case") == 0


@pytest.mark.parametrize(
    "content",
    [b"{", b"[1]", b'{"cases": 3}', b'{"cases": [1]}', b'{"other": []}'],
)
async def test_unbindable_body_is_parser_error(
    api: httpx.AsyncClient, runtime: OrgRuntime, content: bytes
) -> None:
    response = await api.post(
        PATH, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert runtime.store.count("Case") == 0


async def test_counted_as_apexrest_call(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    await api.post(PATH, json={"cases": cases(2)})

    counts = runtime.counters.snapshot()

    assert counts["calls_by_endpoint"] == {"apexrest": 1}
    assert counts["records_written"] == 2


async def test_needs_session(api: httpx.AsyncClient) -> None:
    response = await api.post(
        PATH, json={"cases": cases(1)}, headers={"Authorization": "Bearer nope"}
    )

    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


async def test_get_not_allowed(api: httpx.AsyncClient) -> None:
    response = await api.get(PATH)

    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
