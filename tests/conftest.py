"""Fixtures shared by every test package: emulated orgs on 127.0.0.1.

- ``tls_dir``: one emulator CA for the whole session (generating it is the slow part
  of starting an org); every org started here serves a certificate from it.
- ``org_config_factory(**overrides)``: an OrgConfig with one admin user and the
  connected app ``TEST_CLIENT_ID`` / ``TEST_CLIENT_SECRET`` (client credentials,
  refresh token, authorization code); keyword arguments replace OrgConfig fields.
- ``start_org(config, **kwargs)``: start an EmulatedOrg (kwargs go to its
  constructor); every org started is stopped when the test ends.
- ``emulated_org``: a started org from ``org_config_factory()``.
"""

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgbridge.emulator.config import ConnectedAppConfig, OrgConfig, UserConfig
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.ids import make_id, to_18

TEST_ORG_ID = to_18("00DA0000000TST1")
TEST_USERNAME = "admin@tests.example"
TEST_CLIENT_ID = "test-client"
TEST_CLIENT_SECRET = "test-client-secret-6d1f"


@pytest.fixture(scope="session")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the session's emulator CA (``ca.pem``)."""
    return tmp_path_factory.mktemp("emulator-tls")


@pytest.fixture
def org_config_factory() -> Callable[..., OrgConfig]:
    """Build the test org's setup; keyword arguments replace OrgConfig fields."""

    def build(**overrides: Any) -> OrgConfig:
        values: dict[str, Any] = {
            "name": "test-org",
            "org_id": TEST_ORG_ID,
            "users": (
                UserConfig(username=TEST_USERNAME, user_id=make_id("005", "A0", 1)),
            ),
            "connected_apps": (
                ConnectedAppConfig(
                    name="test-client",
                    client_id=TEST_CLIENT_ID,
                    client_secret=TEST_CLIENT_SECRET,
                    allowed_flows=frozenset(
                        {"client_credentials", "refresh_token", "authorization_code"}
                    ),
                    run_as=TEST_USERNAME,
                ),
            ),
        }
        values.update(overrides)
        return OrgConfig(**values)

    return build


@pytest.fixture
def start_org(tls_dir: Path) -> Iterator[Callable[..., EmulatedOrg]]:
    """Start emulated orgs on 127.0.0.1; all are stopped at teardown."""
    started: list[EmulatedOrg] = []

    def start(config: OrgConfig, **kwargs: Any) -> EmulatedOrg:
        kwargs.setdefault("tls_dir", tls_dir)
        org = EmulatedOrg(config, **kwargs)
        started.append(org)
        return org.start()

    yield start
    for org in reversed(started):
        org.stop()


@pytest.fixture
def emulated_org(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
) -> EmulatedOrg:
    """A started org with the ``test-client`` connected app."""
    return start_org(org_config_factory())


def rest_client(org: EmulatedOrg, base_path: str = "") -> httpx.Client:
    """Open an httpx client logged in to ``org`` with the client credentials flow."""
    verify = ssl.create_default_context(cafile=str(org.ca_bundle))
    token = httpx.post(
        f"{org.instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET,
        },
        verify=verify,
    ).json()["access_token"]
    return httpx.Client(
        base_url=org.instance_url + base_path,
        headers={"Authorization": f"Bearer {token}"},
        verify=verify,
    )
