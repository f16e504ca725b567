"""An emulated org over https with connected apps for every auth method.

The org runs once per module (starting it and generating keys is the slow part);
tests that change faults reset them when they finish.
"""

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from orgbridge.emulator.config import (
    ConnectedAppConfig,
    CustomFieldConfig,
    OrgConfig,
    UserConfig,
)
from orgbridge.salesforce.connections import ConnectionConfig, parse_connection_config
from orgbridge.salesforce.ids import make_id, to_18

from .keys import generate_key_and_certificate

if TYPE_CHECKING:
    from orgbridge.emulator.server import EmulatedOrg

ORG_ID = to_18("00DA0000000SFC1")
ADMIN = "admin@client-tests.example"
INTEGRATION = "integration@client-tests.example"
UNAPPROVED = "someone@client-tests.example"
CC_SECRET = "cc-secret-4f9a1d0e77"
WEB_SECRET = "web-secret-2b8c6e31aa"


@dataclass
class OrgUnderTest:
    """The running org plus the values tests need to build connections."""

    org: "EmulatedOrg"
    key_pem: str
    callback_port: int
    tmp: Path

    @property
    def url(self) -> str:
        return self.org.instance_url

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Call the emulator's admin API (not counted as an API call)."""
        response = httpx.request(
            method,
            f"{self.url}/_emulator/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.org.admin_token}"},
            verify=ssl.create_default_context(cafile=str(self.org.ca_bundle)),
        )
        response.raise_for_status()
        return response

    def connection(self, name: str, **table: Any) -> ConnectionConfig:
        """Build a connection to this org; ``table`` gives the auth keys."""
        full = {"login_url": self.url, "ca_bundle": str(self.org.ca_bundle), **table}
        return parse_connection_config(name, full)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def org_config(cert_pem: str, callback_port: int) -> OrgConfig:
    users = (
        UserConfig(username=ADMIN, user_id=make_id("005", "A0", 1)),
        UserConfig(username=INTEGRATION, user_id=make_id("005", "A0", 2)),
        UserConfig(username=UNAPPROVED, user_id=make_id("005", "A0", 3)),
    )
    apps = (
        ConnectedAppConfig(
            name="cc",
            client_id="cc-app",
            client_secret=CC_SECRET,
            allowed_flows=frozenset({"client_credentials"}),
            run_as=ADMIN,
        ),
        ConnectedAppConfig(
            name="jwt",
            client_id="jwt-app",
            allowed_flows=frozenset({"jwt_bearer"}),
            jwt_certificate_pem=cert_pem,
            preauthorized_users=(INTEGRATION,),
        ),
        ConnectedAppConfig(
            name="web",
            client_id="web-app",
            client_secret=WEB_SECRET,
            allowed_flows=frozenset({"authorization_code", "refresh_token"}),
            callback_urls=(f"http://127.0.0.1:{callback_port}/OauthRedirect",),
        ),
    )
    fields = (
        CustomFieldConfig(
            sobject="Case",
            name="Source_Id__c",
            length=40,
            external_id=True,
            unique=True,
        ),
    )
    return OrgConfig(
        name="client-tests",
        org_id=ORG_ID,
        users=users,
        connected_apps=apps,
        custom_fields=fields,
    )


@pytest.fixture(scope="module")
def sf_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrgUnderTest]:
    # Imported here so that the unit tests in this folder run without the emulator.
    from orgbridge.emulator.server import EmulatedOrg

    tmp = tmp_path_factory.mktemp("sf-org")
    key_pem, cert_pem = generate_key_and_certificate()
    port = free_port()
    with EmulatedOrg(org_config(cert_pem, port), tls_dir=tmp / "tls") as org:
        yield OrgUnderTest(org=org, key_pem=key_pem, callback_port=port, tmp=tmp)


@pytest.fixture
def faults(sf_org: OrgUnderTest) -> Iterator[Callable[..., None]]:
    """Set emulator faults for one test; they are cleared afterwards."""

    def apply(**settings: Any) -> None:
        sf_org.admin("PUT", "faults", settings)

    yield apply
    sf_org.admin("PUT", "faults", {})


@pytest.fixture
def cc_connection(
    sf_org: OrgUnderTest, monkeypatch: pytest.MonkeyPatch
) -> ConnectionConfig:
    monkeypatch.setenv("CC_SECRET", CC_SECRET)
    return sf_org.connection(
        "cc",
        auth="client_credentials",
        client_id="cc-app",
        client_secret={"env": "CC_SECRET"},
    )
