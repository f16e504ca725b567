"""Every auth method against the emulated org over https, including failures."""

import ssl
import sys
from pathlib import Path

import httpx
import pytest

from orgbridge.salesforce.auth.login import login
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import ConnectionConfig
from orgbridge.salesforce.errors import (
    AuthError,
    OAuthError,
    TlsError,
    TransportError,
)
from orgbridge.salesforce.secrets import RefreshTokenStore

from .conftest import (
    ADMIN,
    CC_SECRET,
    INTEGRATION,
    ORG_ID,
    UNAPPROVED,
    OrgUnderTest,
    free_port,
)
from .keys import generate_key_and_certificate


async def whoami(connection: ConnectionConfig) -> str:
    async with SalesforceClient(connection) as client:
        identity = await client.identity()
    return str(identity.get("username") or identity.get("preferred_username"))


async def test_client_credentials_login(cc_connection: ConnectionConfig) -> None:
    async with SalesforceClient(cc_connection) as client:
        identity = await client.identity()
        limits = await client.limits()

    assert identity["username"] == ADMIN
    assert identity["organization_id"] == ORG_ID
    assert limits["DailyApiRequests"]["Max"] > 0
    assert client.api_usage is not None
    assert client.calls_made == 2


async def test_client_credentials_wrong_id_and_secret(
    sf_org: OrgUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_SECRET", CC_SECRET)
    monkeypatch.setenv("WRONG_SECRET", "not-the-secret-77")
    wrong_id = sf_org.connection(
        "bad-id",
        auth="client_credentials",
        client_id="no-such-app",
        client_secret={"env": "CC_SECRET"},
    )
    wrong_secret = sf_org.connection(
        "bad-secret",
        auth="client_credentials",
        client_id="cc-app",
        client_secret={"env": "WRONG_SECRET"},
    )

    with pytest.raises(OAuthError, match="consumer key") as caught:
        await whoami(wrong_id)
    assert caught.value.error == "invalid_client_id"
    with pytest.raises(OAuthError, match="Check client_secret") as caught:
        await whoami(wrong_secret)
    assert caught.value.error == "invalid_client"


def jwt_connection(
    sf_org: OrgUnderTest, tmp_path: Path, key_pem: str, **extra: str
) -> ConnectionConfig:
    key_file = tmp_path / "jwt.key"
    key_file.write_text(key_pem)
    key_file.chmod(0o600)
    table = {
        "auth": "jwt_bearer",
        "client_id": "jwt-app",
        "username": INTEGRATION,
        "private_key": {"file": str(key_file)},
        **extra,
    }
    return sf_org.connection("jwt", **table)


async def test_jwt_bearer_login(sf_org: OrgUnderTest, tmp_path: Path) -> None:
    assert await whoami(jwt_connection(sf_org, tmp_path, sf_org.key_pem)) == INTEGRATION


async def test_jwt_wrong_audience(sf_org: OrgUnderTest, tmp_path: Path) -> None:
    connection = jwt_connection(
        sf_org, tmp_path, sf_org.key_pem, audience="https://evil.example.com"
    )
    with pytest.raises(OAuthError, match="Set audience") as caught:
        await whoami(connection)
    assert caught.value.description == "audience is invalid"


async def test_jwt_bad_signature(sf_org: OrgUnderTest, tmp_path: Path) -> None:
    other_key, _ = generate_key_and_certificate()
    with pytest.raises(OAuthError, match="private_key must match") as caught:
        await whoami(jwt_connection(sf_org, tmp_path, other_key))
    assert caught.value.error == "invalid_grant"


async def test_jwt_unapproved_user(sf_org: OrgUnderTest, tmp_path: Path) -> None:
    connection = jwt_connection(sf_org, tmp_path, sf_org.key_pem, username=UNAPPROVED)
    with pytest.raises(OAuthError, match="Pre-authorize the user"):
        await whoami(connection)


async def test_jwt_unreadable_key(sf_org: OrgUnderTest, tmp_path: Path) -> None:
    connection = jwt_connection(sf_org, tmp_path, "-----BEGIN PRIVATE KEY-----\nxx\n")
    with pytest.raises(AuthError, match="not a usable RSA private key"):
        await whoami(connection)


def browser_for(sf_org: OrgUnderTest) -> "Browser":
    return Browser(str(sf_org.org.ca_bundle))


class Browser:
    """Follows the authorize redirect the way a browser would."""

    def __init__(self, ca_bundle: str) -> None:
        self.ca_bundle = ca_bundle
        self.final_status: int | None = None

    def __call__(self, url: str) -> None:
        context = ssl.create_default_context(cafile=self.ca_bundle)
        response = httpx.get(url, verify=context, follow_redirects=True)
        self.final_status = response.status_code


async def web_login(
    sf_org: OrgUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ConnectionConfig:
    monkeypatch.setenv("ORGBRIDGE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ORGBRIDGE_TOKEN_STORE", "file")
    monkeypatch.setenv("WEB_SECRET", "web-secret-2b8c6e31aa")
    connection = sf_org.connection(
        "web",
        auth="refresh_token",
        client_id="web-app",
        client_secret={"env": "WEB_SECRET"},
        callback_port=sf_org.callback_port,
    )
    browser = browser_for(sf_org)
    announced: list[str] = []
    result = await login(
        connection,
        announce=announced.append,
        open_browser=browser,
        timeout=20,
    )
    assert browser.final_status == 200
    assert "code_challenge_method=S256" in announced[0]
    assert Path(result.stored_in).is_file()
    return connection


async def test_login_then_refresh_token(
    sf_org: OrgUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = await web_login(sf_org, tmp_path, monkeypatch)
    assert await whoami(connection) == ADMIN


async def test_revoked_refresh_token(
    sf_org: OrgUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = await web_login(sf_org, tmp_path, monkeypatch)
    token = RefreshTokenStore(tmp_path / "state", backend="file").load("web")
    revoke = httpx.post(
        f"{sf_org.url}/services/oauth2/revoke",
        data={"token": token.reveal()},
        verify=ssl.create_default_context(cafile=str(sf_org.org.ca_bundle)),
    )
    assert revoke.status_code == 200

    with pytest.raises(OAuthError, match="orgbridge login NAME") as caught:
        await whoami(connection)
    assert caught.value.description == "expired access/refresh token"


async def test_access_token_and_expiry(
    sf_org: OrgUnderTest,
    cc_connection: ConnectionConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SalesforceClient(cc_connection) as client:
        token, _ = await client.tokens.current()
    monkeypatch.setenv("READY_TOKEN", token.access_token.reveal())
    connection = sf_org.connection(
        "ready",
        auth="access_token",
        instance_url=sf_org.url,
        access_token={"env": "READY_TOKEN"},
    )

    assert await whoami(connection) == ADMIN
    sf_org.admin("POST", "tokens/expire")
    with pytest.raises(AuthError, match="rejected the access token"):
        await whoami(connection)


async def test_sf_cli_reads_org_display(
    sf_org: OrgUnderTest,
    cc_connection: ConnectionConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SalesforceClient(cc_connection) as client:
        token, _ = await client.tokens.current()
    token_file = tmp_path / "sf-token"
    token_file.write_text(token.access_token.reveal())
    fake_sf = tmp_path / "bin" / "sf"
    fake_sf.parent.mkdir()
    # A stand-in for the Salesforce CLI that prints what `sf org display --json`
    # prints for a logged-in org.
    fake_sf.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "assert sys.argv[1:4] == ['org', 'display', '--json'], sys.argv\n"
        "assert sys.argv[4:] == ['--target-org', 'dev'], sys.argv\n"
        f"token = open({str(token_file)!r}).read()\n"
        "print(json.dumps({'status': 0, 'result': {'accessToken': token,\n"
        f"    'instanceUrl': {sf_org.url!r}, 'username': 'x'}}}}))\n"
    )
    fake_sf.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_sf.parent}:/usr/bin:/bin")

    connection = sf_org.connection("dev", auth="sf_cli", alias="dev")
    assert await whoami(connection) == ADMIN


async def test_sf_cli_not_installed(
    sf_org: OrgUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    connection = sf_org.connection("dev", auth="sf_cli", alias="dev")
    with pytest.raises(AuthError, match="not installed or not on PATH"):
        await whoami(connection)


async def test_untrusted_certificate(
    sf_org: OrgUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_SECRET", CC_SECRET)
    connection = sf_org.connection(
        "no-ca",
        auth="client_credentials",
        client_id="cc-app",
        client_secret={"env": "CC_SECRET"},
        ca_bundle=None,
    )
    with pytest.raises(TlsError, match="set ca_bundle"):
        await whoami(connection)


async def test_unreachable_host(
    sf_org: OrgUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_SECRET", CC_SECRET)
    connection = sf_org.connection(
        "closed",
        auth="client_credentials",
        client_id="cc-app",
        client_secret={"env": "CC_SECRET"},
        login_url=f"https://127.0.0.1:{free_port()}",
    )
    with pytest.raises(TransportError, match="cannot connect") as caught:
        await whoami(connection)
    assert not isinstance(caught.value, TlsError)
