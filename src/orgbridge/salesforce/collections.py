"""sObject Collections writes: chunking at 200 records, per-record results in order.

A collection call returns HTTP 200 even when some records fail; each record's outcome
is in the result array, in request order. Records that failed with
UNABLE_TO_LOCK_ROW are sent again on their own (not the whole chunk), because the
other records are already committed. With allOrNone, a lock failure rolls back the
whole chunk, so the whole chunk is sent again.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgbridge.salesforce.errors import ApiError, CollectionWriteError, SalesforceError
from orgbridge.salesforce.rest import RestSession

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200
LOCK_ERROR = "UNABLE_TO_LOCK_ROW"
ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"

SendChunk = Callable[[list[Any]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class RecordError:
    """One error of one record: ``status_code`` is Salesforce's statusCode."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecordResult:
    """The outcome of writing one record. ``created`` is None where not reported."""

    id: str | None
    success: bool
    created: bool | None = None
    errors: list[RecordError] = field(default_factory=list)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "RecordResult":
        """Parse one element of a collection response."""
        errors = [
            RecordError(
                status_code=str(error.get("statusCode", error.get("errorCode", ""))),
                message=str(error.get("message", "")),
                fields=[str(name) for name in error.get("fields") or []],
            )
            for error in item.get("errors") or []
        ]
        created = item.get("created")
        return cls(
            id=item.get("id"),
            success=bool(item.get("success")),
            created=created if isinstance(created, bool) else None,
            errors=errors,
        )

    @property
    def status_codes(self) -> list[str]:
        """The statusCode of every error, for quick checks."""
        return [error.status_code for error in self.errors]


async def write_in_chunks(
    session: RestSession,
    items: Sequence[Any],
    send_chunk: SendChunk,
    *,
    all_or_none: bool,
    concurrency: int,
    label: str,
) -> list[RecordResult]:
    """Send ``items`` in chunks of 200, up to ``concurrency`` chunks at a time.

    Returns one RecordResult per item in input order. If a chunk raises, the other
    chunks still finish and CollectionWriteError reports which results are known.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    starts = list(range(0, len(items), CHUNK_SIZE))
    semaphore = asyncio.Semaphore(concurrency)

    async def run(start: int) -> list[RecordResult]:
        chunk = list(items[start : start + CHUNK_SIZE])
        async with semaphore:
            return await _write_chunk(session, chunk, send_chunk, all_or_none, label)

    outcomes = await asyncio.gather(
        *(run(start) for start in starts), return_exceptions=True
    )

    results: list[RecordResult | None] = []
    failures: dict[int, SalesforceError] = {}
    for start, outcome in zip(starts, outcomes, strict=True):
        if isinstance(outcome, SalesforceError):
            failures[start] = outcome
            results.extend([None] * len(items[start : start + CHUNK_SIZE]))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results.extend(outcome)

    if failures:
        raise CollectionWriteError(results, failures)
    _log_outcome(session, label, results)
    return [result for result in results if result is not None]


async def _write_chunk(
    session: RestSession,
    chunk: list[Any],
    send_chunk: SendChunk,
    all_or_none: bool,
    label: str,
) -> list[RecordResult]:
    results: list[RecordResult | None] = [None] * len(chunk)
    pending = list(range(len(chunk)))
    attempt = 1
    while True:
        body = await send_chunk([chunk[index] for index in pending])
        if len(body) != len(pending):
            raise ApiError(
                200,
                "UNEXPECTED_RESPONSE",
                f"sent {len(pending)} records, got {len(body)} results",
            )

        parsed = [RecordResult.from_json(item) for item in body]
        for index, result in zip(pending, parsed, strict=True):
            results[index] = result
        locked = _to_resend(pending, parsed, all_or_none)

        if not locked or not session.retry.policy.can_retry(attempt):
            break
        await session.retry.wait(
            LOCK_ERROR, attempt, f"{len(locked)} {label} record(s)"
        )
        pending = locked
        attempt += 1

    return [result for result in results if result is not None]


def _to_resend(
    pending: list[int], parsed: list[RecordResult], all_or_none: bool
) -> list[int]:
    """Pick the records to send again after a lock failure."""
    locked = [
        index
        for index, result in zip(pending, parsed, strict=True)
        if LOCK_ERROR in result.status_codes
    ]
    if not all_or_none or not locked:
        return locked

    # With allOrNone, the chunk is resent only if every failure is a lock or the
    # rollback it caused, because a validation error would fail the retry again.
    for result in parsed:
        codes = set(result.status_codes)
        if not result.success and not codes <= {LOCK_ERROR, ROLLED_BACK}:
            return []
    return list(pending)


def _log_outcome(
    session: RestSession, label: str, results: list[RecordResult | None]
) -> None:
    failed = sum(1 for result in results if result is not None and not result.success)
    logger.info(
        "connection %s: wrote %d %s record(s), %d failed",
        session.connection_name,
        len(results) - failed,
        label,
        failed,
    )
