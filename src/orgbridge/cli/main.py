"""Entry point of the ``orgbridge`` command: one click group, one module per topic.

The group imports a command's module only when that command runs, because each
module pulls in heavy packages (httpx, SQLAlchemy, uvicorn, cryptography).
Importing them all up front cost every ``orgbridge run`` about 1 s before it did
any work (measured with ``python -X importtime`` on a 2-CPU Linux machine).
``orgbridge --help`` lists the commands from ``LAZY_COMMANDS`` and imports none
of them.
"""

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from orgbridge import __version__
from orgbridge.cli.options import group_options, store_group_options
from orgbridge.cli.output import exit_on_broken_pipe


@dataclass(frozen=True)
class LazyCommand:
    """A subcommand that is imported on first use.

    ``module`` is the name of a module in ``orgbridge.cli`` whose ``COMMANDS``
    list contains the command. ``help`` is the first paragraph of the command's
    docstring, which ``orgbridge --help`` shortens to one line.
    """

    module: str
    help: str


# A test checks each entry against the command's own docstring, so a changed
# docstring or a new command fails the suite until this table follows.
LAZY_COMMANDS: dict[str, LazyCommand] = {
    "check": LazyCommand(
        "sync", "Compare each pair's mapping with both orgs' describes before a run."
    ),
    "dead-letters": LazyCommand(
        "sync", "List, retry or discard records that could not be delivered."
    ),
    "demo": LazyCommand(
        "demo", "Sync Cases between two emulated orgs on 127.0.0.1, step by step."
    ),
    "emulator": LazyCommand(
        "emulator", "Serve emulated Salesforce orgs on 127.0.0.1 until interrupted."
    ),
    "login": LazyCommand(
        "connections",
        "Log in to connection NAME in a browser and store its refresh token.",
    ),
    "orgs": LazyCommand(
        "connections",
        "Check every connection: who it logs in as and the API calls left today.",
    ),
    "run": LazyCommand(
        "sync", "Send new (or changed) Cases of each pair once, then exit."
    ),
    "status": LazyCommand(
        "sync",
        "Show per pair: last runs, lag behind the source, open dead letters.",
    ),
    "watch": LazyCommand(
        "sync", "Run the pairs every --interval seconds until SIGINT or SIGTERM."
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module when the subcommand runs."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the names of the added and the lazy commands, sorted."""
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the named command, importing its module if it is a lazy one."""
        entry = self.lazy_commands.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)

        module_name = f"orgbridge.cli.{entry.module}"
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            if isinstance(command, click.Command) and command.name == cmd_name:
                return command
        raise LookupError(
            f"command {cmd_name!r} not found in {module_name}.COMMANDS; "
            "update LAZY_COMMANDS in orgbridge.cli.main"
        )

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; exit quietly with 141 if stdout's reader is gone."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            exit_on_broken_pipe()

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """Write the Commands section of --help without importing lazy commands.

        The layout is click's own ``Group.format_commands``. A lazy command's
        line is shortened from ``LazyCommand.help`` the way click shortens a
        docstring.
        """
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            entry = self.lazy_commands.get(name)
            command = (
                click.Command(name, help=entry.help)
                if entry is not None
                else self.get_command(ctx, name)
            )
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return

        # click leaves three times its default spacing around the name column.
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, command.get_short_help_str(limit)) for name, command in rows]
            )


@click.group(cls=LazyGroup, lazy_commands=LAZY_COMMANDS)
@click.version_option(__version__, prog_name="orgbridge")
@group_options
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_format: str, verbose: int) -> None:
    """Move Salesforce Cases from one org to another, exactly once.

    --config, --log-format and -v given here apply to the sync commands (run,
    watch, status, dead-letters, check) unless the command sets its own.
    """
    store_group_options(ctx, config_path, log_format, verbose)


def main() -> None:
    """Run the command line."""
    cli()
