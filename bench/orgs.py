"""The benchmark's emulated orgs: setup, seeding, admin calls and checks.

The source org (A) allows the Case Status "On Hold" that the target org (B) rejects
with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST; the bad-record scenario seeds 1% of
the Cases with it. B has the external-ID field ``Source_Case_Id__c`` that orgbridge
and the sObject Collections script upsert on. Both orgs have a daily API limit far
above anything a benchmark spends, so no method is stopped by the limit.

The harness talks to the orgs with a plain ``httpx.Client``: seeding and checks are
not part of any measurement, and they run with the injected latency switched off.
"""

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from orgbridge.demo.cases import CasePicklists, generate_cases
from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    OrgConfig,
    PicklistConfig,
    UserConfig,
)
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.ids import make_id, to_18

logger = logging.getLogger(__name__)

API_VERSION = "62.0"
DAILY_API_LIMIT = 100_000_000
COLLECTION_SIZE = 200
EXTERNAL_ID_FIELD = "Source_Case_Id__c"
BAD_STATUS = "On Hold"
# Fields every method copies from A to B.
CASE_FIELDS = (
    "Subject",
    "Description",
    "Status",
    "Origin",
    "Priority",
    "Type",
    "Reason",
    "SuppliedName",
    "SuppliedEmail",
    "SuppliedCompany",
)
TARGET_STATUSES = ("New", "Working", "Escalated", "Closed")
PICKLISTS = CasePicklists(
    status=TARGET_STATUSES,
    origin=("Phone", "Email", "Web", "Chat"),
    priority=("High", "Medium", "Low"),
)
HTTP_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class BenchSetupError(RuntimeError):
    """Seeding, an admin call or a check of the orgs failed."""


@dataclass(frozen=True)
class OrgAccess:
    """The URL, client id, secret and CA bundle a method uses to reach one org."""

    instance_url: str
    client_id: str
    client_secret: str
    ca_bundle: Path


def source_config(client_secret: str) -> OrgConfig:
    """Build org A: Status also allows BAD_STATUS, which B rejects."""
    org_id = to_18("00DA0000000BNCA")
    return OrgConfig(
        name="bench-a",
        org_id=org_id,
        pod="A2",
        users=(_user("integration@bench-a.example", "A2"),),
        connected_apps=(_app("bench-a", client_secret, "integration@bench-a.example"),),
        picklists=(
            PicklistConfig(
                "Case", "Status", (*TARGET_STATUSES, BAD_STATUS), "New", True
            ),
        ),
        daily_api_limit=DAILY_API_LIMIT,
    )


def target_config(client_secret: str) -> OrgConfig:
    """Build org B: a unique, case-sensitive external-ID field for the source Id."""
    org_id = to_18("00DB0000000BNCB")
    return OrgConfig(
        name="bench-b",
        org_id=org_id,
        pod="B2",
        users=(_user("integration@bench-b.example", "B2"),),
        connected_apps=(_app("bench-b", client_secret, "integration@bench-b.example"),),
        custom_fields=(
            CustomFieldConfig(
                sobject="Case",
                name=EXTERNAL_ID_FIELD,
                label="Source Case ID",
                length=18,
                external_id=True,
                unique=True,
                case_sensitive=True,
            ),
        ),
        picklists=(PicklistConfig("Case", "Status", TARGET_STATUSES, "New", True),),
        daily_api_limit=DAILY_API_LIMIT,
    )


def _user(username: str, pod: str) -> UserConfig:
    # UTC, so that CreatedDate = TODAY covers every Case seeded during the run
    # unless the run crosses midnight UTC.
    return UserConfig(
        username=username, user_id=make_id("005", pod, 1), time_zone="UTC"
    )


def _app(client_id: str, client_secret: str, run_as: str) -> ConnectedAppConfig:
    return ConnectedAppConfig(
        name="bench",
        client_id=client_id,
        client_secret=client_secret,
        allowed_flows=frozenset({"client_credentials"}),
        run_as=run_as,
    )


