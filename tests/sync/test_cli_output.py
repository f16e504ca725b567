"""What the sync commands print: config errors, piped tables, unknown --id values.

Each command runs against the two emulated orgs of conftest.py. CliRunner's
stdout and stderr are not terminals, as in CI or behind ``| less``.
"""

import asyncio
import os
import pty
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from orgbridge.cli.main import cli
from orgbridge.emulator.server import EmulatedOrg

from .conftest import SECRET_ENV, Orgs, create_cases

EXIT_DEAD_LETTERS = 1
EXIT_ERROR = 2


def write_config(orgs: Orgs, tmp_path: Path, pair_extra: str = "") -> str:
    """Write the two-org config; ``pair_extra`` lines go into [pairs.a_to_b]."""
    path = tmp_path / "orgbridge.toml"
    path.write_text(orgs.toml() + pair_extra)
    return str(path)


def total_calls(org: EmulatedOrg) -> int:
    response = httpx.get(
        f"{org.instance_url}/_emulator/counters",
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    )
    response.raise_for_status()
    snapshot: dict[str, Any] = response.json()
    return int(snapshot["total_calls"])


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def error_lines(result: Result) -> list[str]:
    """Return the lines that are not INFO log lines (the emulator logs too)."""
    return [
        line
        for line in result.output.splitlines()
        if line.strip() and " INFO " not in line
    ]


async def _create(orgs: Orgs, count: int, **fields: str) -> list[str]:
    async with orgs.client("a") as a:
        return await create_cases(a, count, **fields)


def test_unset_secret_variable_is_one_line(
    orgs: Orgs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(orgs, tmp_path)
    monkeypatch.delenv(SECRET_ENV["b"])
    calls_before = total_calls(orgs.a) + total_calls(orgs.b)

    result = invoke("run", "--config", config)

    assert result.exit_code == EXIT_ERROR, result.output
    lines = error_lines(result)
    assert len(lines) == 1, result.output
    assert result.stdout == ""
    assert lines[0].startswith("error: connection 'b': client_secret")
    assert f"environment variable {SECRET_ENV['b']} is not set" in lines[0]
    assert total_calls(orgs.a) + total_calls(orgs.b) == calls_before
    with orgs.state() as state:
        assert state.recent_runs("a_to_b") == []


def test_unknown_source_field_is_one_line(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    text = Path(config).read_text().replace('"Status"]', '"Statu"]')
    Path(config).write_text(text)

    result = invoke("run", "--config", config)

    assert result.exit_code == EXIT_ERROR, result.output
    lines = error_lines(result)
    assert len(lines) == 1, result.output
    assert result.stdout == ""
    assert lines[0].startswith("error: [pairs.a_to_b] fields:")
    assert "org 'a' has no field Statu on Case" in lines[0]
    assert "INVALID_FIELD" in lines[0]
    with orgs.state() as state:
        assert state.recent_runs("a_to_b") == []


def test_unknown_target_field_is_one_line(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path, 'constants = { Orign = "Org A" }\n')
    asyncio.run(_create(orgs, 1))
    calls_before = total_calls(orgs.b)

    result = invoke("run", "--config", config)

    assert result.exit_code == EXIT_ERROR, result.output
    lines = error_lines(result)
    assert len(lines) == 1, result.output
    assert result.stdout == ""
    assert lines[0].startswith("error: [pairs.a_to_b] constants:")
    assert "org 'b' has no field Orign on Case" in lines[0]
    # The describe was the only call in the target: nothing was upserted.
    assert total_calls(orgs.b) == calls_before + 1
    with orgs.state() as state:
        assert state.recent_runs("a_to_b") == []
        assert state.dead_letters("a_to_b") == []


def test_zero_lookback_logs_warning(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path, "lookback_seconds = 0\n")

    result = invoke("run", "--config", config)

    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr
    assert "pair a_to_b: lookback_seconds = 0" in result.stderr


def test_status_piped_keeps_full_rows(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    asyncio.run(_create(orgs, 2))
    asyncio.run(_create(orgs, 1, Status="Escalated"))
    assert invoke("run", "--config", config).exit_code == EXIT_DEAD_LETTERS

    result = invoke("status", "--config", config)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == [
        "run",
        "started",
        "status",
        "read",
        "sent",
        "created",
        "updated",
        "dead",
        "calls",
        "src",
        "calls",
        "tgt",
    ]
    row = lines[2].split()
    assert row[0] == "1"
    assert row[3] == "dead_lettered"
    assert row[4:9] == ["3", "3", "2", "0", "1"]
    assert "…" not in result.stdout


def test_check_piped_keeps_full_problem(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)

    result = invoke("check", "--config", config)

    assert result.exit_code == EXIT_DEAD_LETTERS, result.output
    problem = (
        "source value 'Escalated' of Status is not in the target's restricted "
        "picklist: such Cases are rejected; add a value_maps.Status entry"
    )
    rows = [line for line in result.stdout.splitlines() if "'Escalated'" in line]
    assert len(rows) == 1, result.stdout
    assert rows[0].split()[:4] == ["a_to_b", "error", "b", "Status"]
    assert rows[0].endswith(problem)


def test_dead_letter_unknown_id_fails(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    (escalated,) = asyncio.run(_create(orgs, 1, Status="Escalated"))
    assert invoke("run", "--config", config).exit_code == EXIT_DEAD_LETTERS
    unknown = "500A00000000999AAA"

    for action in ("retry", "discard"):
        result = invoke("dead-letters", action, "--config", config, "--id", unknown)
        assert result.exit_code == EXIT_ERROR, result.output
        assert f"error: --id {unknown}: no dead letter" in result.stderr
        assert "pair a_to_b" in result.stderr

    mixed = invoke(
        "dead-letters", "discard", "--config", config,
        "--id", unknown, "--id", escalated,
    )  # fmt: skip
    assert mixed.exit_code == 0, mixed.output
    assert f"warning: --id {unknown}: no dead letter" in mixed.stderr
    assert "discarded 1 dead letters" in mixed.stdout

    again = invoke("dead-letters", "discard", "--config", config, "--id", escalated)
    assert again.exit_code == EXIT_ERROR, again.output
    assert "is discarded, not open" in again.stderr


def test_summary_shown_once_on_terminal(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    asyncio.run(_create(orgs, 2))
    summary = "pair a_to_b: succeeded; read 2, sent 2"

    terminal = run_with_terminal_stderr(["run", "--config", config])
    verbose = run_with_terminal_stderr(["run", "--config", config, "-v"])

    assert terminal.returncode == 0, terminal.stderr
    assert summary in terminal.stdout
    assert "pair a_to_b: succeeded" not in terminal.stderr
    assert "pair a_to_b batch 1" in terminal.stderr
    # -v shows the log line too; the second run finds nothing new to send.
    assert verbose.returncode == 0, verbose.stderr
    assert "pair a_to_b: succeeded; read 2, sent 0" in verbose.stdout
    assert "pair a_to_b: succeeded; read 2, sent 0" in verbose.stderr


def run_with_terminal_stderr(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from orgbridge.cli.main import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env=os.environ.copy(),
    )
    os.close(terminal)
    stdout, _ = process.communicate(timeout=60)
    stderr = read_all(controller)
    os.close(controller)
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def read_all(descriptor: int) -> str:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(descriptor, 4096)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode().replace("\r\n", "\n")
