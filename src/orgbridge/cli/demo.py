"""``orgbridge demo``: the main job, end to end, on two emulated orgs."""

from pathlib import Path

import click
from rich.console import Console

from orgbridge.config import ConfigError
from orgbridge.demo.run import DemoError, run_demo
from orgbridge.salesforce.errors import SalesforceError


@click.command("demo")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".orgbridge") / "demo",
    show_default=True,
    help="Folder for the demo's config, keys, CA and state; emptied first.",
)
@click.option(
    "--cases",
    type=click.IntRange(1, 20_000),
    default=300,
    show_default=True,
    help="How many Cases to create in Org A before the first sync.",
)
def demo_command(workdir: Path, cases: int) -> None:
    """Sync Cases between two emulated orgs on 127.0.0.1, step by step."""
    try:
        run_demo(workdir, cases=cases, console=Console())
    except BrokenPipeError:
        # stdout's reader is gone; the command group exits quietly.
        raise
    except (DemoError, ConfigError, SalesforceError, OSError) as error:
        raise click.ClickException(str(error)) from error


COMMANDS = [demo_command]
