"""Odd client input on every record route: always a 4xx error array, never a 500."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orgbridge.emulator.app import create_app
from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    OrgConfig,
    UserConfig,
)
from orgbridge.emulator.runtime import OrgRuntime, open_org
from orgbridge.salesforce.ids import make_id

V = "/services/data/v62.0"
USER_ID = make_id("005", "A0", 1)
CASE_ID = make_id("500", "A0", 1)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def runtime() -> OrgRuntime:
    config = OrgConfig(
        users=(UserConfig(username="admin@input.example", user_id=USER_ID),),
        connected_apps=(
            ConnectedAppConfig(
                name="input-tests",
                client_id="input-client",
                client_secret="input-secret-0e6a",
                allowed_flows=frozenset({"client_credentials"}),
                run_as="admin@input.example",
            ),
        ),
        custom_fields=(
            CustomFieldConfig(
                sobject="Case", name="Ext__c", external_id=True, unique=True
            ),
            CustomFieldConfig(sobject="Case", name="Count__c", type="int"),
        ),
    )
    runtime = open_org(config)
    runtime.store.create("Case", {"Subject": "first"}, user_id=USER_ID)
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
                "client_id": "input-client",
                "client_secret": "input-secret-0e6a",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client
    runtime.close()


# (method, path, raw body or None, extra headers, expected status, errorCode)
CORPUS: list[tuple[str, str, bytes | None, dict[str, str], int, str]] = [
    ("POST", "sobjects/Case", b'{"Subject": "\\ud800"}', JSON,
     400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"\\udfff": 1}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"Subject": "a"}', {"Content-Type": "text/plain"},
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("POST", "sobjects/Case", b"<Case/>", {"Content-Type": "application/xml"},
     415, "UNSUPPORTED_MEDIA_TYPE"),
    ("POST", "sobjects/Case", b"", JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b"\xff\xfe", JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b"[]", JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'"text"', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"Subject": {"a": 1}}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"Count__c": 1e400}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"Count__c": 99999999999999999999999}', JSON,
     400, "NUMBER_OUTSIDE_VALID_RANGE"),
    ("POST", "sobjects/Case", b'{"Count__c": "12x"}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"IsEscalated": 1}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "sobjects/Case", b'{"Subject": "a\\u0000b"}', JSON,
     400, "JSON_PARSER_ERROR"),
    ("PATCH", f"sobjects/Case/{CASE_ID}", b'{"ParentId": 5}', JSON,
     400, "JSON_PARSER_ERROR"),
    ("PATCH", "sobjects/Case/Ext__c/k", b'{"Ext__c": "k"}', JSON, 400, "INVALID_FIELD"),
    ("PATCH", "sobjects/Case/Ext__c/a/b", b"{}", JSON, 404, "NOT_FOUND"),
    ("GET", f"sobjects/Case/{CASE_ID}?fields=Subject,Nope", None, {},
     400, "INVALID_FIELD"),
    ("GET", "sobjects/Case/updated/?start=yesterday&end=now", None, {},
     400, "INVALID_REPLICATION_DATE"),
    ("GET", "sobjects/Case/deleted/", None, {}, 400, "MISSING_ARGUMENT"),
    ("GET", "query/not-a-locator", None, {}, 400, "INVALID_QUERY_LOCATOR"),
    ("POST", "composite/sobjects", b'{"records": {}}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "composite/sobjects/Case", b'{"ids": ["x"], "fields": [1]}', JSON,
     400, "JSON_PARSER_ERROR"),
    ("POST", "composite/sobjects/Case", b'{"ids": "x"}', JSON,
     400, "JSON_PARSER_ERROR"),
    ("DELETE", "composite/sobjects", None, {}, 400, "MISSING_ARGUMENT"),
    ("PUT", "composite/sobjects", b"{}", JSON, 405, "METHOD_NOT_ALLOWED"),
    ("POST", "composite", b'{"compositeRequest": []}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "composite", b'{"compositeRequest": [1]}', JSON, 400, "JSON_PARSER_ERROR"),
    ("POST", "composite", b'{"compositeRequest": "x"}', JSON, 400, "JSON_PARSER_ERROR"),
    ("GET", "composite/other", None, {}, 404, "NOT_FOUND"),
    ("GET", "sobjects/Case/describe/extra/parts", None, {}, 404, "NOT_FOUND"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "content", "headers", "status", "code"),
    CORPUS,
    ids=[f"{c[0]} {c[1][:30]} {c[5]}" for c in CORPUS],
)
async def test_odd_input_answered(
    api: httpx.AsyncClient,
    method: str,
    path: str,
    content: bytes | None,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await api.request(
        method, f"{V}/{path}", content=content, headers=headers
    )
    body: Any = response.json()

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert isinstance(body, list)
    assert body[0]["errorCode"] == code
    assert isinstance(body[0]["message"], str)


async def test_emoji_escape_pair_accepted(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    response = await api.post(
        f"{V}/sobjects/Case",
        content=b'{"Subject": "fire \\ud83d\\udd25"}',
        headers=JSON,
    )
    record_id = response.json()["id"]

    assert response.status_code == 201
    assert runtime.store.retrieve("Case", record_id, ["Subject"]) == {
        "Subject": "fire \U0001f525"
    }


async def test_control_characters_kept(
    api: httpx.AsyncClient, runtime: OrgRuntime
) -> None:
    text = "tab\there\nbell\x07 esc\x1b"

    response = await api.post(f"{V}/sobjects/Case", json={"Description": text})
    record_id = response.json()["id"]

    assert response.status_code == 201
    assert runtime.store.retrieve("Case", record_id, ["Description"]) == {
        "Description": text
    }


async def test_body_without_content_type_read_as_json(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{V}/sobjects/Case", content=b'{"Subject": "bare"}')

    assert response.status_code == 201
