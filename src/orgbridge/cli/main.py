"""Entry point of the ``orgbridge`` command: one click group, one module per topic."""

import importlib

import click

from orgbridge import __version__

# Each module defines a click command or group named ``command``; they are imported
# here so that ``orgbridge --help`` lists them all.
COMMAND_MODULES = ("connections", "sync", "emulator", "demo")


@click.group()
@click.version_option(__version__, prog_name="orgbridge")
def cli() -> None:
    """Move Salesforce Cases from one org to another, exactly once."""


for _module_name in COMMAND_MODULES:
    _module = importlib.import_module(f"orgbridge.cli.{_module_name}")
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Run the command line."""
    cli()
