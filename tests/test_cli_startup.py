"""Start-up of the ``orgbridge`` command: what each command imports.

The command group imports a command's module only when that command runs (see
orgbridge.cli.main). These tests run the real entry point in a child process and
read its ``sys.modules``, so an eager import added anywhere on the path fails here.
"""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from orgbridge.cli.main import LAZY_COMMANDS, LazyCommand, LazyGroup, cli

COMMAND_MODULES = ("connections", "sync", "emulator", "demo")
# Top-level packages that --help must not load: the state store's, the emulator
# server's and the Salesforce client's.
HEAVY_FOR_HELP = (
    "alembic",
    "cryptography",
    "httpx",
    "rich",
    "sqlalchemy",
    "starlette",
    "trustme",
    "uvicorn",
)
# Packages a sync command loads only when it needs them: the emulator server
# (never, against running orgs), Alembic (when the state schema is behind) and
# PyJWT with cryptography (for a jwt_bearer connection).
LOADED_ON_DEMAND = (
    "alembic",
    "cryptography",
    "jwt",
    "orgbridge.emulator",
    "starlette",
    "trustme",
    "uvicorn",
)

# Runs the console entry point with the given argv and prints to stderr, as its
# last line, the JSON list of loaded modules that fall under the given prefixes.
CHILD = """
import atexit, json, sys
prefixes = tuple(json.loads(sys.argv[1]))
argv = json.loads(sys.argv[2])

def report():
    loaded = sorted(
        name for name in sys.modules
        if any(name == p or name.startswith(p + ".") for p in prefixes)
    )
    sys.stderr.write("\\n" + json.dumps(loaded) + "\\n")

atexit.register(report)
from orgbridge.cli.main import main
sys.argv = ["orgbridge", *argv]
main()
"""


def loaded_modules(
    prefixes: tuple[str, ...], argv: list[str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``orgbridge ARGV`` in a child; return it and the modules found."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(prefixes), json.dumps(argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    last_line = child.stderr.strip().splitlines()[-1]
    modules: list[str] = json.loads(last_line)
    return child, modules


def test_help_imports_no_heavy_package(tmp_path: Path) -> None:
    child, modules = loaded_modules(HEAVY_FOR_HELP, ["--help"], tmp_path)

    assert child.returncode == 0, child.stderr
    assert "run " in child.stdout
    assert modules == []


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    prefixes = tuple(f"orgbridge.cli.{name}" for name in COMMAND_MODULES)

    child, modules = loaded_modules(prefixes, ["--help"], tmp_path)

    assert child.returncode == 0, child.stderr
    assert modules == []


@pytest.mark.parametrize("command", ["run", "status", "check"])
def test_sync_command_defers_imports(tmp_path: Path, command: str) -> None:
    # The config file is missing, so the command exits 2 right after the imports
    # that a real run would also make.
    child, modules = loaded_modules(
        (*LOADED_ON_DEMAND, "orgbridge.cli.sync"), [command], tmp_path
    )

    assert child.returncode == 2, child.stderr
    assert "orgbridge.toml" in child.stderr
    assert modules == ["orgbridge.cli.sync"]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])

    assert result.exit_code == 0, result.output
    for name in LAZY_COMMANDS:
        assert f"\n  {name} " in result.output


def test_help_matches_click_layout() -> None:
    # click's own Group.format_commands imports every command and shortens its
    # docstring. The lazy group must print the same lines without the imports.
    assert isinstance(cli, LazyGroup)
    ctx = click.Context(cli, info_name="orgbridge")
    for width in (60, 80, 120):
        lazy = click.HelpFormatter(width=width)
        eager = click.HelpFormatter(width=width)

        cli.format_commands(ctx, lazy)
        click.Group.format_commands(cli, ctx, eager)

        assert lazy.getvalue() == eager.getvalue()


@pytest.mark.parametrize("module_name", COMMAND_MODULES)
def test_lazy_commands_match_modules(module_name: str) -> None:
    module = importlib.import_module(f"orgbridge.cli.{module_name}")

    for command in module.COMMANDS:
        assert command.name in LAZY_COMMANDS, f"{command.name} is not registered"
        entry = LAZY_COMMANDS[command.name]
        first_paragraph = " ".join(command.help.partition("\n\n")[0].split())
        assert entry.module == module_name
        assert entry.help == first_paragraph


def test_every_lazy_command_resolves() -> None:
    ctx = click.Context(cli, info_name="orgbridge")

    for name in LAZY_COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        assert command.name == name


def test_unknown_lazy_command_names_the_table() -> None:
    group = LazyGroup(
        name="broken",
        lazy_commands={"nope": LazyCommand("sync", "Not defined in the module.")},
    )
    ctx = click.Context(group, info_name="broken")

    with pytest.raises(
        LookupError, match=re.escape("'nope' not found in orgbridge.cli.sync")
    ):
        group.get_command(ctx, "nope")


def test_python_m_orgbridge_runs_cli(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "orgbridge", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )

    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("Usage: python -m orgbridge [OPTIONS] COMMAND")
