"""`orgbridge orgs` against the emulated org."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from orgbridge.cli.main import cli

from .conftest import ADMIN, CC_SECRET, ORG_ID, OrgUnderTest


def test_orgs_lists_good_and_bad(
    sf_org: OrgUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGS_CC_SECRET", CC_SECRET)
    config = tmp_path / "orgbridge.toml"
    config.write_text(
        f"""
[orgs.good]
auth = "client_credentials"
login_url = "{sf_org.url}"
ca_bundle = "{sf_org.org.ca_bundle}"
client_id = "cc-app"
client_secret = {{ env = "ORGS_CC_SECRET" }}

[orgs.nokey]
auth = "client_credentials"
login_url = "{sf_org.url}"
ca_bundle = "{sf_org.org.ca_bundle}"
client_id = "cc-app"
client_secret = {{ env = "ORGS_UNSET_SECRET" }}
"""
    )
    result = CliRunner().invoke(cli, ["orgs", "--config", str(config)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["NAME", "AUTH", "USER"]
    good = lines[1].split()
    assert good[:4] == ["good", "client_credentials", ADMIN, ORG_ID]
    assert good[4:6] == [sf_org.url, "62.0"]
    assert "/" in good[6]
    assert "nokey (client_credentials): FAILED" in result.output
    assert "ORGS_UNSET_SECRET is not set" in result.output


def test_orgs_missing_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["orgs", "--config", str(tmp_path / "no.toml")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: config file")
    assert "not found" in result.stderr
    assert result.stdout == ""


def test_orgs_reads_group_config(tmp_path: Path) -> None:
    config = tmp_path / "orgbridge.toml"
    config.write_text("[state]\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "orgs"])
    assert result.exit_code == 2
    assert result.stderr == f"error: {config} defines no [orgs.NAME] tables\n"
