"""Values read from and written to the state store."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, order=True)
class CursorPosition:
    """The last (timestamp, Id) pair of a detection query that is fully stored.

    ``ts`` is the REST text of the cursor field (CreatedDate or SystemModstamp).
    Ordering compares ``(ts, record_id)``, the same order as the detection query's
    ``ORDER BY ts ASC, Id ASC``.
    """

    ts: str
    record_id: str

    def __str__(self) -> str:
        return f"{self.ts}/{self.record_id}"


@dataclass(frozen=True)
class LinkState:
    """Stored state of one source record already delivered."""

    target_id: str
    source_modstamp: str
    payload_hash: str


@dataclass(frozen=True)
class DeadLetterState:
    """The open or discarded dead letter of one source record, as detection reads it.

    ``status`` is "open" or "discarded"; ``error_code`` is the org's statusCode (or
    MAPPING_ERROR) of the last failure.
    """

    source_modstamp: str | None
    error_code: str
    status: str


@dataclass(frozen=True)
class SyncedRecord:
    """A record the target accepted."""

    source_id: str
    target_id: str
    source_modstamp: str
    payload_hash: str
    created: bool


@dataclass(frozen=True)
class FailedRecord:
    """A record that the target rejected or that could not be mapped."""

    source_id: str
    source_modstamp: str | None
    error_code: str
    message: str
    fields: list[str]
    payload: dict[str, Any] | None


@dataclass(frozen=True)
class DeadLetter:
    """One row of the dead-letter table."""

    id: int
    pair: str
    source_id: str
    source_modstamp: str | None
    error_code: str
    message: str
    fields: list[str]
    payload: dict[str, Any] | None
    attempts: int
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


@dataclass
class RunCounts:
    """Counters of one run, stored in its ``runs`` row."""

    read: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    source_api_calls: int = 0
    target_api_calls: int = 0


@dataclass(frozen=True)
class RunRecord:
    """One row of the run history."""

    id: int
    pair: str
    kind: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: RunCounts = field(default_factory=RunCounts)
    cursor_from: CursorPosition | None = None
    cursor_to: CursorPosition | None = None
    error: str | None = None
