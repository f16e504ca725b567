"""Run history and dead-letter queries of the state store."""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row

from orgbridge.state.records import CursorPosition, DeadLetter, RunCounts, RunRecord
from orgbridge.state.schema import dead_letters, runs

DEAD_LETTER_STATUSES = ("open", "resolved", "discarded")
# Status of a run whose process ended without closing its row (SIGKILL, a crash,
# a lost machine); set by the next run of the pair.
ABANDONED = "abandoned"
ABANDONED_MESSAGE = (
    "the run's process ended before the run finished (killed or crashed); "
    "the next run resumed from the last stored batch"
)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _cursor(ts: str | None, record_id: str | None) -> CursorPosition | None:
    if ts is None or record_id is None:
        return None
    return CursorPosition(ts, record_id)


def _run_record(row: Row[Any]) -> RunRecord:
    counts = RunCounts(
        read=row.read_count,
        sent=row.sent_count,
        created=row.created_count,
        updated=row.updated_count,
        skipped=row.skipped_count,
        dead_lettered=row.dead_lettered_count,
        source_api_calls=row.source_api_calls,
        target_api_calls=row.target_api_calls,
    )
    started_at = _aware(row.started_at)
    assert started_at is not None
    return RunRecord(
        id=row.id,
        pair=row.pair,
        kind=row.kind,
        started_at=started_at,
        finished_at=_aware(row.finished_at),
        status=row.status,
        counts=counts,
        cursor_from=_cursor(row.cursor_from_ts, row.cursor_from_id),
        cursor_to=_cursor(row.cursor_to_ts, row.cursor_to_id),
        error=row.error,
    )


def _dead_letter(row: Row[Any]) -> DeadLetter:
    first_seen_at = _aware(row.first_seen_at)
    last_seen_at = _aware(row.last_seen_at)
    assert first_seen_at is not None and last_seen_at is not None
    return DeadLetter(
        id=row.id,
        pair=row.pair,
        source_id=row.source_id,
        source_modstamp=row.source_modstamp,
        error_code=row.error_code,
        message=row.message,
        fields=list(row.fields or []),
        payload=row.payload,
        attempts=row.attempts,
        status=row.status,
        first_seen_at=first_seen_at,
        last_seen_at=last_seen_at,
        resolved_at=_aware(row.resolved_at),
    )


def _count_values(counts: RunCounts) -> dict[str, int]:
    return {
        "read_count": counts.read,
        "sent_count": counts.sent,
        "created_count": counts.created,
        "updated_count": counts.updated,
        "skipped_count": counts.skipped,
        "dead_lettered_count": counts.dead_lettered,
        "source_api_calls": counts.source_api_calls,
        "target_api_calls": counts.target_api_calls,
    }


class RunHistory:
    """Queries on the ``runs`` and ``dead_letters`` tables; mixed into StateStore."""

    def begin(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def start_run(
        self, pair: str, kind: str, cursor_from: CursorPosition | None
    ) -> int:
        """Insert a ``running`` row for a new run and return its id."""
        with self.begin() as conn:
            result = conn.execute(
                insert(runs).values(
                    pair=pair,
                    kind=kind,
                    started_at=self.now(),
                    status="running",
                    cursor_from_ts=cursor_from.ts if cursor_from else None,
                    cursor_from_id=cursor_from.record_id if cursor_from else None,
                    **_count_values(RunCounts()),
                )
            )
            run_id = (
                result.inserted_primary_key[0] if result.inserted_primary_key else None
            )
        assert isinstance(run_id, int)
        return run_id

    def update_run(self, run_id: int, counts: RunCounts) -> None:
        """Store a running run's counters, so a crashed run still shows its progress."""
        with self.begin() as conn:
            store_run_counts(conn, run_id, counts)

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: RunCounts,
        cursor_to: CursorPosition | None,
        error: str | None = None,
    ) -> None:
        """Close a run with its final status, counters and cursor."""
        with self.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=status,
                    finished_at=self.now(),
                    cursor_to_ts=cursor_to.ts if cursor_to else None,
                    cursor_to_id=cursor_to.record_id if cursor_to else None,
                    error=error,
                    **_count_values(counts),
                )
            )

    def abandon_stale_runs(self, pair: str) -> list[int]:
        """Mark the pair's ``running`` rows ``abandoned``; return their ids.

        Call it only while holding the pair's lease: then no live run of the pair
        exists, so a ``running`` row is left by a process that was killed or
        crashed before it could close its run.
        """
        with self.begin() as conn:
            stale = list(
                conn.execute(
                    select(runs.c.id).where(
                        runs.c.pair == pair, runs.c.status == "running"
                    )
                ).scalars()
            )
            if stale:
                conn.execute(
                    update(runs)
                    .where(runs.c.id.in_(stale))
                    .values(
                        status=ABANDONED,
                        finished_at=self.now(),
                        error=ABANDONED_MESSAGE,
                    )
                )
        return stale

    def recent_runs(self, pair: str, limit: int = 5) -> list[RunRecord]:
        """Return the pair's newest runs first."""
        with self.begin() as conn:
            rows = conn.execute(
                select(runs)
                .where(runs.c.pair == pair)
                .order_by(runs.c.id.desc())
                .limit(limit)
            ).all()
        return [_run_record(row) for row in rows]

    def dead_letters(
        self,
        pair: str | None = None,
        *,
        status: str | None = "open",
        source_ids: Sequence[str] | None = None,
    ) -> list[DeadLetter]:
        """List dead letters, oldest first, filtered by pair, status and source Ids."""
        query = select(dead_letters).order_by(dead_letters.c.id)
        if pair is not None:
            query = query.where(dead_letters.c.pair == pair)
        if status is not None:
            query = query.where(dead_letters.c.status == status)
        if source_ids is not None:
            query = query.where(dead_letters.c.source_id.in_(list(source_ids)))

        with self.begin() as conn:
            return [_dead_letter(row) for row in conn.execute(query)]

    def iter_open_dead_letter_counts(self) -> Iterator[tuple[str, int]]:
        """Yield (pair, number of open dead letters) for each pair that has any."""
        with self.begin() as conn:
            rows = conn.execute(
                select(dead_letters.c.pair, func.count())
                .where(dead_letters.c.status == "open")
                .group_by(dead_letters.c.pair)
            ).all()
        for row in rows:
            yield row[0], int(row[1])

    def set_dead_letter_status(
        self, pair: str, source_ids: Sequence[str], status: str
    ) -> int:
        """Mark the open dead letters of the given source Ids; return how many."""
        if status not in DEAD_LETTER_STATUSES:
            raise ValueError(f"unknown dead-letter status {status!r}")

        now = self.now()
        with self.begin() as conn:
            result = conn.execute(
                update(dead_letters)
                .where(
                    dead_letters.c.pair == pair,
                    dead_letters.c.status == "open",
                    dead_letters.c.source_id.in_(list(source_ids)),
                )
                .values(status=status, resolved_at=now, last_seen_at=now)
            )
        return int(result.rowcount)


def store_run_counts(conn: Connection, run_id: int, counts: RunCounts) -> None:
    """Write a running run's counters within the caller's transaction."""
    conn.execute(
        update(runs).where(runs.c.id == run_id).values(**_count_values(counts))
    )
