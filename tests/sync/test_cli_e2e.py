"""The sync CLI on two emulated orgs: exit codes, dead letters, a SIGKILLed run."""

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from orgbridge.cli.main import cli
from orgbridge.emulator.server import EmulatedOrg
from orgbridge.salesforce.errors import ServerUnavailableError
from orgbridge.salesforce.rest import RestSession

from .conftest import SECRET_ENV, Orgs, create_cases, target_cases


def write_config(orgs: Orgs, tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "orgbridge.toml"
    path.write_text(orgs.toml() + extra)
    return path


def set_latency(org: EmulatedOrg, latency_ms: float) -> None:
    response = httpx.put(
        f"{org.instance_url}/_emulator/faults",
        json={"latency_ms": latency_ms},
        headers={"Authorization": f"Bearer {org.admin_token}"},
        verify=ssl.create_default_context(cafile=str(org.ca_bundle)),
    )
    response.raise_for_status()


async def _create(orgs: Orgs, count: int, **fields: str) -> list[str]:
    async with orgs.client("a") as a:
        return await create_cases(a, count, **fields)


async def _landed(orgs: Orgs) -> list[dict[str, str]]:
    async with orgs.client("b") as b:
        return await target_cases(b)


def test_cli_run_exit_codes_and_dead_letters(orgs: Orgs, tmp_path: Path) -> None:
    config = str(write_config(orgs, tmp_path))
    asyncio.run(_create(orgs, 3))
    (escalated,) = asyncio.run(_create(orgs, 1, Status="Escalated"))
    runner = CliRunner()

    dry = runner.invoke(cli, ["run", "--config", config, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("would upsert") == 4

    first = runner.invoke(cli, ["run", "--config", config])
    assert first.exit_code == 1, first.output
    assert "dead-lettered 1" in first.output

    listed = runner.invoke(cli, ["dead-letters", "list", "--config", config])
    assert escalated in listed.output
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in listed.output

    second = runner.invoke(cli, ["run", "--config", config])
    assert second.exit_code == 0, second.output

    status = runner.invoke(cli, ["status", "--config", config])
    assert status.exit_code == 0, status.output
    assert "open dead letters 1" in status.output

    mapped = write_config(
        orgs, tmp_path, '\n[pairs.a_to_b.value_maps.Status]\nEscalated = "Closed"\n'
    )
    retried = runner.invoke(
        cli, ["dead-letters", "retry", "--config", str(mapped), "--id", escalated]
    )
    assert retried.exit_code == 0, retried.output
    assert "resolved 1" in retried.output
    assert len(asyncio.run(_landed(orgs))) == 4


def test_cli_config_error_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "orgbridge.toml"
    path.write_text('[pairs.p]\nsource = "a"\ntarget = "b"\n')
    result = CliRunner().invoke(cli, ["run", "--config", str(path)])

    assert result.exit_code == 2
    assert "[pairs.p] source: unknown org 'a'" in result.output
    assert "Traceback" not in result.output


def test_refused_target_login_stops_run_before_its_row(
    orgs: Orgs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(write_config(orgs, tmp_path))
    asyncio.run(_create(orgs, 3))
    monkeypatch.setenv(SECRET_ENV["b"], "wrong-secret")

    result = CliRunner().invoke(cli, ["run", "--config", config])

    assert result.exit_code == 2, result.output
    assert "invalid_client" in result.stderr
    assert "wrong-secret" not in result.output
    with orgs.state() as state:
        assert state.recent_runs("a_to_b") == []
        assert state.cursor("a_to_b") is None


def test_run_rejects_changed_target(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    asyncio.run(_create(orgs, 2))
    runner = CliRunner()
    first = runner.invoke(cli, ["run", "--config", str(config)])
    assert first.exit_code == 0, first.output

    # The same target org under a new connection name still counts as other orgs.
    text = config.read_text()
    b_table = text[text.index("[orgs.b]") : text.index("[pairs.a_to_b]")]
    config.write_text(
        text.replace('target = "b"', 'target = "b2"')
        + "\n"
        + b_table.replace("[orgs.b]", "[orgs.b2]")
    )
    second = runner.invoke(cli, ["run", "--config", str(config)])

    assert second.exit_code == 2, second.output
    assert "its state belongs to orgs a -> b" in second.output
    assert "new name" in second.output
    assert "Traceback" not in second.output


def test_check_reports_restricted_picklist(orgs: Orgs, tmp_path: Path) -> None:
    config = str(write_config(orgs, tmp_path))
    result = CliRunner().invoke(cli, ["check", "--config", config])

    assert result.exit_code == 1, result.output
    assert "'Escalated'" in result.output
    assert "restricted" in result.output


def _start_slow_run(
    orgs: Orgs, tmp_path: Path
) -> tuple[list[str], "subprocess.Popen[bytes]"]:
    """Start ``orgbridge run`` on 600 Cases with B slowed down, as a subprocess.

    Returns the source Ids and the process once its first batch is stored.
    """
    config = write_config(orgs, tmp_path).read_text()
    config = config.replace(
        'fields = ["Subject", "Status"]\n',
        'fields = ["Subject", "Status"]\nbatch_size = 50\nconcurrency = 2\n',
    )
    (tmp_path / "orgbridge.toml").write_text(config)
    source_ids = asyncio.run(_create(orgs, 600))
    set_latency(orgs.b, 150)

    command = [
        sys.executable,
        "-c",
        "from orgbridge.cli.main import main; main()",
        "run",
        "--config",
        str(tmp_path / "orgbridge.toml"),
    ]
    process = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    with orgs.state() as state:
        while state.cursor("a_to_b") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if state.cursor("a_to_b") is None:
            process.kill()
            process.communicate()
            pytest.fail("the run stored no batch within 30 s")
    return source_ids, process


def test_sigkilled_run_resumes_without_duplicates(orgs: Orgs, tmp_path: Path) -> None:
    source_ids, process = _start_slow_run(orgs, tmp_path)
    try:
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    with orgs.state() as state:
        delivered_before_kill = len(state.links("a_to_b", source_ids))
    assert 0 < delivered_before_kill < len(source_ids)

    set_latency(orgs.b, 0)
    rerun = CliRunner().invoke(
        cli, ["run", "--config", str(tmp_path / "orgbridge.toml")]
    )
    assert rerun.exit_code == 0, rerun.output

    copies = Counter(row["Source_Case_Id__c"] for row in asyncio.run(_landed(orgs)))
    assert set(copies) == set(source_ids)
    assert set(copies.values()) == {1}

    with orgs.state() as state:
        rerun_row, killed_row = state.recent_runs("a_to_b")
    assert killed_row.status == "abandoned"
    assert killed_row.finished_at is not None
    assert killed_row.counts.sent > 0
    assert rerun_row.status == "succeeded"
    status = CliRunner().invoke(
        cli, ["status", "--config", str(tmp_path / "orgbridge.toml")]
    )
    assert status.exit_code == 0, status.output
    assert "abandoned" in status.output


def test_watch_exits_0_on_sigterm(orgs: Orgs, tmp_path: Path) -> None:
    config = write_config(orgs, tmp_path)
    source_ids = asyncio.run(_create(orgs, 5))
    command = [
        sys.executable,
        "-c",
        "from orgbridge.cli.main import main; main()",
        "watch",
        "--interval",
        "1",
        "--config",
        str(config),
    ]
    process = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        with orgs.state() as state:
            while len(state.recent_runs("a_to_b")) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert b"created 5" in stdout
    assert b"watch stopped" in stderr
    assert len(asyncio.run(_landed(orgs))) == len(source_ids)


CURSOR_TEXT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000/500[A-Za-z0-9]{15}"


def test_cli_logs_cursors_and_migration(orgs: Orgs, tmp_path: Path) -> None:
    config = str(write_config(orgs, tmp_path))
    asyncio.run(_create(orgs, 2))

    result = CliRunner().invoke(cli, ["--config", config, "run"])

    assert result.exit_code == 0, result.output
    log = result.stderr
    assert "CursorPosition(" not in result.output
    assert "Context impl" not in log
    assert "Will assume" not in log
    assert "schema migrated from revision none (empty database) to 0001" in log
    assert re.search(r"run \d+ started \(created mode, cursor start\)", log)
    assert re.search(rf"batch 1: cursor -> {CURSOR_TEXT}, read 2", log)
    assert re.search(rf"cursor start -> {CURSOR_TEXT}", result.stdout)

    again = CliRunner().invoke(cli, ["--config", config, "run"])
    assert again.exit_code == 0, again.output
    assert "schema migrated" not in again.stderr
    assert re.search(rf"cursor {CURSOR_TEXT}\)", again.stderr)


def test_group_options_and_command_options(orgs: Orgs, tmp_path: Path) -> None:
    config = str(write_config(orgs, tmp_path))
    missing = str(tmp_path / "missing.toml")
    runner = CliRunner()

    as_json = runner.invoke(cli, ["--config", config, "--log-format", "json", "run"])
    assert as_json.exit_code == 0, as_json.output
    first_line = as_json.stderr.splitlines()[0]
    assert json.loads(first_line)["level"] == "INFO"

    # The command's own --config wins over the group's.
    overridden = runner.invoke(cli, ["--config", missing, "status", "--config", config])
    assert overridden.exit_code == 0, overridden.output
    assert "a_to_b" in overridden.stdout

    from_group = runner.invoke(cli, ["--config", missing, "status"])
    assert from_group.exit_code == 2
    assert "missing.toml" in from_group.stderr

    verbose = runner.invoke(cli, ["-v", "--config", config, "run"])
    assert verbose.exit_code == 0, verbose.output
    assert "DEBUG orgbridge.sync.detect: pair a_to_b: detection query" in (
        verbose.stderr
    )


@pytest.mark.parametrize(
    "command", [["status"], ["dead-letters", "list", "--all"]], ids=" ".join
)
def test_closed_stdout_exits_141_quietly(
    orgs: Orgs, tmp_path: Path, command: list[str]
) -> None:
    config = str(write_config(orgs, tmp_path))
    asyncio.run(_create(orgs, 1, Status="Escalated"))
    run = CliRunner().invoke(cli, ["run", "--config", config])
    assert run.exit_code == 1, run.output

    # A pipe whose reader is gone, as after `| head -1` has read its line.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "from orgbridge.cli.main import main; main()",
                *command,
                "--config",
                config,
            ],
            env=dict(os.environ),
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write_end)

    assert result.returncode == 141, result.stderr
    assert b"error" not in result.stderr
    assert b"Broken pipe" not in result.stderr
    assert b"Traceback" not in result.stderr


def test_failed_run_prints_summary(
    orgs: Orgs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(orgs, tmp_path).read_text()
    config = config.replace(
        'fields = ["Subject", "Status"]\n',
        'fields = ["Subject", "Status"]\nquery_batch_size = 200\n',
    )
    (tmp_path / "orgbridge.toml").write_text(config)
    asyncio.run(_create(orgs, 300))
    send = RestSession.send

    async def send_failing_next_page(
        self: RestSession, method: str, path: str, **options: Any
    ) -> httpx.Response:
        # A query's next page is an absolute /services/data/vNN.0/query/01g... path.
        if "/query/" in path:
            raise ServerUnavailableError(503, "SERVER_UNAVAILABLE", "retries ran out")
        return await send(self, method, path, **options)

    monkeypatch.setattr(RestSession, "send", send_failing_next_page)
    result = CliRunner().invoke(
        cli, ["run", "--config", str(tmp_path / "orgbridge.toml")]
    )

    assert result.exit_code == 2, result.output
    assert "pair a_to_b: failed; read 200, sent 200" in result.stdout
    assert "retries ran out" in result.stderr
    assert "error:" not in result.stdout


@pytest.mark.parametrize(
    ("signum", "exit_code", "message"),
    [
        (signal.SIGINT, 130, "error: interrupted;"),
        (signal.SIGTERM, 143, "error: terminated by SIGTERM;"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_signalled_run_stores_batches_and_stops(
    orgs: Orgs, tmp_path: Path, signum: signal.Signals, exit_code: int, message: str
) -> None:
    source_ids, process = _start_slow_run(orgs, tmp_path)
    try:
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == exit_code, stderr
    assert message.encode() in stderr
    assert b"pair a_to_b: stopped;" in stdout
    with orgs.state() as state:
        (stopped_row,) = state.recent_runs("a_to_b")
        delivered_before_stop = len(state.links("a_to_b", source_ids))
    assert stopped_row.status == "stopped"
    assert stopped_row.finished_at is not None
    assert stopped_row.counts.source_api_calls > 0
    assert stopped_row.counts.target_api_calls > 0
    assert stopped_row.counts.sent == delivered_before_stop
    assert 0 < delivered_before_stop < len(source_ids)

    set_latency(orgs.b, 0)
    rerun = CliRunner().invoke(
        cli, ["run", "--config", str(tmp_path / "orgbridge.toml")]
    )
    assert rerun.exit_code == 0, rerun.output
    assert "stale lease" not in rerun.stderr
    assert "abandoned" not in rerun.stderr

    copies = Counter(row["Source_Case_Id__c"] for row in asyncio.run(_landed(orgs)))
    assert set(copies) == set(source_ids)
    assert set(copies.values()) == {1}
