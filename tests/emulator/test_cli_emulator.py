"""``orgbridge emulator``: serves an org, prints how to reach it, stops on SIGTERM."""

import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from orgbridge.cli.main import cli

START = "from orgbridge.cli.main import main; main()"
LABELS = ("instance URL", "plain HTTP URL", "CA bundle", "admin token")


def read_until_admin_token(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the printed org lines until the admin token; return them by label."""
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        label, _, value = line.strip().partition(": ")
        if label not in LABELS:
            process.kill()
            pytest.fail(f"unexpected line {line!r}; expected LABEL: VALUE")
        printed[label] = value
        if label == "admin token":
            return printed
    pytest.fail(f"emulator exited early with code {process.wait()}")


def test_emulator_serves_until_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-c", START, "emulator", "--port", "0",
               "--client-id", "cli-app", "--client-secret", "cli-secret",
               "--tls-dir", str(tmp_path / "tls")]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        printed = read_until_admin_token(process)
        context = ssl.create_default_context(cafile=printed["CA bundle"])
        with httpx.Client(verify=context) as http:
            token = http.post(
                f"{printed['instance URL']}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "cli-app",
                    "client_secret": "cli-secret",
                },
            )
        process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert list(printed) == ["instance URL", "CA bundle", "admin token"]
    assert printed["instance URL"].startswith("https://127.0.0.1:")
    assert token.status_code == 200
    assert process.returncode == 0
    assert "emulator stopped" in remaining


def test_emulator_rejects_bad_org_option() -> None:
    result = CliRunner().invoke(cli, ["emulator", "--org", "no-equals-sign"])
    assert result.exit_code != 0
    assert "NAME=CONFIG.toml" in result.output


def test_emulator_reports_unreadable_config(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(cli, ["emulator", "--config", str(missing)])
    assert result.exit_code != 0
    assert "cannot read org setup file" in result.output
