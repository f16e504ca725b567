"""RunReport: what one run read, sent and dead-lettered, and its exit code.

The CLI exits with these codes, also listed in docs/sync.md. 0: all good.
1: something was dead-lettered. 2: config, usage or connection error.
3: stopped by the API budget guard.
"""

from dataclasses import dataclass, field

from orgbridge.state import CursorPosition, RunCounts

EXIT_OK = 0
EXIT_DEAD_LETTERS = 1
EXIT_ERROR = 2
EXIT_BUDGET = 3

# The attribute that marks the engine's end-of-run log record, which repeats the
# summary the CLI prints on stdout (``extra={RUN_SUMMARY: True}``).
RUN_SUMMARY = "run_summary"

# Run statuses stored in the runs table.
SUCCEEDED = "succeeded"
DEAD_LETTERED = "dead_lettered"
BUDGET_STOPPED = "budget_stopped"
STOPPED = "stopped"
FAILED = "failed"
DRY_RUN = "dry_run"


@dataclass
class RunReport:
    """The outcome of one run of one pair."""

    pair: str
    run_id: int | None
    status: str
    counts: RunCounts = field(default_factory=RunCounts)
    cursor_from: CursorPosition | None = None
    cursor_to: CursorPosition | None = None
    write_back_failures: int = 0
    error: str | None = None
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        """The process exit code this run calls for."""
        if self.status == BUDGET_STOPPED:
            return EXIT_BUDGET
        if self.status == FAILED:
            return EXIT_ERROR
        if self.counts.dead_lettered:
            return EXIT_DEAD_LETTERS
        return EXIT_OK

    def summary(self) -> str:
        """Format a one-line summary with counts and the cursor range."""
        counts = self.counts
        verb = "would send" if self.dry_run else "sent"
        line = (
            f"pair {self.pair}: {self.status}; read {counts.read}, {verb} "
            f"{counts.sent}, created {counts.created}, updated {counts.updated}, "
            f"skipped {counts.skipped}, dead-lettered {counts.dead_lettered}; "
            f"API calls source {counts.source_api_calls}, target "
            f"{counts.target_api_calls}; cursor {format_cursor(self.cursor_from)} -> "
            f"{format_cursor(self.cursor_to)}"
        )
        if self.write_back_failures:
            line += f"; write-back failed for {self.write_back_failures} Cases"
        if self.error:
            line += f"; {self.error}"
        return line


def format_cursor(cursor: CursorPosition | None) -> str:
    """Format a cursor as ``<timestamp>/<Id>``, or "start" before the first batch."""
    return "start" if cursor is None else str(cursor)
