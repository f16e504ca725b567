"""No secret or token in logs, console output, exceptions or written files."""

import asyncio
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgbridge.cli.main import cli
from orgbridge.salesforce.auth.login import login
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.errors import OAuthError
from orgbridge.salesforce.retry import RetryPolicy
from orgbridge.salesforce.secrets import RefreshTokenStore

from .conftest import CC_SECRET, WEB_SECRET, OrgUnderTest
from .test_emulator_auth import Browser, jwt_connection


def write_config(sf_org: OrgUnderTest, path: Path, key_file: Path) -> None:
    ca = sf_org.org.ca_bundle
    path.write_text(
        f"""
[orgs.good]
auth = "client_credentials"
login_url = "{sf_org.url}"
ca_bundle = "{ca}"
client_id = "cc-app"
client_secret = {{ env = "SCAN_CC_SECRET" }}

[orgs.jwt]
auth = "jwt_bearer"
login_url = "{sf_org.url}"
ca_bundle = "{ca}"
client_id = "jwt-app"
username = "integration@client-tests.example"
private_key = {{ file = "{key_file}" }}

[orgs.bad]
auth = "client_credentials"
login_url = "{sf_org.url}"
ca_bundle = "{ca}"
client_id = "cc-app"
client_secret = {{ env = "SCAN_WRONG_SECRET" }}
"""
    )


async def test_no_secret_in_any_output(
    sf_org: OrgUnderTest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    state = tmp_path / "state"
    monkeypatch.setenv("ORGBRIDGE_STATE_DIR", str(state))
    monkeypatch.setenv("ORGBRIDGE_TOKEN_STORE", "file")
    monkeypatch.setenv("SCAN_CC_SECRET", CC_SECRET)
    monkeypatch.setenv("SCAN_WRONG_SECRET", "wrong-secret-d41d8cd98f")
    monkeypatch.setenv("WEB_SECRET", WEB_SECRET)
    secrets = [CC_SECRET, WEB_SECRET, "wrong-secret-d41d8cd98f"]
    texts: list[str] = []

    # Client credentials and JWT with token expiry and renewal in the middle.
    key_file = tmp_path / "jwt.key"
    config_file = tmp_path / "orgbridge.toml"
    write_config(sf_org, config_file, key_file)
    jwt = jwt_connection(sf_org, tmp_path, sf_org.key_pem)
    secrets += [line for line in sf_org.key_pem.splitlines() if "-----" not in line]
    async with SalesforceClient(jwt, retry=RetryPolicy.without_sleeping()) as client:
        await client.limits()
        secrets.append((await client.tokens.current())[0].access_token.reveal())
        sf_org.admin("POST", "tokens/expire")
        await client.create_many("Case", [{"Subject": "scan"}] * 3)
        secrets.append((await client.tokens.current())[0].access_token.reveal())
        texts += [repr(client.tokens.connection), repr(await client.tokens.current())]

    # A web login that stores a refresh token, then a refresh-token connection.
    web = sf_org.connection(
        "web",
        auth="refresh_token",
        client_id="web-app",
        client_secret={"env": "WEB_SECRET"},
        callback_port=sf_org.callback_port,
    )
    await login(
        web, announce=texts.append, open_browser=Browser(str(sf_org.org.ca_bundle))
    )
    refresh = RefreshTokenStore().load("web")
    secrets.append(refresh.reveal())
    async with SalesforceClient(web) as client:
        await client.identity()
        secrets.append((await client.tokens.current())[0].access_token.reveal())

    # A rejected secret, and the orgs command over all three connections.
    bad = sf_org.connection(
        "bad",
        auth="client_credentials",
        client_id="cc-app",
        client_secret={"env": "SCAN_WRONG_SECRET"},
    )
    with pytest.raises(OAuthError) as caught:
        async with SalesforceClient(bad) as client:
            await client.limits()
    texts += [str(caught.value), repr(caught.value)]

    # The command runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["orgs", "--config", str(config_file)]
    )
    assert result.exit_code == 1
    table = result.output.splitlines()
    assert table[0].split()[:3] == ["NAME", "AUTH", "USER"]
    assert table[0].rstrip().endswith("DAILY CALLS LEFT")
    assert [line.split()[:2] for line in table[1:3]] == [
        ["good", "client_credentials"],
        ["jwt", "jwt_bearer"],
    ]
    assert "bad (client_credentials): FAILED" in result.output
    assert "integration@client-tests.example" in result.output
    texts.append(result.output)

    captured = capsys.readouterr()
    texts += [caplog.text, captured.out, captured.err]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.parent.name != "tokens" and path != key_file:
            texts.append(path.read_text(errors="replace"))

    assert len(secrets) >= 8
    for secret in secrets:
        for text in texts:
            assert secret not in text
