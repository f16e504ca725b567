"""--config, --log-format and -v, taken by the ``orgbridge`` group and each command.

``orgbridge --config FILE run`` and ``orgbridge run --config FILE`` mean the same.
When both are given, the command's own option wins. The group stores its values
in a GlobalOptions on the click context, and ``common_options`` fills in every
option that the command line left at its default.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from orgbridge.config import DEFAULT_CONFIG_PATH

F = TypeVar("F", bound=Callable[..., Any])

LOG_FORMATS = ("plain", "json")


@dataclass
class GlobalOptions:
    """Values of the group's --config, --log-format and -v options."""

    config_path: Path = DEFAULT_CONFIG_PATH
    log_format: str = "plain"
    verbose: int = 0


def _option_decorators() -> list[Callable[[F], F]]:
    return [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            default=DEFAULT_CONFIG_PATH,
            show_default=True,
            help="The orgbridge config file (orgs, pairs, state).",
        ),
        click.option(
            "--log-format",
            type=click.Choice(LOG_FORMATS),
            default="plain",
            show_default=True,
            help="Log line format on stderr.",
        ),
        click.option(
            "-v", "--verbose", count=True, help="Log DEBUG lines (-vv: HTTP)."
        ),
    ]


def group_options(group: F) -> F:
    """Add the options to the group; its callback must accept them."""
    for option in reversed(_option_decorators()):
        group = option(group)
    return group


def store_group_options(
    ctx: click.Context, config_path: Path, log_format: str, verbose: int
) -> None:
    """Keep the group's values for the command that runs next."""
    ctx.obj = GlobalOptions(config_path, log_format, verbose)


def common_options(command: F) -> F:
    """Add --config, --log-format and -v to a command, defaulting to the group's."""

    @functools.wraps(command)
    def with_group_defaults(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        group = ctx.find_object(GlobalOptions)
        if group is not None:
            for name in ("config_path", "log_format", "verbose"):
                if ctx.get_parameter_source(name) == ParameterSource.DEFAULT:
                    kwargs[name] = getattr(group, name)
        return command(*args, **kwargs)

    wrapped = cast(F, with_group_defaults)
    for option in reversed(_option_decorators()):
        wrapped = option(wrapped)
    return wrapped
