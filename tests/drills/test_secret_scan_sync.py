"""No secret in anything a full sync logs, prints or stores.

Org A is read through a refresh token (obtained by ``login``, the browser flow)
and through client credentials; Org B is written through the JWT bearer flow.
Every access and refresh token the orgs issue is recorded by wrapping each org's
token issuer, since the orgs keep only hashes. Then CLI processes (-v, DEBUG)
and an in-process engine run (caplog at DEBUG) sync Cases, tokens are expired
midway, and the logs, output, state database and config folder are scanned.
Left out of the scan are the secret stores themselves (the private key file and
the refresh-token store) and the emulated orgs' own files.
"""

import asyncio
import logging
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from drills.conftest import admin, start_orgs
from drills.test_emulator_bad_input import rsa_key_and_certificate
from orgbridge.emulator.config import ConnectedAppConfig
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.auth.login import login
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.connections import parse_connection_config
from orgbridge.state import StateStore
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.pair import parse_pair_config
from sync.conftest import SECRET_ENV, Orgs, create_cases

CC_SECRET = "drill-cc-secret-8d41f07a9c2e"
WEB_SECRET = "drill-web-secret-1f9b3c77d0a4"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def record_issued_tokens(org: EmulatedOrg, issued: list[str]) -> None:
    """Wrap the org's token issuer so every token it hands out lands in ``issued``."""
    oauth = org.runtime.oauth
    issue = oauth.issue_tokens

    def recording(**kwargs: Any) -> dict[str, Any]:
        answer = issue(**kwargs)
        for key in ("access_token", "refresh_token"):
            if isinstance(answer.get(key), str):
                issued.append(answer[key])
        return answer

    oauth.issue_tokens = recording  # type: ignore[method-assign]


def secret_fragments(secrets: list[str], key_pem: str) -> list[str]:
    """Return each secret, the part of a token after "!", and each key body line."""
    fragments = list(secrets)
    fragments += [token.split("!", 1)[1] for token in secrets if "!" in token]
    fragments += [
        line for line in key_pem.splitlines() if line and not line.startswith("-----")
    ]
    return fragments


def scanned_files(root: Path, excluded: list[Path]) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and not any(path.is_relative_to(e) for e in excluded)
    ]


def run_cli(config: Path, *args: str, verbose: bool = True) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orgbridge.cli.main import main; main()",
            *args,
            "--config",
            str(config),
            *(["-vv"] if verbose else []),
        ],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.stdout + result.stderr