class BenchOrg:
    """One started emulated org with a token and an HTTP client for the harness."""

    def __init__(self, org: EmulatedOrg, client_id: str, client_secret: str) -> None:
        self.org = org
        self.access = OrgAccess(
            org.instance_url, client_id, client_secret, org.ca_bundle
        )
        self.http = httpx.Client(
            base_url=org.instance_url,
            verify=str(org.ca_bundle),
            timeout=HTTP_TIMEOUT,
        )
        self._token: str | None = None

    def close(self) -> None:
        """Close the harness's HTTP client (the org itself is stopped by its owner)."""
        self.http.close()

    # Admin API: not counted as API calls.

    def counters(self) -> dict[str, Any]:
        """Return total_calls, calls_by_endpoint and records_written of the org."""
        return self._admin("GET", "/_emulator/counters")

    def reset_counters(self) -> None:
        """Set the org's call and write counters to zero."""
        self._admin("POST", "/_emulator/counters/reset")

    def set_latency(self, latency_ms: float) -> None:
        """Inject ``latency_ms`` before every REST response; no other fault."""
        self._admin("PUT", "/_emulator/faults", {"latency_ms": latency_ms})

    def _admin(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = self.http.request(
            method,
            path,
            json=body,
            headers={"Authorization": f"Bearer {self.org.admin_token}"},
        )
        if response.status_code != 200:
            raise BenchSetupError(
                f"admin {method} {path} on {self.org.config.name} failed: "
                f"{response.status_code} {response.text[:200]}"
            )
        result: dict[str, Any] = response.json()
        return result

    # REST calls of the harness itself (seeding and checks).

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one REST call under /services/data/vNN.0/ with the harness's token."""
        headers = {
            **kwargs.pop("headers", {}),
            "Authorization": f"Bearer {self._access_token()}",
        }
        url = f"/services/data/v{API_VERSION}/{path}"
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 300:
            raise BenchSetupError(
                f"{method} {path} on {self.org.config.name} failed: "
                f"{response.status_code} {response.text[:300]}"
            )
        return response

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        """Run a SOQL query and follow nextRecordsUrl to the last page."""
        page = self.rest("GET", "query", params={"q": soql}).json()
        records: list[dict[str, Any]] = list(page["records"])
        for _ in range(1_000_000):
            next_url = page.get("nextRecordsUrl")
            if page["done"] or not next_url:
                break
            prefix = f"/services/data/v{API_VERSION}/"
            page = self.rest("GET", next_url.removeprefix(prefix)).json()
            records.extend(page["records"])
        return records

    def create_cases(self, cases: list[dict[str, Any]]) -> None:
        """Create Cases through sObject Collections, 200 a call; raise on a failure."""
        for start in range(0, len(cases), COLLECTION_SIZE):
            chunk = cases[start : start + COLLECTION_SIZE]
            body = {
                "allOrNone": True,
                "records": [{"attributes": {"type": "Case"}, **c} for c in chunk],
            }
            results = self.rest("POST", "composite/sobjects", json=body).json()
            failed = [result for result in results if not result["success"]]
            if failed:
                raise BenchSetupError(f"seeding failed: {failed[0]}")

    def _access_token(self) -> str:
        if self._token is None:
            self._token = fetch_token(self.http, self.access)
        return self._token


def fetch_token(http: httpx.Client, access: OrgAccess) -> str:
    """Get an access token with the client credentials flow."""
    response = http.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": access.client_id,
            "client_secret": access.client_secret,
        },
    )
    if response.status_code != 200:
        # The OAuth error body names the error; it never contains the secret.
        raise BenchSetupError(
            f"token request for {access.client_id} failed: {response.text[:200]}"
        )
    token: str = response.json()["access_token"]
    return token


def seed_cases(count: int, *, bad_every: int | None = None) -> list[dict[str, Any]]:
    """Build ``count`` Cases; with ``bad_every``, every such Case gets BAD_STATUS."""
    cases = list(generate_cases(count, PICKLISTS))
    if bad_every is not None:
        for index in range(bad_every - 1, count, bad_every):
            cases[index]["Status"] = BAD_STATUS
    return cases


@contextmanager
def started_org(config: OrgConfig, tls_dir: Path) -> Iterator[BenchOrg]:
    """Start an org on 127.0.0.1 with no latency; stop it on exit."""
    app = config.connected_apps[0]
    assert app.client_secret is not None
    org = EmulatedOrg(config, tls_dir=tls_dir)
    org.start()
    bench_org: BenchOrg | None = None
    try:
        bench_org = BenchOrg(org, app.client_id, app.client_secret)
        yield bench_org
    finally:
        if bench_org is not None:
            bench_org.close()
        org.stop()


def new_secret() -> str:
    """Return a random client secret for one benchmark run's connected apps."""
    return secrets.token_urlsafe(24)
