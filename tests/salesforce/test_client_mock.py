"""Client mechanics against httpx.MockTransport: token renewal, retries, chunking."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import parse_connection_config
from orgbridge.salesforce.errors import (
    CollectionWriteError,
    DailyLimitExceededError,
    InvalidSessionError,
    MultipleMatchesError,
    OAuthError,
    OutcomeUnknownError,
    ValidationError,
)
from orgbridge.salesforce.limits import ApiUsage, parse_limit_info
from orgbridge.salesforce.retry import RetryPolicy

BASE = "https://acme.my.salesforce.com"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeOrg:
    """A scripted org: a token endpoint plus a REST handler chosen by the test."""

    def __init__(self, rest: Handler) -> None:
        self.rest = rest
        self.tokens_issued = 0
        self.valid_token = ""
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            self.tokens_issued += 1
            self.valid_token = f"00Dxx!token{self.tokens_issued}"
            body = {
                "access_token": self.valid_token,
                "instance_url": BASE,
                "id": f"{BASE}/id/00Dxx/005xx",
                "token_type": "Bearer",
            }
            return httpx.Response(200, json=body)

        self.requests.append(request)
        if request.headers["Authorization"] != f"Bearer {self.valid_token}":
            return httpx.Response(
                401,
                json=[
                    {
                        "message": "Session expired or invalid",
                        "errorCode": "INVALID_SESSION_ID",
                    }
                ],
            )
        response = self.rest(request)
        response.headers["Sforce-Limit-Info"] = f"api-usage={len(self.requests)}/15000"
        return response


def make_client(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> SalesforceClient:
    monkeypatch.setenv("FAKE_ORG_SECRET", "cc-secret-value")
    connection = parse_connection_config(
        "fake",
        {
            "login_url": BASE,
            "auth": "client_credentials",
            "client_id": "key",
            "client_secret": {"env": "FAKE_ORG_SECRET"},
        },
    )
    options.setdefault("retry", RetryPolicy.without_sleeping(4))
    return SalesforceClient(connection, transport=httpx.MockTransport(org), **options)


def error(status: int, code: str, message: str = "x") -> httpx.Response:
    return httpx.Response(status, json=[{"message": message, "errorCode": code}])


async def test_concurrent_401s_renew_once(monkeypatch: pytest.MonkeyPatch) -> None:
    org = FakeOrg(lambda request: httpx.Response(200, json={"Id": "500"}))
    async with make_client(org, monkeypatch) as client:
        await client.get("Case", "500A")
        org.valid_token = "rotated-by-server"  # every cached token is now invalid

        results = await asyncio.gather(*(client.get("Case", "500A") for _ in range(10)))

    assert len(results) == 10
    assert org.tokens_issued == 2
    assert client.tokens.generation == 2


async def test_401_renewed_again_after_503(monkeypatch: pytest.MonkeyPatch) -> None:
    def rest(request: httpx.Request) -> httpx.Response:
        if len(org.requests) == 3:
            # The token expires again while the org is unavailable.
            org.valid_token = "rotated-during-503"
            return error(503, "SERVER_UNAVAILABLE")
        return httpx.Response(200, json={"Id": "500A"})

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        await client.get("Case", "500A")
        org.valid_token = "rotated-before-request"

        record = await client.get("Case", "500A")

    assert record == {"Id": "500A"}
    assert org.tokens_issued == 3
    assert client.retries["SERVER_UNAVAILABLE"] == 1


async def test_401_twice_in_a_row_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def rest(request: httpx.Request) -> httpx.Response:
        return error(401, "INVALID_SESSION_ID", "Session expired or invalid")

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        with pytest.raises(InvalidSessionError):
            await client.get("Case", "500A")

    assert org.tokens_issued == 2


async def test_limit_info_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    org = FakeOrg(lambda request: httpx.Response(200, json={}))
    async with make_client(
        org, monkeypatch, auto_assign=False, allow_duplicate_save=True
    ) as client:
        await client.get("Case", "500A")
        await client.limits()

    assert client.api_usage == ApiUsage(used=2, max=15000)
    assert client.calls_made == 2
    headers = org.requests[0].headers
    assert headers["Sforce-Call-Options"] == "client=orgbridge"
    assert headers["Sforce-Auto-Assign"] == "FALSE"
    assert headers["Sforce-Duplicate-Rule-Header"] == "allowSave=true"


def test_parse_limit_info_variants() -> None:
    assert parse_limit_info("api-usage=18/5000") == ApiUsage(18, 5000)
    per_app = "per-app-api-usage=17/250(appName=x); api-usage=25/5000"
    assert parse_limit_info(per_app) == ApiUsage(25, 5000)
    assert parse_limit_info("api-usage=10018/100000; api-bursts=1/750") == ApiUsage(
        10018, 100000
    )
    assert parse_limit_info(None) is None


async def test_503_retried_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = iter([503, 503, 200])

    def rest(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 503:
            return error(503, "SERVER_UNAVAILABLE")
        return httpx.Response(201, json={"id": "500NEW", "success": True, "errors": []})

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        record_id = await client.create("Case", {"Subject": "a"})

    assert record_id == "500NEW"
    assert client.retries["SERVER_UNAVAILABLE"] == 2
    assert client.calls_made == 3


async def test_daily_limit_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    org = FakeOrg(
        lambda request: error(
            403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
        )
    )
    async with make_client(org, monkeypatch) as client:
        with pytest.raises(DailyLimitExceededError):
            await client.get("Case", "500A")
    assert len(org.requests) == 1
    assert sum(client.retries.values()) == 0


async def test_concurrent_limit_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = iter(
        [
            error(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests"),
            httpx.Response(200, json={}),
        ]
    )
    org = FakeOrg(lambda request: next(replies))
    async with make_client(org, monkeypatch) as client:
        await client.get("Case", "500A")
    assert client.retries["REQUEST_LIMIT_EXCEEDED"] == 1


async def test_create_not_retried_after_read_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rest(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        with pytest.raises(OutcomeUnknownError, match="not retried"):
            await client.create("Case", {"Subject": "a"})
        with pytest.raises(CollectionWriteError) as caught:
            await client.create_many("Case", [{"Subject": "a"}])
    assert caught.value.results == [None]
    assert isinstance(caught.value.errors[0], OutcomeUnknownError)
    assert len(org.requests) == 2
    assert sum(client.retries.values()) == 0


async def test_get_retried_after_read_error(monkeypatch: pytest.MonkeyPatch) -> None:
    failures = iter([True, False])

    def rest(request: httpx.Request) -> httpx.Response:
        if next(failures):
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"Id": "500A"})

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        record = await client.get("Case", "500A")
    assert record == {"Id": "500A"}
    assert client.retries["ReadTimeout"] == 1


async def test_create_retried_after_connect_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures = iter([True, False])

    def rest(request: httpx.Request) -> httpx.Response:
        if next(failures):
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"id": "500B", "success": True, "errors": []})

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        assert await client.create("Case", {"Subject": "a"}) == "500B"
    assert client.retries["ConnectError"] == 1


async def test_lock_retry_resends_only_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    bodies: list[list[dict[str, Any]]] = []

    def rest(request: httpx.Request) -> httpx.Response:
        records = json.loads(request.content)["records"]
        bodies.append(records)
        results = []
        for record in records:
            if record["Ext__c"] in ("e1", "e3") and len(bodies) == 1:
                failure = {"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}
                results.append({"success": False, "errors": [failure]})
            else:
                item = {"id": "500" + record["Ext__c"], "success": True, "errors": []}
                results.append({**item, "created": True})
        return httpx.Response(200, json=results)

    org = FakeOrg(rest)
    records = [{"Ext__c": f"e{i}", "Subject": "s"} for i in range(5)]
    async with make_client(org, monkeypatch) as client:
        results = await client.upsert_many("Case", "Ext__c", records)

    assert [result.id for result in results] == [f"500e{i}" for i in range(5)]
    assert all(result.success for result in results)
    assert [record["Ext__c"] for record in bodies[1]] == ["e1", "e3"]
    assert client.retries["UNABLE_TO_LOCK_ROW"] == 1
    assert bodies[0][0]["attributes"] == {"type": "Case"}


async def test_chunks_keep_input_order(monkeypatch: pytest.MonkeyPatch) -> None:
    def rest(request: httpx.Request) -> httpx.Response:
        records = json.loads(request.content)["records"]
        return httpx.Response(
            200,
            json=[
                {"id": f"500{r['Subject']}", "success": True, "errors": []}
                for r in records
            ],
        )

    org = FakeOrg(rest)
    records = [{"Subject": str(i)} for i in range(450)]
    async with make_client(org, monkeypatch) as client:
        results = await client.create_many("Case", records, concurrency=3)

    assert [result.id for result in results] == [f"500{i}" for i in range(450)]
    assert [len(json.loads(r.content)["records"]) for r in org.requests] == [
        200,
        200,
        50,
    ]


async def test_query_follows_next_url_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    def rest(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            body = {
                "totalSize": 3,
                "done": False,
                "nextRecordsUrl": "/services/data/v62.0/query/01gXX-2",
                "records": [{"Id": "1"}, {"Id": "2"}],
            }
        else:
            body = {"totalSize": 3, "done": True, "records": [{"Id": "3"}]}
        return httpx.Response(200, json=body)

    org = FakeOrg(rest)
    async with make_client(org, monkeypatch) as client:
        pages = client.query("SELECT Id FROM Case", batch_size=200)
        first = await anext(pages)
        assert len(org.requests) == 1
        ids = [
            record["Id"] async for record in client.query_records("SELECT Id FROM Case")
        ]

    assert [record["Id"] for record in first.records] == ["1", "2"]
    assert ids == ["1", "2", "3"]
    assert org.requests[0].headers["Sforce-Query-Options"] == "batchSize=200"
    assert org.requests[0].url.params["q"] == "SELECT Id FROM Case"


async def test_upsert_multiple_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    org = FakeOrg(lambda request: httpx.Response(300, json=["/a/500A", "/a/500B"]))
    async with make_client(org, monkeypatch) as client:
        with pytest.raises(MultipleMatchesError) as caught:
            await client.upsert("Case", "Ext__c", "x/1", {"Subject": "s"})
    assert caught.value.record_urls == ["/a/500A", "/a/500B"]
    assert org.requests[0].url.raw_path.endswith(b"/Ext__c/x%2F1")


async def test_validation_error_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    body = [
        {
            "message": "Required fields are missing: [Subject]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Subject"],
        }
    ]
    org = FakeOrg(lambda request: httpx.Response(400, json=body))
    async with make_client(org, monkeypatch) as client:
        with pytest.raises(ValidationError) as caught:
            await client.update("Case", "500A", {"Subject": None})
    assert caught.value.status == 400
    assert caught.value.error_code == "REQUIRED_FIELD_MISSING"
    assert caught.value.fields == ["Subject"]


async def test_oauth_error_has_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "error": "invalid_client",
            "error_description": "invalid client credentials",
        }
        return httpx.Response(400, json=body)

    monkeypatch.setenv("FAKE_ORG_SECRET", "cc-secret-value")
    connection = parse_connection_config(
        "fake",
        {
            "login_url": BASE,
            "auth": "client_credentials",
            "client_id": "key",
            "client_secret": {"env": "FAKE_ORG_SECRET"},
        },
    )
    async with SalesforceClient(
        connection, transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(OAuthError, match="Check client_secret") as caught:
            await client.limits()
    assert caught.value.error == "invalid_client"
    assert "cc-secret-value" not in str(caught.value)
