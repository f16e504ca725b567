"""query and queryAll in-process: paging, batch size clamping, errors."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig, UserConfig
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.salesforce.ids import make_id

V = "/services/data/v62.0"
USER_ID = make_id("005", "A0", 1)
ROWS = 450


class Clock:
    """The org's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 6, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(clock: Clock) -> OrgRuntime:
    config = OrgConfig(
        users=(
            UserConfig(
                username="admin@query.example",
                user_id=USER_ID,
                time_zone="America/Los_Angeles",
            ),
        ),
        connected_apps=(
            ConnectedAppConfig(
                name="query-tests",
                client_id="query-client",
                client_secret="query-secret-90d3",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@query.example",
            ),
        ),
    )
    runtime = open_org(config, clock=clock)
    with runtime.store.transaction():
        for n in range(ROWS):
            runtime.store.create("Case", {"Subject": f"row {n}"}, user_id=USER_ID)
    return runtime


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
                "client_id": "query-client",
                "client_secret": "query-secret-90d3",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runtime.counters.reset()
        yield client
    runtime.close()


async def all_pages(
    api: httpx.AsyncClient, first_url: str, **kwargs: Any
) -> list[dict[str, Any]]:
    pages = [(await api.get(first_url, **kwargs)).json()]
    while not pages[-1]["done"]:
        pages.append((await api.get(pages[-1]["nextRecordsUrl"], **kwargs)).json())
    return pages


async def test_pages_follow_next_records_url(api: httpx.AsyncClient) -> None:
    pages = await all_pages(
        api,
        f"{V}/query?q=SELECT Id, Subject FROM Case ORDER BY Id",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    ids = [r["Id"] for page in pages for r in page["records"]]

    assert [len(p["records"]) for p in pages] == [200, 200, 50]
    assert {p["totalSize"] for p in pages} == {ROWS}
    assert len(set(ids)) == ROWS
    assert ids == sorted(ids)
    assert pages[0]["nextRecordsUrl"].startswith(f"{V}/query/01g")
    assert pages[0]["nextRecordsUrl"].endswith("-200")
    assert "nextRecordsUrl" not in pages[-1]


@pytest.mark.parametrize(("asked", "page"), [("50", 200), ("999999", ROWS)])
async def test_batch_size_clamped(
    api: httpx.AsyncClient, asked: str, page: int
) -> None:
    response = await api.get(
        f"{V}/query",
        params={"q": "SELECT Id FROM Case"},
        headers={"Sforce-Query-Options": f"batchSize={asked}"},
    )

    assert len(response.json()["records"]) == page


async def test_default_batch_is_2000(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{V}/query", params={"q": "SELECT Id FROM Case"})

    assert response.json()["done"] is True
    assert len(response.json()["records"]) == ROWS


async def test_query_all_includes_deleted(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    first = (
        await api.get(f"{V}/query", params={"q": "SELECT Id FROM Case LIMIT 1"})
    ).json()["records"][0]["Id"]
    await api.delete(f"{V}/sobjects/Case/{first}")
    soql = f"SELECT Id, IsDeleted FROM Case WHERE Id = '{first}'"

    live = await api.get(f"{V}/query", params={"q": soql})
    every = await api.get(f"{V}/queryAll", params={"q": soql})

    assert live.json()["totalSize"] == 0
    assert every.json()["records"][0]["IsDeleted"] is True


async def test_query_all_pages_keep_deleted(api: httpx.AsyncClient) -> None:
    page = (
        await api.get(f"{V}/query", params={"q": "SELECT Id FROM Case LIMIT 1"})
    ).json()
    await api.delete(f"{V}/sobjects/Case/{page['records'][0]['Id']}")

    pages = await all_pages(
        api,
        f"{V}/queryAll?q=SELECT Id FROM Case",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )

    assert sum(len(p["records"]) for p in pages) == ROWS
    assert pages[0]["nextRecordsUrl"].startswith(f"{V}/query/")


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Nope FROM Case", "INVALID_FIELD"),
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
        ("SELEC Id FROM Case", "MALFORMED_QUERY"),
    ],
)
async def test_soql_errors(api: httpx.AsyncClient, soql: str, code: str) -> None:
    response = await api.get(f"{V}/query", params={"q": soql})

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


async def test_missing_q_and_bad_locator(api: httpx.AsyncClient) -> None:
    missing = await api.get(f"{V}/query")
    locator = await api.get(f"{V}/query/01gA0000000BOGUSAAA-200")

    assert missing.status_code == 400
    assert missing.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert locator.status_code == 400
    assert locator.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


async def test_post_to_query_405(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/query", json={"q": "SELECT Id FROM Case"})

    assert response.status_code == 405


async def test_each_page_is_one_call(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    await all_pages(
        api,
        f"{V}/query?q=SELECT Id FROM Case",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )

    assert runtime.counters.snapshot()["calls_by_endpoint"] == {"query": 3}


async def test_date_literals_use_user_zone(
    api: httpx.AsyncClient, runtime: OrgRuntime, clock: Clock
) -> None:
    # 10:00 UTC on 29 February is that day in Los Angeles, and at 06:00 UTC on
    # 1 March it is still 29 February there, so TODAY matches for this user.
    clock.now = datetime(2024, 2, 29, 10, tzinfo=UTC)
    runtime.store.create("Case", {"Subject": "leap"}, user_id=USER_ID)
    clock.now = datetime(2024, 3, 1, 6, tzinfo=UTC)
    where = "FROM Case WHERE Subject = 'leap' AND CreatedDate"

    today = await api.get(f"{V}/query", params={"q": f"SELECT Id {where} = TODAY"})
    yesterday = await api.get(
        f"{V}/query", params={"q": f"SELECT Id {where} = YESTERDAY"}
    )

    assert today.json()["totalSize"] == 1
    assert yesterday.json()["totalSize"] == 0
