"""Two emulated orgs (A: source, B: target) and helpers to drive the engine."""

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orgbridge.emulator.config import (
    CustomFieldConfig,
    PicklistConfig,
    quick_org_config,
)
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import ConnectionConfig, parse_connection_config
from orgbridge.salesforce.retry import RetryPolicy
from orgbridge.state import StateStore
from orgbridge.sync.pair import PairConfig, parse_pair_config

SECRET_ENV = {"a": "ORGBRIDGE_TEST_A_SECRET", "b": "ORGBRIDGE_TEST_B_SECRET"}
# Org B's Status picklist is restricted and lacks "Escalated", so a Case with that
# status is rejected by B: the dead-letter path.
B_STATUSES = ("New", "Working", "Closed")


class Clock:
    """A settable clock for the emulated orgs; advances 1 ms per reading."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
        self.frozen = False

    def __call__(self) -> datetime:
        if not self.frozen:
            self.now += timedelta(milliseconds=1)
        return self.now


@dataclass
class Orgs:
    """Both emulated orgs, their connections and the shared clock."""

    a: EmulatedOrg
    b: EmulatedOrg
    connections: dict[str, ConnectionConfig]
    clock: Clock
    state_url: str

    def client(self, name: str) -> SalesforceClient:
        return SalesforceClient(
            self.connections[name], retry=RetryPolicy.without_sleeping()
        )

    def pair(self, **table: Any) -> PairConfig:
        base = {"source": "a", "target": "b", "fields": ["Subject", "Status"]}
        return parse_pair_config("a_to_b", {**base, **table}, {"a", "b"})

    def state(self) -> StateStore:
        return StateStore(self.state_url)

    def toml(self) -> str:
        """The config file text that points orgbridge at both orgs."""
        lines = [f'[state]\nurl = "{self.state_url}"\n']
        for name, org in (("a", self.a), ("b", self.b)):
            lines.append(
                f"[orgs.{name}]\n"
                'auth = "client_credentials"\n'
                f'login_url = "{org.instance_url}"\n'
                f'client_id = "client-{name}"\n'
                f'client_secret = {{ env = "{SECRET_ENV[name]}" }}\n'
                f'ca_bundle = "{org.ca_bundle}"\n'
            )
        lines.append(
            '[pairs.a_to_b]\nsource = "a"\ntarget = "b"\n'
            'fields = ["Subject", "Status"]\n'
        )
        return "\n".join(lines)


B_EXTERNAL_ID_FIELD = CustomFieldConfig(
    sobject="Case",
    name="Source_Case_Id__c",
    length=18,
    external_id=True,
    unique=True,
    case_sensitive=True,
)
B_STATUS_PICKLIST = PicklistConfig(
    sobject="Case", field="Status", values=B_STATUSES, default="New", restricted=True
)


def _org_configs() -> tuple[Any, Any]:
    a = quick_org_config("client-a", "secret-a", name="a", org_id="00DA0000000ORGA")
    b = quick_org_config("client-b", "secret-b", name="b", org_id="00DA0000000ORGB")
    b = dataclasses.replace(
        b,
        pod="B0",
        custom_fields=(B_EXTERNAL_ID_FIELD,),
        picklists=(B_STATUS_PICKLIST,),
    )
    return a, b


@pytest.fixture
def orgs_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Orgs]]:
    """Start A and B; stop them after the test.

    Keyword arguments replace fields of A's OrgConfig, ``b_changes`` those of B's.
    """
    started: list[EmulatedOrg] = []
    monkeypatch.setenv(SECRET_ENV["a"], "secret-a")
    monkeypatch.setenv(SECRET_ENV["b"], "secret-b")

    def start(b_changes: dict[str, Any] | None = None, **a_changes: Any) -> Orgs:
        clock = Clock()
        config_a, config_b = _org_configs()
        config_a = dataclasses.replace(config_a, **a_changes)
        config_b = dataclasses.replace(config_b, **(b_changes or {}))
        org_a = EmulatedOrg(config_a, data_path=tmp_path / "a.sqlite", clock=clock)
        started.append(org_a.start())
        org_b = EmulatedOrg(config_b, data_path=tmp_path / "b.sqlite", clock=clock)
        started.append(org_b.start())

        connections = {}
        for name, org in (("a", org_a), ("b", org_b)):
            connections[name] = parse_connection_config(
                name,
                {
                    "auth": "client_credentials",
                    "login_url": org.instance_url,
                    "client_id": f"client-{name}",
                    "client_secret": {"env": SECRET_ENV[name]},
                    "ca_bundle": str(org.ca_bundle),
                },
            )
        state_url = f"sqlite:///{tmp_path}/state.sqlite"
        return Orgs(org_a, org_b, connections, clock, state_url)

    yield start
    for org in reversed(started):
        org.stop()


@pytest.fixture
def orgs(orgs_factory: Callable[..., Orgs]) -> Orgs:
    """A and B with default settings."""
    return orgs_factory()


@pytest.fixture
async def clients(
    orgs: Orgs,
) -> AsyncIterator[tuple[SalesforceClient, SalesforceClient]]:
    """Open clients for A and B."""
    async with orgs.client("a") as a, orgs.client("b") as b:
        yield a, b


async def create_cases(
    client: SalesforceClient, count: int, **fields: Any
) -> list[str]:
    """Create ``count`` Cases in an org; return their Ids in creation order."""
    records = [
        {"Subject": f"Case {index}", "Status": "New", **fields}
        for index in range(count)
    ]
    results = await client.create_many("Case", records)
    assert all(result.success for result in results), results[:3]
    return [str(result.id) for result in results]


async def target_cases(client: SalesforceClient) -> list[dict[str, Any]]:
    """Return every Case in the target with its source Id and mapped fields."""
    soql = "SELECT Id, Source_Case_Id__c, Subject, Status FROM Case"
    return [row async for row in client.query_records(soql)]
