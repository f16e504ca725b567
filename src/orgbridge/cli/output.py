"""Output shared by the commands: the one-line error and tables.

A table goes to a terminal as a rich table, sized to the terminal's width. When
stdout is not a terminal (a pipe, a file, CI), the table is plain text: one row per
line, with columns padded to their widest value and separated by two spaces. No
value is shortened, so ``grep`` and ``awk`` see every value whole.
"""

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

# The exit code for a config, usage, state or connection error; the sync commands
# list every code in orgbridge.sync.report.
EXIT_ERROR = 2
# The shell's exit status for a process ended by SIGPIPE (128 + 13), which is what
# `yes | head -1` reports under `set -o pipefail`.
EXIT_BROKEN_PIPE = 141


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``error: MESSAGE`` on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def exit_on_broken_pipe() -> NoReturn:
    """Exit quietly with code 141 after stdout's reader went away (``| head``).

    stdout is pointed at /dev/null first, so the flush at interpreter exit does
    not raise BrokenPipeError again (the recipe in Python's ``signal`` docs).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def stdout_is_terminal() -> bool:
    """Return whether stdout is an interactive terminal."""
    return sys.stdout.isatty()


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    no_wrap: Sequence[str] = (),
) -> None:
    """Print a table: rich on a terminal, plain full-width lines otherwise.

    ``no_wrap`` names columns that rich keeps on one line (timestamps, statuses).
    """
    if stdout_is_terminal():
        _print_rich_table(headers, rows, no_wrap)
    else:
        for line in plain_table_lines(headers, rows):
            click.echo(line)


def plain_table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> list[str]:
    """Format a table as text lines: a header, then one line per row, unshortened.

    A line break inside a value becomes a space, so each row stays on one line.
    """
    cells = [list(headers), *([_one_line(value) for value in row] for row in rows)]
    widths = [
        max(len(line[column]) for line in cells) for column in range(len(headers))
    ]
    return [
        "  ".join(
            value.ljust(width) for value, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in cells
    ]


def _one_line(value: str) -> str:
    return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _print_rich_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], no_wrap: Sequence[str]
) -> None:
    # rich is imported here because only terminal output needs it.
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    columns = [Column(header, no_wrap=header in no_wrap) for header in headers]
    table = Table(*columns)
    # Text, not str: a value such as "missing: [Subject]" is not rich markup.
    for row in rows:
        table.add_row(*(Text(value) for value in row))
    Console().print(table)
