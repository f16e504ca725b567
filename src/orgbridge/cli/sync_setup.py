"""Set-up shared by the sync commands: logging, config, secrets, pairs, clients.

Expected errors (config, state, Salesforce, sync, OS) become one ``error:`` line
on stderr and exit code 2, never a traceback or a secret.
"""

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from orgbridge.cli.output import fail
from orgbridge.config import AppConfig, ConfigError, load_config
from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.errors import SalesforceError
from orgbridge.state import StateError
from orgbridge.sync.errors import PairConfigError, SyncError
from orgbridge.sync.pair import PairConfig
from orgbridge.sync.preflight import check_secrets
from orgbridge.sync.report import (
    EXIT_BUDGET,
    EXIT_DEAD_LETTERS,
    EXIT_ERROR,
    EXIT_OK,
    RUN_SUMMARY,
)

T = TypeVar("T")

# The shell's convention for a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
EXPECTED_ERRORS = (ConfigError, StateError, SalesforceError, SyncError, OSError)


class JsonFormatter(logging.Formatter):
    """Formats a log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        return json.dumps(entry)


def is_not_run_summary(record: logging.LogRecord) -> bool:
    """Return False for the engine's end-of-run summary, which stdout also shows."""
    return not getattr(record, RUN_SUMMARY, False)


def setup_logging(log_format: str, verbose: int) -> None:
    """Send logs to stderr: INFO by default, DEBUG with -v.

    On a terminal, without -v, the run summary is left out of the plain log,
    because the command prints it on stdout.
    """
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        if not verbose and sys.stderr.isatty():
            handler.addFilter(is_not_run_summary)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # httpx logs every request URL at INFO; keep that for -vv.
    logging.getLogger("httpx").setLevel(
        logging.DEBUG if verbose > 1 else logging.WARNING
    )
    # alembic logs its dialect and DDL mode at INFO on every start; the state
    # store logs an applied migration itself.
    logging.getLogger("alembic").setLevel(logging.INFO if verbose else logging.WARNING)


@contextmanager
def handled_errors() -> Iterator[None]:
    """Turn an expected error into one line on stderr and exit code 2."""
    try:
        yield
    except BrokenPipeError:
        # stdout's reader is gone; the command group exits quietly.
        raise
    except EXPECTED_ERRORS as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail(
            "interrupted; the next run resumes after the last stored batch",
            EXIT_INTERRUPTED,
        )


def load(config_path: Path, log_format: str, verbose: int) -> AppConfig:
    """Set up logging and read the config file (exit 2 when it is invalid)."""
    setup_logging(log_format, verbose)
    try:
        return load_config(config_path)
    except ConfigError as error:
        fail(str(error))


def check_pair_secrets(config: AppConfig, pairs: list[PairConfig]) -> None:
    """Read the secrets of every org the pairs use; exit 2 naming a missing one.

    This runs before the state store opens and before any API call.
    """
    names = dict.fromkeys(org for pair in pairs for org in (pair.source, pair.target))
    with handled_errors():
        check_secrets(config.orgs[name] for name in names)


def pair_error_message(pair: PairConfig, error: Exception) -> str:
    """Format a pair's error as one line that names the pair."""
    text = " ".join(str(error).split())
    if isinstance(error, PairConfigError):
        return text
    return f"pair {pair.name}: {text}"


def select_pairs(config: AppConfig, names: tuple[str, ...]) -> list[PairConfig]:
    """Return the named pairs, or every pair when none is named."""
    if not config.pairs:
        fail("the config defines no [pairs.NAME] tables")
    unknown = [name for name in names if name not in config.pairs]
    if unknown:
        known = ", ".join(sorted(config.pairs))
        fail(f"unknown pair(s) {', '.join(unknown)}; known: {known}")
    return (
        [config.pairs[name] for name in names] if names else list(config.pairs.values())
    )


class Clients:
    """One SalesforceClient per org, opened on first use and closed together."""

    def __init__(self, config: AppConfig, stack: AsyncExitStack) -> None:
        self.config = config
        self.stack = stack
        self.clients: dict[str, SalesforceClient] = {}

    async def get(self, org: str) -> SalesforceClient:
        """Return the org's client, opening it on first use."""
        if org not in self.clients:
            client = SalesforceClient(self.config.orgs[org])
            self.clients[org] = await self.stack.enter_async_context(client)
        return self.clients[org]


def combined_exit_code(codes: list[int]) -> int:
    """Pick the most serious exit code: budget, then error, then dead letters."""
    for code in (EXIT_BUDGET, EXIT_ERROR, EXIT_DEAD_LETTERS):
        if code in codes:
            return code
    return EXIT_OK


def run_async(coroutine: Awaitable[T]) -> T:
    """Run a coroutine; expected errors become one line and exit code 2."""

    async def wrapper() -> T:
        return await coroutine

    with handled_errors():
        return asyncio.run(wrapper())
    raise AssertionError("unreachable")
