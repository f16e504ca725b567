"""The emulated org's HTTP app: versions, auth errors, limits, faults, admin API."""

import time
from collections.abc import Callable

import httpx
import pytest
from oauth_helpers import (
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    bearer,
    client,
    token_request,
)

from orgbridge.emulator.config import FaultConfig, OrgConfig
from orgbridge.emulator.server import EmulatedOrg


def access_token(org: EmulatedOrg) -> str:
    response = token_request(
        org,
        grant_type="client_credentials",
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
    )
    return str(response.json()["access_token"])


def admin(org: EmulatedOrg, method: str, path: str, **kwargs: object) -> httpx.Response:
    with client(org) as http:
        return http.request(
            method,
            f"/_emulator/{path}",
            headers=bearer(org.admin_token),
            **kwargs,  # type: ignore[arg-type]
        )


def test_versions_without_auth(emulated_org: EmulatedOrg) -> None:
    with client(emulated_org) as http:
        bare = http.get("/services/data")
        slash = http.get("/services/data/")
    versions = bare.json()

    assert bare.status_code == 200
    assert slash.json() == versions
    assert "sforce-limit-info" not in bare.headers
    assert versions[0] == {
        "label": "Summer '14",
        "url": "/services/data/v31.0",
        "version": "31.0",
    }
    labels = {entry["version"]: entry["label"] for entry in versions}
    assert labels["62.0"] == "Winter '25"
    assert labels["60.0"] == "Spring '24"
    assert [float(v["version"]) for v in versions] == sorted(
        float(v["version"]) for v in versions
    )
    assert admin(emulated_org, "GET", "counters").json()["total_calls"] == 0


def test_missing_header_401(emulated_org: EmulatedOrg) -> None:
    with client(emulated_org) as http:
        missing = http.get("/services/data/v62.0/limits/")
        basic = http.get(
            "/services/data/v62.0/limits/", headers={"Authorization": "Basic eDp5"}
        )
    expected = [{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}]

    assert missing.status_code == 401
    assert missing.json() == expected
    assert basic.json() == expected
    assert missing.headers["content-type"] == "application/json;charset=UTF-8"


def test_invalid_token_401(emulated_org: EmulatedOrg) -> None:
    with client(emulated_org) as http:
        response = http.get(
            "/services/data/v62.0/limits/", headers=bearer("00Dx!bogus")
        )
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_unknown_version_404(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    with client(emulated_org) as http:
        response = http.get("/services/data/v20.0/limits/", headers=bearer(token))
        unknown = http.get("/services/data/v62.0/nothing", headers=bearer(token))
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
    assert unknown.status_code == 404
    assert unknown.json()[0]["errorCode"] == "NOT_FOUND"


def test_limits_and_limit_info(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    with client(emulated_org) as http:
        first = http.get("/services/data/v62.0/limits/", headers=bearer(token))
        second = http.get("/services/data/v62.0/limits", headers=bearer(token))
        resources = http.get("/services/data/v62.0/", headers=bearer(token))

    assert first.status_code == 200
    assert first.headers["sforce-limit-info"] == "api-usage=1/15000"
    assert second.headers["sforce-limit-info"] == "api-usage=2/15000"
    assert second.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14998}
    assert resources.json()["query"] == "/services/data/v62.0/query"
    counters = admin(emulated_org, "GET", "counters").json()
    assert counters["calls_by_endpoint"] == {"limits": 2, "resources": 1}
    assert counters["total_calls"] == 3


def test_daily_limit_exhausted(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> None:
    org = start_org(org_config_factory(daily_api_limit=2))
    token = access_token(org)
    with client(org) as http:
        statuses = [
            http.get("/services/data/v62.0/limits/", headers=bearer(token))
            for _ in range(3)
        ]

    assert [r.status_code for r in statuses] == [200, 200, 403]
    assert statuses[2].json() == [
        {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    assert statuses[2].headers["sforce-limit-info"] == "api-usage=2/2"


def test_admin_requires_token(emulated_org: EmulatedOrg) -> None:
    with client(emulated_org) as http:
        missing = http.get("/_emulator/counters")
        wrong = http.get("/_emulator/counters", headers=bearer("not-the-token"))
        reset = http.post("/_emulator/counters/reset")
        faults = http.put("/_emulator/faults", json={"latency_ms": 1})
    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert reset.status_code == 401
    assert faults.status_code == 401
    assert emulated_org.runtime.faults.config.latency_ms == 0


def test_admin_counters_reset(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    with client(emulated_org) as http:
        http.get("/services/data/v62.0/limits/", headers=bearer(token))
    reset = admin(emulated_org, "POST", "counters/reset").json()

    assert reset["total_calls"] == 0
    assert reset["records_written"] == 0
    assert reset["calls_by_endpoint"] == {}


def test_admin_faults_validation(emulated_org: EmulatedOrg) -> None:
    bad_rate = admin(emulated_org, "PUT", "faults", json={"server_unavailable_rate": 2})
    unknown = admin(emulated_org, "PUT", "faults", json={"nonsense": 1})
    good = admin(emulated_org, "PUT", "faults", json={"latency_ms": 5, "seed": 3})

    assert bad_rate.status_code == 400
    assert "server_unavailable_rate" in bad_rate.json()["error"]
    assert unknown.status_code == 400
    assert good.status_code == 200
    assert emulated_org.runtime.faults.config == FaultConfig(latency_ms=5, seed=3)


@pytest.mark.parametrize(
    ("setting", "status", "error_code"),
    [
        ("server_unavailable_rate", 503, "SERVER_UNAVAILABLE"),
        ("request_limit_exceeded_rate", 403, "REQUEST_LIMIT_EXCEEDED"),
    ],
)
def test_request_faults(
    emulated_org: EmulatedOrg, setting: str, status: int, error_code: str
) -> None:
    token = access_token(emulated_org)
    admin(emulated_org, "PUT", "faults", json={setting: 1.0})
    with client(emulated_org) as http:
        response = http.get("/services/data/v62.0/limits/", headers=bearer(token))

    assert response.status_code == status
    assert response.json()[0]["errorCode"] == error_code
    assert "sforce-limit-info" in response.headers


def test_token_expiry_fault(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    admin(emulated_org, "PUT", "faults", json={"token_expiry_after_calls": 2})
    with client(emulated_org) as http:
        path = "/services/data/v62.0/limits/"
        first = http.get(path, headers=bearer(token))
        second = http.get(path, headers=bearer(token))
        third = http.get(path, headers=bearer(token))
        fresh = http.get(path, headers=bearer(access_token(emulated_org)))

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert third.status_code == 401
    assert fresh.status_code == 200


def test_admin_expires_tokens(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    expired = admin(emulated_org, "POST", "tokens/expire").json()
    with client(emulated_org) as http:
        response = http.get("/services/data/v62.0/limits/", headers=bearer(token))

    assert expired == {"expired": 1}
    assert response.status_code == 401


def test_latency_fault(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    admin(emulated_org, "PUT", "faults", json={"latency_ms": 300})
    with client(emulated_org) as http:
        started = time.monotonic()
        http.get("/services/data/v62.0/limits/", headers=bearer(token))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3


def test_drop_after_commit_breaks_response(emulated_org: EmulatedOrg) -> None:
    token = access_token(emulated_org)
    admin(emulated_org, "PUT", "faults", json={"drop_after_commit_rate": 1.0})
    with client(emulated_org) as http:
        # Only writes are dropped, so a GET gets its full response.
        whole = http.get("/services/data/v62.0/limits/", headers=bearer(token))
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/services/data/v62.0/nothing", headers=bearer(token), json={})
    assert whole.status_code == 200
