"""Sync commands: run, watch, status, dead-letters, check.

Exit codes: 0 all good, 1 something was dead-lettered (or check found errors),
2 config, usage or connection error, 3 stopped by the API budget guard, 130 and
143 a run stopped by SIGINT or SIGTERM.
Errors print one line, never a traceback or a secret.

A run's summary goes to stdout. The engine also logs it on stderr, for log
files. When stderr is a terminal, that log line is shown only with -v, so an
interactive user does not read the same line twice.
"""

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.progress import Progress

from orgbridge.cli.options import common_options
from orgbridge.cli.output import fail, print_table
from orgbridge.cli.sync_setup import (
    EXPECTED_ERRORS,
    Clients,
    check_pair_secrets,
    combined_exit_code,
    handled_errors,
    load,
    pair_error_message,
    run_async,
    select_pairs,
)
from orgbridge.config import AppConfig
from orgbridge.salesforce.datetimes import parse_datetime, utc_now
from orgbridge.salesforce.ids import is_valid_id, to_18
from orgbridge.state import StateStore
from orgbridge.sync.check import ERROR, check_pair
from orgbridge.sync.engine import SyncEngine
from orgbridge.sync.map import MappedRecord
from orgbridge.sync.pair import PairConfig
from orgbridge.sync.report import (
    EXIT_DEAD_LETTERS,
    EXIT_ERROR,
    EXIT_OK,
    RunReport,
)
from orgbridge.sync.retry import retry_dead_letters

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class RunOutcome:
    """The reports of the pairs that ran, and the exit code of each pair."""

    def __init__(self) -> None:
        self.reports: list[RunReport] = []
        self.exit_codes: list[int] = []

    def add_report(self, report: RunReport) -> None:
        """Keep a finished run's report, to print its summary."""
        self.reports.append(report)
        self.exit_codes.append(report.exit_code)

    def add_error(self, report: RunReport | None) -> None:
        """Count a pair whose run raised; its error line is already printed.

        ``report`` is the failed run's report, whose summary is printed too, or
        None when the pair stopped before its run row.
        """
        if report is not None:
            self.reports.append(report)
        self.exit_codes.append(EXIT_ERROR)


