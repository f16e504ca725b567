"""Broken config and unreachable orgs: one clear line, exit 2, no traceback, no secret.

Each file in corpus/config/ is one kind of mistake; its first line, ``# expect:
TEXT``, is the text the error line must contain. ``${name}`` placeholders are
filled with paths and URLs of this test's emulated org. Every case runs
``orgbridge run`` in its own process, all at once, to keep the test short.
"""

import os
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from conftest import TEST_CLIENT_SECRET
from orgbridge.emulator.server import EmulatedOrg

CORPUS = Path(__file__).parent / "corpus" / "config"
WRONG_SECRET = "drill-wrong-secret-5b0c1e"
BAD_KEY_BODY = "ZHJpbGwtYmFkLWtleS1ib2R5LTJjOWQ"
SECRETS = (TEST_CLIENT_SECRET, WRONG_SECRET, BAD_KEY_BODY)
EXIT_ERROR = 2


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def placeholders(org: EmulatedOrg, tmp_path: Path) -> dict[str, str]:
    bad_key = tmp_path / "bad.key"
    bad_key.write_text(
        f"-----BEGIN PRIVATE KEY-----\n{BAD_KEY_BODY}\n-----END PRIVATE KEY-----\n"
    )
    wrong_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(wrong_ca))
    return {
        "state": f"sqlite:///{tmp_path}/state.sqlite",
        "url": org.instance_url,
        "ca": str(org.ca_bundle),
        "secret": TEST_CLIENT_SECRET,
        "bad_key": str(bad_key),
        "missing_key": str(tmp_path / "no-such.key"),
        "closed_port": str(closed_port()),
        "wrong_ca": str(wrong_ca),
    }


def cli_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["ORGBRIDGE_DRILL_SECRET"] = TEST_CLIENT_SECRET
    env["ORGBRIDGE_DRILL_WRONG_SECRET"] = WRONG_SECRET
    env.pop("ORGBRIDGE_DRILL_UNSET", None)
    return env


def test_config_corpus_has_every_kind() -> None:
    kinds = {path.stem for path in CORPUS.glob("*.toml")}
    assert {
        "toml_syntax",
        "unknown_key",
        "wrong_type",
        "unknown_org",
        "missing_secret",
        "bad_key_file",
        "unreachable_host",
        "wrong_ca",
    } <= kinds


def test_config_errors_exit_2_with_one_line(
    emulated_org: EmulatedOrg, tmp_path: Path
) -> None:
    values = placeholders(emulated_org, tmp_path)
    processes: dict[str, tuple[str, subprocess.Popen[str]]] = {}
    for template in sorted(CORPUS.glob("*.toml")):
        # One state file per case: concurrent runs of one pair would hit its lease.
        values["state"] = f"sqlite:///{tmp_path}/{template.stem}.sqlite"
        text = string.Template(template.read_text()).substitute(values)
        expected = text.splitlines()[0].removeprefix("# expect: ")
        config = tmp_path / template.name
        config.write_text(text)
        command = [
            sys.executable,
            "-c",
            "from orgbridge.cli.main import main; main()",
            "run",
            "--config",
            str(config),
        ]
        processes[template.stem] = (
            expected,
            subprocess.Popen(
                command,
                env=cli_environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )

    failures: list[str] = []
    for kind, (expected, process) in processes.items():
        stdout, stderr = process.communicate(timeout=60)
        output = stdout + stderr
        error_lines = [line for line in output.splitlines() if "error:" in line]
        problems = [
            f"exit {process.returncode}" if process.returncode != EXIT_ERROR else "",
            "traceback" if "Traceback" in output else "",
            f"{len(error_lines)} error lines" if len(error_lines) != 1 else "",
            f"no {expected!r}" if expected not in "".join(error_lines) else "",
            "a secret" if any(secret in output for secret in SECRETS) else "",
        ]
        problems = [problem for problem in problems if problem]
        if problems:
            failures.append(f"{kind}: {', '.join(problems)}\n{output}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("kind", "expected", "exit_code"),
    [
        ("missing_secret", "FAILED: connection 'a'", 1),
        ("unknown_org", "error: [pairs.p] target: unknown org 'c'", EXIT_ERROR),
        ("wrong_ca", "FAILED: connection 'a'", 1),
    ],
)
def test_orgs_command_reports_failures(
    emulated_org: EmulatedOrg, tmp_path: Path, kind: str, expected: str, exit_code: int
) -> None:
    # `orgbridge orgs` once crashed with a TypeError when every connection failed.
    values = placeholders(emulated_org, tmp_path)
    text = string.Template((CORPUS / f"{kind}.toml").read_text()).substitute(values)
    config = tmp_path / "orgbridge.toml"
    config.write_text(text)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orgbridge.cli.main import main; main()",
            "orgs",
            "--config",
            str(config),
        ],
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == exit_code, output
    assert expected in output
    assert "Traceback" not in output
    assert not any(secret in output for secret in SECRETS)
