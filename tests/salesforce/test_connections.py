"""Parsing [orgs.NAME] tables and resolving secret references."""

import os
import stat
from pathlib import Path

import pytest

from orgbridge.salesforce.auth import (
    AccessTokenAuth,
    ClientCredentialsAuth,
    JwtBearerAuth,
    RefreshTokenAuth,
    SfCliAuth,
)
from orgbridge.salesforce.connections import parse_connection_config
from orgbridge.salesforce.errors import ConfigError, SecretError
from orgbridge.salesforce.secrets import (
    RefreshTokenStore,
    Secret,
    SecretRef,
    parse_secret_ref,
)

MY_DOMAIN = "https://acme.my.salesforce.com"


def test_client_credentials_table() -> None:
    config = parse_connection_config(
        "src",
        {
            "login_url": MY_DOMAIN + "/",
            "auth": "client_credentials",
            "client_id": "key",
            "client_secret": {"env": "SRC_SECRET"},
        },
    )
    assert config.login_url == MY_DOMAIN
    assert config.api_version == "62.0"
    assert config.verify_tls is True
    assert config.token_url == MY_DOMAIN + "/services/oauth2/token"
    assert isinstance(config.auth, ClientCredentialsAuth)
    assert config.auth.client_secret == SecretRef("env", "SRC_SECRET")


def test_client_credentials_needs_my_domain() -> None:
    with pytest.raises(ConfigError, match="My Domain"):
        parse_connection_config(
            "src",
            {
                "login_url": "https://login.salesforce.com",
                "auth": "client_credentials",
                "client_id": "key",
                "client_secret": {"env": "X"},
            },
        )


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        (MY_DOMAIN, "https://login.salesforce.com"),
    ],
)
def test_jwt_default_audience(login_url: str, audience: str) -> None:
    config = parse_connection_config(
        "a",
        {
            "login_url": login_url,
            "auth": "jwt_bearer",
            "client_id": "key",
            "username": "u@example.com",
            "private_key": {"file": "/keys/a.pem"},
        },
    )
    assert isinstance(config.auth, JwtBearerAuth)
    assert config.auth.audience == audience


def test_literal_secret_rejected_without_echo() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_connection_config(
            "prod",
            {
                "login_url": MY_DOMAIN,
                "auth": "client_credentials",
                "client_id": "key",
                "client_secret": "hunter2-literal",
            },
        )
    message = str(caught.value)
    assert "hunter2-literal" not in message
    assert 'client_secret = { env = "PROD_CLIENT_SECRET" }' in message


def test_unknown_key_and_method_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        parse_connection_config(
            "a", {"auth": "access_token", "instance_url": MY_DOMAIN, "tokn": 1}
        )
    with pytest.raises(ConfigError, match="auth: expected one of"):
        parse_connection_config("a", {"auth": "password", "login_url": MY_DOMAIN})


def test_verify_tls_false_needs_explicit_flag() -> None:
    table = {
        "login_url": MY_DOMAIN,
        "auth": "refresh_token",
        "client_id": "key",
        "verify_tls": False,
    }
    with pytest.raises(ConfigError, match="insecure_skip_tls_verify"):
        parse_connection_config("a", table)

    config = parse_connection_config("a", {**table, "insecure_skip_tls_verify": True})
    assert config.verify_tls is False
    assert isinstance(config.auth, RefreshTokenAuth)
    assert config.auth.refresh_token is None


def test_access_token_needs_instance_url() -> None:
    with pytest.raises(ConfigError, match="instance_url is missing"):
        parse_connection_config(
            "a", {"auth": "access_token", "access_token": {"env": "T"}}
        )
    config = parse_connection_config(
        "a",
        {
            "auth": "access_token",
            "access_token": {"env": "T"},
            "instance_url": MY_DOMAIN,
        },
    )
    assert isinstance(config.auth, AccessTokenAuth)
    assert config.login_url == MY_DOMAIN


def test_sf_cli_takes_alias_or_username() -> None:
    config = parse_connection_config("a", {"auth": "sf_cli", "alias": "dev"})
    assert isinstance(config.auth, SfCliAuth)
    assert config.auth.target_org == "dev"
    with pytest.raises(ConfigError, match="alias or username"):
        parse_connection_config("a", {"auth": "sf_cli"})


def test_bad_api_version_and_ca_bundle(tmp_path: Path) -> None:
    base = {"auth": "sf_cli", "alias": "dev"}
    with pytest.raises(ConfigError, match="api_version"):
        parse_connection_config("a", {**base, "api_version": "v62"})
    with pytest.raises(ConfigError, match="does not exist"):
        parse_connection_config("a", {**base, "ca_bundle": str(tmp_path / "no.pem")})


def test_secret_hides_value() -> None:
    secret = Secret("top-secret-value")
    assert "top-secret-value" not in repr(secret)
    assert "top-secret-value" not in str(secret)
    assert "top-secret-value" not in f"{secret} {[secret]} { ({'k': secret}) }"
    assert secret.reveal() == "top-secret-value"


def test_secret_refs_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OB_TEST_SECRET", "from-env")
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o600)

    assert SecretRef("env", "OB_TEST_SECRET").resolve().reveal() == "from-env"
    assert SecretRef("file", str(secret_file)).resolve().reveal() == "from-file"
    with pytest.raises(SecretError, match="OB_MISSING is not set"):
        SecretRef("env", "OB_MISSING").resolve()
    with pytest.raises(SecretError, match="cannot read secret file"):
        SecretRef("file", str(tmp_path / "missing")).resolve()


def test_parse_secret_ref_shapes() -> None:
    assert parse_secret_ref({"keyring": "svc:user"}, key="k", connection="c") == (
        SecretRef("keyring", "svc:user")
    )
    with pytest.raises(ConfigError, match="service:username"):
        parse_secret_ref({"keyring": "svc"}, key="k", connection="c")
    with pytest.raises(ConfigError, match="exactly one"):
        parse_secret_ref({"env": "A", "file": "b"}, key="k", connection="c")


def test_refresh_token_file_store(tmp_path: Path) -> None:
    store = RefreshTokenStore(tmp_path, backend="file")
    where = store.save("org-a", Secret("5Aep-refresh"))

    path = Path(where)
    assert path.parent == tmp_path / "tokens"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.load("org-a").reveal() == "5Aep-refresh"
    with pytest.raises(SecretError, match="orgbridge login org-b"):
        store.load("org-b")
    with pytest.raises(ConfigError, match="may contain only"):
        store.save("../evil", Secret("x"))