class StopRequest:
    """SIGINT or SIGTERM handling for run and watch.

    On the first signal each engine finishes and stores the batches in hand, ends
    its run as stopped and releases the lease. No further pair starts. A second
    signal takes the default action: Ctrl-C raises KeyboardInterrupt and
    SIGTERM ends the process at once, so the runs in progress are left for the next
    run to mark abandoned.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self.engines: list[SyncEngine] = []
        self.event = asyncio.Event()

    def install(self) -> None:
        """Handle the signals in the running event loop."""
        loop = asyncio.get_running_loop()
        for signum in self.SIGNALS:
            loop.add_signal_handler(signum, self.request, signum)

    def request(self, signum: signal.Signals) -> None:
        """Ask the running engines to stop after the batches in hand."""
        logger.info(
            "%s received: finishing the batches in hand, then exiting; send it "
            "again to exit at once",
            signum.name,
        )
        self.signal = signum
        self.event.set()
        for engine in self.engines:
            engine.request_stop()

        loop = asyncio.get_running_loop()
        for handled in self.SIGNALS:
            loop.remove_signal_handler(handled)

    @property
    def requested(self) -> bool:
        """Whether a stop signal has arrived."""
        return self.signal is not None

    def add(self, engine: SyncEngine) -> None:
        """Stop ``engine`` on a later signal, or now if one already arrived."""
        self.engines.append(engine)
        if self.requested:
            engine.request_stop()


def print_dry_run_record(record: MappedRecord) -> None:
    """Print one record a dry run would send."""
    payload = json.dumps(record.payload, sort_keys=True, default=str)
    click.echo(f"would upsert {record.source_id}: {payload}")


async def run_pairs(
    config: AppConfig,
    pairs: list[PairConfig],
    state: StateStore,
    *,
    dry_run: bool,
    stop: StopRequest | None = None,
) -> RunOutcome:
    """Run each pair once, in order; a failed pair does not stop the others.

    A pair that raises gets one ``error:`` line on stderr, and a summary if its
    run row was written. After a stop signal no further pair starts.
    """
    outcome = RunOutcome()
    show_progress = sys.stdout.isatty() and not dry_run
    async with AsyncExitStack() as stack:
        clients = Clients(config, stack)
        progress = stack.enter_context(Progress(disable=not show_progress))
        for pair in pairs:
            if stop is not None and stop.requested:
                logger.info(
                    "pair %s: not started, because a stop was requested", pair.name
                )
                continue
            task = progress.add_task(f"{pair.name}", total=None)

            def advance(read: int, total: int, task_id: Any = task) -> None:
                progress.update(task_id, completed=read, total=total)

            engine = None
            try:
                engine = SyncEngine(
                    pair,
                    await clients.get(pair.source),
                    await clients.get(pair.target),
                    state,
                    progress=advance,
                    dry_run_sink=print_dry_run_record if dry_run else None,
                )
                if stop is not None:
                    stop.add(engine)
                outcome.add_report(await engine.run(dry_run=dry_run))
            except BrokenPipeError:
                # A dry run's stdout reader is gone; the other pairs would fail too.
                raise
            except EXPECTED_ERRORS as error:
                click.echo(f"error: {pair_error_message(pair, error)}", err=True)
                outcome.add_error(engine.report if engine is not None else None)
    return outcome


@click.command("run")
@click.option("--pair", "pair_names", multiple=True, help="Run only this pair.")
@click.option("--dry-run", is_flag=True, help="Read and map, send nothing.")
@common_options
def run_command(
    pair_names: tuple[str, ...],
    dry_run: bool,
    config_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """Send new (or changed) Cases of each pair once, then exit."""
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)
    check_pair_secrets(config, pairs)
    stop = StopRequest()

    async def run_until_stopped(state: StateStore) -> RunOutcome:
        stop.install()
        return await run_pairs(config, pairs, state, dry_run=dry_run, stop=stop)

    with handled_errors(), StateStore(config.state_url) as state:
        outcome = run_async(run_until_stopped(state))
    for report in outcome.reports:
        click.echo(report.summary())
    if stop.signal is not None:
        # The shell's convention for a process ended by a signal: 128 + its number.
        reason = (
            "interrupted"
            if stop.signal == signal.SIGINT
            else f"terminated by {stop.signal.name}"
        )
        fail(
            f"{reason}; the next run resumes after the last stored batch",
            128 + stop.signal,
        )
    sys.exit(combined_exit_code(outcome.exit_codes))


@click.command("watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    help="Seconds between the end of one run and the start of the next.",
)
@click.option("--pair", "pair_names", multiple=True, help="Watch only this pair.")
@common_options
def watch_command(
    interval: float,
    pair_names: tuple[str, ...],
    config_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """Run the pairs every --interval seconds until SIGINT or SIGTERM.

    On a signal the batches in hand are finished and stored, then it exits 0.
    """
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)
    check_pair_secrets(config, pairs)
    with handled_errors(), StateStore(config.state_url) as state:
        run_async(_watch(config, pairs, state, interval))
    sys.exit(EXIT_OK)


async def _watch(
    config: AppConfig, pairs: list[PairConfig], state: StateStore, interval: float
) -> None:
    stop = StopRequest()
    stop.install()

    while not stop.requested:
        stop.engines.clear()
        outcome = await run_pairs(config, pairs, state, dry_run=False, stop=stop)
        for report in outcome.reports:
            click.echo(report.summary())
        try:
            await asyncio.wait_for(stop.event.wait(), timeout=interval)
        except TimeoutError:
            continue
    logger.info("watch stopped")


_RUN_HEADERS = (
    "run",
    "started",
    "status",
    "read",
    "sent",
    "created",
    "updated",
    "dead",
    "calls src",
    "calls tgt",
)


@click.command("status")
@common_options
def status_command(config_path: Path, log_format: str, verbose: int) -> None:
    """Show per pair: last runs, lag behind the source, open dead letters."""
    config = load(config_path, log_format, verbose)
    with handled_errors(), StateStore(config.state_url) as state:
        open_letters = dict(state.iter_open_dead_letter_counts())
        for pair in config.pairs.values():
            cursor = state.cursor(pair.name)
            lag = "never run"
            if cursor is not None:
                seconds = (utc_now() - parse_datetime(cursor.ts)).total_seconds()
                lag = f"{int(seconds)} s (cursor {cursor})"
            click.echo(
                f"{click.style(pair.name, bold=True)} {pair.source} -> {pair.target} "
                f"({pair.mode}): lag {lag}; open dead letters "
                f"{open_letters.get(pair.name, 0)}"
            )

            runs = state.recent_runs(pair.name)
            rows = [
                [
                    str(run.id),
                    run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                    run.status,
                    *(
                        str(value)
                        for value in (
                            run.counts.read,
                            run.counts.sent,
                            run.counts.created,
                            run.counts.updated,
                            run.counts.dead_lettered,
                            run.counts.source_api_calls,
                            run.counts.target_api_calls,
                        )
                    ),
                ]
                for run in runs
            ]
            print_table(_RUN_HEADERS, rows, no_wrap=("started", "status"))
            for run in runs:
                if run.error:
                    click.echo(f"run {run.id} {run.status}: {run.error}")


@click.group("dead-letters")
def dead_letters_group() -> None:
    """List, retry or discard records that could not be delivered."""


def _selection_options(command: F) -> F:
    command = click.option(
        "--all", "select_all", is_flag=True, help="Select every open dead letter."
    )(command)
    command = click.option(
        "--id", "source_ids", multiple=True, help="Source Case Id (repeatable)."
    )(command)
    return click.option("--pair", "pair_names", multiple=True, help="Pair name.")(
        command
    )


def _require_selection(source_ids: tuple[str, ...], select_all: bool) -> None:
    if not source_ids and not select_all:
        fail("name records with --id SOURCE_ID (repeatable) or pass --all")


def _normalized_ids(source_ids: tuple[str, ...]) -> list[str]:
    # Dead letters store 18-character Ids; accept the 15-character form too.
    ids = [
        to_18(value) if len(value) == 15 and is_valid_id(value) else value
        for value in source_ids
    ]
    return list(dict.fromkeys(ids))


def match_open_dead_letters(
    state: StateStore, pairs: list[PairConfig], source_ids: list[str]
) -> dict[str, list[str]]:
    """Return, per pair name, which of the source Ids have an open dead letter.

    Each Id that matches no open dead letter of the selected pairs is named on
    stderr, as a warning, or as an error with exit code 2 when no Id matches.
    """
    matched: dict[str, list[str]] = {}
    for pair in pairs:
        letters = state.dead_letters(pair.name, status="open", source_ids=source_ids)
        matched[pair.name] = [letter.source_id for letter in letters]

    found = {source_id for ids in matched.values() for source_id in ids}
    prefix = "warning" if found else "error"
    for source_id in source_ids:
        if source_id not in found:
            reason = _unmatched_reason(state, pairs, source_id)
            click.echo(f"{prefix}: --id {source_id}: {reason}", err=True)
    if not found:
        sys.exit(EXIT_ERROR)
    return matched


def _unmatched_reason(
    state: StateStore, pairs: list[PairConfig], source_id: str
) -> str:
    names = ", ".join(pair.name for pair in pairs)
    for pair in pairs:
        for letter in state.dead_letters(
            pair.name, status=None, source_ids=[source_id]
        ):
            return f"its dead letter in pair {pair.name} is {letter.status}, not open"
    return f"no dead letter with this source Id in pair {names}"


_DEAD_LETTER_HEADERS = (
    "pair",
    "source Id",
    "status",
    "errorCode",
    "fields",
    "attempts",
    "last seen",
    "message",
)


@dead_letters_group.command("list")
@click.option("--pair", "pair_names", multiple=True, help="Pair name.")
@click.option("--id", "source_ids", multiple=True, help="Source Case Id.")
@click.option("--all", "select_all", is_flag=True, help="Also resolved and discarded.")
@common_options
def list_command(
    pair_names: tuple[str, ...],
    source_ids: tuple[str, ...],
    select_all: bool,
    config_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """List dead letters (open ones unless --all)."""
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)
    with handled_errors(), StateStore(config.state_url) as state:
        rows: list[list[str]] = []
        for pair in pairs:
            letters = state.dead_letters(
                pair.name,
                status=None if select_all else "open",
                source_ids=list(source_ids) or None,
            )
            rows.extend(
                [
                    pair.name,
                    letter.source_id,
                    letter.status,
                    letter.error_code,
                    ", ".join(letter.fields),
                    str(letter.attempts),
                    letter.last_seen_at.strftime("%Y-%m-%d %H:%M:%S"),
                    letter.message,
                ]
                for letter in letters
            )
        print_table(_DEAD_LETTER_HEADERS, rows, no_wrap=("source Id", "last seen"))


@dead_letters_group.command("retry")
@_selection_options
@common_options
def retry_command(
    pair_names: tuple[str, ...],
    source_ids: tuple[str, ...],
    select_all: bool,
    config_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """Re-read, re-map and upsert dead-lettered Cases; resolved on success."""
    _require_selection(source_ids, select_all)
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)

    async def retry_all(selected: dict[str, list[str]] | None) -> int:
        failing = 0
        async with AsyncExitStack() as stack:
            clients = Clients(config, stack)
            for pair in pairs:
                ids = None if selected is None else selected[pair.name]
                if ids == []:
                    continue
                report = await retry_dead_letters(
                    pair,
                    await clients.get(pair.source),
                    await clients.get(pair.target),
                    state,
                    ids,
                )
                click.echo(
                    f"pair {pair.name}: retried {report.attempted}, resolved "
                    f"{report.resolved}, still failing {report.still_failing}, not "
                    f"found in the source {report.not_found}"
                )
                failing += report.still_failing + report.not_found
        return failing

    check_pair_secrets(config, pairs)
    with handled_errors(), StateStore(config.state_url) as state:
        selected = None
        if source_ids:
            ids = _normalized_ids(source_ids)
            selected = match_open_dead_letters(state, pairs, ids)
        failing = run_async(retry_all(selected))
    sys.exit(EXIT_DEAD_LETTERS if failing else EXIT_OK)


@dead_letters_group.command("discard")
@_selection_options
@common_options
def discard_command(
    pair_names: tuple[str, ...],
    source_ids: tuple[str, ...],
    select_all: bool,
    config_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """Mark dead letters discarded: they are kept for the record, never retried."""
    _require_selection(source_ids, select_all)
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)
    with handled_errors(), StateStore(config.state_url) as state:
        selected = None
        if source_ids:
            selected = match_open_dead_letters(
                state, pairs, _normalized_ids(source_ids)
            )
        for pair in pairs:
            if selected is None:
                ids = [letter.source_id for letter in state.dead_letters(pair.name)]
            else:
                ids = selected[pair.name]
            changed = state.set_dead_letter_status(pair.name, ids, "discarded")
            click.echo(f"pair {pair.name}: discarded {changed} dead letters")


@click.command("check")
@click.option("--pair", "pair_names", multiple=True, help="Check only this pair.")
@common_options
def check_command(
    pair_names: tuple[str, ...], config_path: Path, log_format: str, verbose: int
) -> None:
    """Compare each pair's mapping with both orgs' describes before a run."""
    config = load(config_path, log_format, verbose)
    pairs = select_pairs(config, pair_names)

    async def check_all() -> int:
        errors = 0
        rows: list[list[str]] = []
        async with AsyncExitStack() as stack:
            clients = Clients(config, stack)
            for pair in pairs:
                findings = await check_pair(
                    pair, await clients.get(pair.source), await clients.get(pair.target)
                )
                rows.extend(
                    [
                        pair.name,
                        finding.severity,
                        finding.org,
                        finding.field,
                        finding.problem,
                    ]
                    for finding in findings
                )
                errors += sum(1 for f in findings if f.severity == ERROR)
                if not findings:
                    click.echo(f"pair {pair.name}: no problems found")
        if rows:
            print_table(("pair", "severity", "org", "field", "problem"), rows)
        return errors

    check_pair_secrets(config, pairs)
    errors = run_async(check_all())
    sys.exit(EXIT_DEAD_LETTERS if errors else EXIT_OK)


COMMANDS = [
    run_command,
    watch_command,
    status_command,
    dead_letters_group,
    check_command,
]
