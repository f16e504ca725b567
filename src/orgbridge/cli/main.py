"""Entry point of the ``orgbridge`` command: one click group, one module per topic."""

import importlib
from pathlib import Path

import click

from orgbridge import __version__
from orgbridge.cli.options import group_options, store_group_options

# Each module defines a click command or group named ``command``; they are imported
# here so that ``orgbridge --help`` lists them all.
COMMAND_MODULES = ("connections", "sync", "emulator", "demo")


@click.group()
@click.version_option(__version__, prog_name="orgbridge")
@group_options
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_format: str, verbose: int) -> None:
    """Move Salesforce Cases from one org to another, exactly once.

    --config, --log-format and -v given here apply to the sync commands (run,
    watch, status, dead-letters, check) unless the command sets its own.
    """
    store_group_options(ctx, config_path, log_format, verbose)


for _module_name in COMMAND_MODULES:
    _module = importlib.import_module(f"orgbridge.cli.{_module_name}")
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Run the command line."""
    cli()
