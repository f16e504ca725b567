"""A response's body is freed as soon as the caller drops it, without a GC pass."""

import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import parse_connection_config

BASE = "https://acme.my.salesforce.com"
PAGE = {"totalSize": 1, "done": True, "records": [{"Id": "500A", "Subject": "x"}]}


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/services/oauth2/token":
        body = {
            "access_token": "00Dxx!token",
            "instance_url": BASE,
            "id": f"{BASE}/id/00Dxx/005xx",
            "token_type": "Bearer",
        }
        return httpx.Response(200, json=body)
    return httpx.Response(200, json=PAGE)


@pytest.fixture
def gc_disabled() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_response_freed_by_refcount(
    monkeypatch: pytest.MonkeyPatch, gc_disabled: None
) -> None:
    monkeypatch.setenv("MEMORY_TEST_SECRET", "cc-secret-value")
    connection = parse_connection_config(
        "fake",
        {
            "login_url": BASE,
            "auth": "client_credentials",
            "client_id": "key",
            "client_secret": {"env": "MEMORY_TEST_SECRET"},
        },
    )
    transport = httpx.MockTransport(handler)
    async with SalesforceClient(connection, transport=transport) as client:
        response = await client.request("GET", "query", idempotent=True)
        assert response.json() == PAGE
        alive = weakref.ref(response)
        del response

        assert alive() is None
