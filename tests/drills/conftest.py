"""Two emulated orgs set up for the drills, and helpers shared by the drill tests.

Org A (source) carries text and number fields whose values Org B (target) may
reject: B's copies are shorter, typed (date, number), required or unique, and B's
Status picklist is restricted. ``drill_orgs`` starts both with one shared clock,
reusing the orgs, clock and secrets of the sync tests.
"""

import dataclasses
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    FaultConfig,
)
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.connections import parse_connection_config
from sync.conftest import SECRET_ENV, Clock, Orgs, _org_configs

SOURCE_FIELDS = (
    CustomFieldConfig(sobject="Case", name="Product_Code__c", length=255),
    CustomFieldConfig(sobject="Case", name="Contact_Email__c", length=255),
    CustomFieldConfig(sobject="Case", name="Region__c", length=50),
    CustomFieldConfig(sobject="Case", name="Ticket_Ref__c", length=40),
    CustomFieldConfig(sobject="Case", name="Due_Text__c", length=40),
    CustomFieldConfig(sobject="Case", name="Amount_Text__c", length=40),
    CustomFieldConfig(sobject="Case", name="Score__c", type="double"),
    CustomFieldConfig(sobject="Case", name="Parent_Ref__c", length=40),
    CustomFieldConfig(sobject="Case", name="Phone_Text__c", length=40),
)
TARGET_FIELDS = (
    CustomFieldConfig(sobject="Case", name="Product_Code__c", length=10),
    CustomFieldConfig(sobject="Case", name="Region__c", length=50, required=True),
    CustomFieldConfig(sobject="Case", name="Ticket_Ref__c", length=40, unique=True),
    CustomFieldConfig(sobject="Case", name="Due_Date__c", type="date"),
    CustomFieldConfig(sobject="Case", name="Amount__c", type="double"),
    CustomFieldConfig(sobject="Case", name="Score_Text__c", length=40),
)


def start_orgs(
    tmp_path: Path,
    started: list[EmulatedOrg],
    *,
    tls_dir: Path | None = None,
    source_fields: tuple[CustomFieldConfig, ...] = (),
    target_fields: tuple[CustomFieldConfig, ...] = (),
    apps: dict[str, tuple[ConnectedAppConfig, ...]] | None = None,
) -> Orgs:
    """Start file-backed orgs A and B; append them to ``started`` for stopping.

    ``apps`` replaces an org's connected apps (keyed "a" or "b"); the connections
    returned still use the client-credentials apps of the sync tests.
    """
    clock = Clock()
    config_a, config_b = _org_configs()
    config_a = dataclasses.replace(config_a, custom_fields=source_fields)
    config_b = dataclasses.replace(
        config_b, custom_fields=config_b.custom_fields + target_fields
    )

    orgs: dict[str, EmulatedOrg] = {}
    for name, config in (("a", config_a), ("b", config_b)):
        if apps and name in apps:
            config = dataclasses.replace(config, connected_apps=apps[name])
        org = EmulatedOrg(
            config, data_path=tmp_path / f"{name}.sqlite", clock=clock, tls_dir=tls_dir
        )
        started.append(org.start())
        orgs[name] = org

    connections = {
        name: parse_connection_config(
            name,
            {
                "auth": "client_credentials",
                "login_url": org.instance_url,
                "client_id": f"client-{name}",
                "client_secret": {"env": SECRET_ENV[name]},
                "ca_bundle": str(org.ca_bundle),
            },
        )
        for name, org in orgs.items()
    }
    state_url = f"sqlite:///{tmp_path}/state.sqlite"
    return Orgs(orgs["a"], orgs["b"], connections, clock, state_url)


@pytest.fixture
def drill_orgs_factory(
    tmp_path: Path, tls_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Orgs]]:
    """Start A and B with the drill fields (or those given); stop them after."""
    started: list[EmulatedOrg] = []
    monkeypatch.setenv(SECRET_ENV["a"], "secret-a")
    monkeypatch.setenv(SECRET_ENV["b"], "secret-b")

    def start(**fields: Any) -> Orgs:
        fields.setdefault("source_fields", SOURCE_FIELDS)
        fields.setdefault("target_fields", TARGET_FIELDS)
        return start_orgs(tmp_path, started, tls_dir=tls_dir, **fields)

    yield start
    for org in reversed(started):
        org.stop()


@pytest.fixture
def drill_orgs(drill_orgs_factory: Callable[..., Orgs]) -> Orgs:
    """A and B with the drill fields."""
    return drill_orgs_factory()


def admin(org: EmulatedOrg, method: str, path: str, **kwargs: Any) -> Any:
    """Call the emulated org's admin API; return the decoded JSON response, if any."""
    response = httpx.request(
        method,
        org.instance_url + path,
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
        **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def set_faults(org: EmulatedOrg, faults: FaultConfig) -> None:
    """Replace the org's fault settings through the admin API."""
    admin(org, "PUT", "/_emulator/faults", json=dataclasses.asdict(faults))