async def test_no_secret_in_logs_output_or_state(
    tmp_path: Path,
    tls_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key, certificate = rsa_key_and_certificate()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    key_file = config_dir / "org-b.key"
    key_file.write_text(key_pem)
    token_store = tmp_path / "token-store"
    monkeypatch.setenv("ORGBRIDGE_STATE_DIR", str(token_store))
    monkeypatch.setenv("ORGBRIDGE_TOKEN_STORE", "file")
    monkeypatch.setenv(SECRET_ENV["a"], CC_SECRET)
    monkeypatch.setenv("DRILL_WEB_SECRET", WEB_SECRET)
    callback_port = free_port()

    started: list[EmulatedOrg] = []
    (tmp_path / "orgs").mkdir()
    try:
        orgs = start_orgs(
            tmp_path / "orgs",
            started,
            tls_dir=tls_dir,
            apps=source_and_target_apps(certificate, callback_port),
        )
        issued: list[str] = []
        for org in (orgs.a, orgs.b):
            record_issued_tokens(org, issued)
        tables = connection_tables(orgs, key_file, callback_port)
        config = write_config(config_dir, tables, tmp_path / "state.sqlite")

        web = parse_connection_config("aw", tables["aw"])
        await login(web, announce=lambda _: None, open_browser=browse(orgs), timeout=20)
        async with SalesforceClient(parse_connection_config("a", tables["a"])) as a:
            await create_cases(a, 30)
            await create_cases(a, 2, Status="Escalated")

        outputs = [run_cli(config, "orgs", verbose=False), run_cli(config, "run")]
        for org in (orgs.a, orgs.b):
            admin(org, "POST", "/_emulator/tokens/expire")
        async with SalesforceClient(parse_connection_config("a", tables["a"])) as a:
            await create_cases(a, 5)
        outputs += [
            run_cli(config, "run"),
            run_cli(config, "dead-letters", "list"),
            run_cli(config, "status"),
        ]
        await in_process_sync(tables, tmp_path / "state.sqlite")
    finally:
        for org in reversed(started):
            org.stop()

    # Logins: aw (login + 2 runs), b (orgs + 2 runs + engine), a (setup + engine).
    assert len(issued) >= 8
    fragments = secret_fragments([CC_SECRET, WEB_SECRET, *issued], key_pem)
    texts = {"caplog": caplog.text}
    texts.update({f"cli output {i}": out for i, out in enumerate(outputs)})
    excluded = [key_file, token_store, tmp_path / "orgs"]
    for path in scanned_files(tmp_path, excluded):
        texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    assert any(p.name == "state.sqlite" for p in scanned_files(tmp_path, excluded))

    leaks = [
        f"{where}: {fragment[:6]}..."
        for where, text in texts.items()
        for fragment in fragments
        if fragment in text
    ]
    assert leaks == []


def source_and_target_apps(
    certificate: str, callback_port: int
) -> dict[str, tuple[ConnectedAppConfig, ...]]:
    return {
        "a": (
            ConnectedAppConfig(
                name="cc",
                client_id="client-a",
                client_secret=CC_SECRET,
                allowed_flows=frozenset({"client_credentials"}),
            ),
            ConnectedAppConfig(
                name="web",
                client_id="web-a",
                client_secret=WEB_SECRET,
                allowed_flows=frozenset({"authorization_code", "refresh_token"}),
                callback_urls=(f"http://127.0.0.1:{callback_port}/OauthRedirect",),
            ),
        ),
        "b": (
            ConnectedAppConfig(
                name="jwt",
                client_id="jwt-b",
                allowed_flows=frozenset({"jwt_bearer"}),
                jwt_certificate_pem=certificate,
            ),
        ),
    }


def connection_tables(
    orgs: Orgs, key_file: Path, callback_port: int
) -> dict[str, dict[str, Any]]:
    common = {
        name: {"login_url": org.instance_url, "ca_bundle": str(org.ca_bundle)}
        for name, org in (("a", orgs.a), ("b", orgs.b))
    }
    return {
        "a": {
            **common["a"],
            "auth": "client_credentials",
            "client_id": "client-a",
            "client_secret": {"env": SECRET_ENV["a"]},
        },
        "aw": {
            **common["a"],
            "auth": "refresh_token",
            "client_id": "web-a",
            "client_secret": {"env": "DRILL_WEB_SECRET"},
            "callback_port": callback_port,
        },
        "b": {
            **common["b"],
            "auth": "jwt_bearer",
            "client_id": "jwt-b",
            "username": orgs.b.config.default_user.username,
            "private_key": {"file": str(key_file)},
        },
    }


def write_config(
    config_dir: Path, tables: dict[str, dict[str, Any]], state: Path
) -> Path:
    lines = [f'[state]\nurl = "sqlite:///{state}"\n']
    for name, table in tables.items():
        lines.append(f"[orgs.{name}]")
        for key, value in table.items():
            if isinstance(value, dict):
                ((kind, reference),) = value.items()
                lines.append(f'{key} = {{ {kind} = "{reference}" }}')
            elif isinstance(value, int):
                lines.append(f"{key} = {value}")
            else:
                lines.append(f'{key} = "{value}"')
        lines.append("")
    lines.append('[pairs.web_to_b]\nsource = "aw"\ntarget = "b"\n')
    lines.append('fields = ["Subject", "Status"]\n')
    path = config_dir / "orgbridge.toml"
    path.write_text("\n".join(lines))
    return path


def browse(orgs: Orgs) -> Callable[[str], None]:
    def open_browser(url: str) -> None:
        response = httpx.get(
            url,
            verify=ssl.create_default_context(cafile=str(orgs.a.ca_bundle)),
            follow_redirects=True,
        )
        assert response.status_code == 200

    return open_browser


async def in_process_sync(tables: dict[str, dict[str, Any]], state: Path) -> None:
    pair = parse_pair_config(
        "cc_to_b",
        {"source": "a", "target": "b", "fields": ["Subject", "Status"]},
        {"a", "b"},
    )
    async with (
        SalesforceClient(parse_connection_config("a", tables["a"])) as a,
        SalesforceClient(parse_connection_config("b", tables["b"])) as b,
    ):
        with StateStore(f"sqlite:///{state}") as store:
            report = await SyncEngine(pair, a, b, store).run()
    assert report.counts.read == 37
    await asyncio.sleep(0)
