"""Running emulated orgs: TLS with the written CA, restarts, plain HTTP, sets."""

import ssl
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from orgbridge.emulator.config import OrgConfig, quick_org_config
from orgbridge.emulator.server import EmulatedOrg, EmulatedOrgSet, EmulatorStartError


def versions_status(url: str, ca_bundle: Path | None = None) -> int:
    verify: ssl.SSLContext | bool = False
    if ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(ca_bundle))
    with httpx.Client(verify=verify) as http:
        return http.get(f"{url}/services/data").status_code


def test_tls_verified_with_ca_pem(emulated_org: EmulatedOrg) -> None:
    assert emulated_org.instance_url.startswith("https://127.0.0.1:")
    assert emulated_org.ca_bundle.name == "ca.pem"
    assert versions_status(emulated_org.instance_url, emulated_org.ca_bundle) == 200


def test_tls_rejected_without_ca(emulated_org: EmulatedOrg) -> None:
    with httpx.Client() as http, pytest.raises(httpx.ConnectError):
        http.get(f"{emulated_org.instance_url}/services/data")


def test_tls_ca_reused_across_restarts(
    tmp_path: Path, org_config_factory: Callable[..., OrgConfig]
) -> None:
    tls = tmp_path / "tls"
    with EmulatedOrg(org_config_factory(), tls_dir=tls) as first:
        ca_before = first.ca_bundle.read_bytes()
    with EmulatedOrg(org_config_factory(), tls_dir=tls) as second:
        assert second.ca_bundle.read_bytes() == ca_before
        # The old CA file still verifies the new server certificate.
        assert versions_status(second.instance_url, tls / "ca.pem") == 200
    assert (tls / "ca-key.pem").stat().st_mode & 0o077 == 0


def test_owned_tls_dir_removed_on_stop(
    org_config_factory: Callable[..., OrgConfig],
) -> None:
    org = EmulatedOrg(org_config_factory()).start()
    ca_dir = org.ca_bundle.parent
    org.stop()
    assert not ca_dir.exists()


def test_plain_http_port(start_org: Callable[..., EmulatedOrg]) -> None:
    org = start_org(quick_org_config("cid", "secret"), http_port=0)
    assert org.http_url is not None
    assert org.http_url.startswith("http://127.0.0.1:")
    assert versions_status(org.http_url) == 200


def test_stop_leaves_no_thread(
    org_config_factory: Callable[..., OrgConfig], tls_dir: Path
) -> None:
    before = set(threading.enumerate())
    with EmulatedOrg(org_config_factory(), tls_dir=tls_dir) as org:
        assert versions_status(org.instance_url, org.ca_bundle) == 200
        assert len(threading.enumerate()) > len(before)
    assert set(threading.enumerate()) <= before


def test_busy_port_fails_to_start(
    start_org: Callable[..., EmulatedOrg],
    org_config_factory: Callable[..., OrgConfig],
    tls_dir: Path,
) -> None:
    running = start_org(org_config_factory())
    port = int(running.instance_url.rsplit(":", 1)[1])
    with pytest.raises(EmulatorStartError, match="cannot bind"):
        EmulatedOrg(org_config_factory(), port=port, tls_dir=tls_dir).start()


def test_file_backed_org_keeps_tokens(
    tmp_path: Path, org_config_factory: Callable[..., OrgConfig], tls_dir: Path
) -> None:
    data = tmp_path / "org.sqlite"
    config = org_config_factory()
    form = {
        "grant_type": "client_credentials",
        "client_id": "test-client",
        "client_secret": "test-client-secret-6d1f",
    }
    with EmulatedOrg(config, data_path=data, tls_dir=tls_dir) as org:
        context = ssl.create_default_context(cafile=str(org.ca_bundle))
        with httpx.Client(verify=context) as http:
            token = http.post(
                f"{org.instance_url}/services/oauth2/token", data=form
            ).json()["access_token"]
    with EmulatedOrg(config, data_path=data, tls_dir=tls_dir) as org:
        session = org.runtime.oauth.authenticate(f"Bearer {token}")
    assert session.user.username == "admin@tests.example"
    assert token not in data.read_bytes().decode("latin-1")


def test_org_set_shares_ca(tmp_path: Path) -> None:
    configs = {
        "a": quick_org_config("a", "sa", name="a", org_id="00DA0000000ORGA"),
        "b": quick_org_config("b", "sb", name="b", org_id="00DA0000000ORGB"),
    }
    with EmulatedOrgSet(configs, tls_dir=tmp_path / "tls") as orgs:
        assert orgs["a"].ca_bundle == orgs["b"].ca_bundle
        assert orgs["a"].instance_url != orgs["b"].instance_url
        for name in ("a", "b"):
            assert versions_status(orgs[name].instance_url, orgs[name].ca_bundle) == 200
