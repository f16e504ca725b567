"""Detection: read new or changed Cases from the source in cursor order.

The query selects ``WHERE <ts> >= <cursor ts - lookback> ORDER BY <ts>, Id``,
where ``<ts>`` is CreatedDate (mode ``created``) or SystemModstamp (mode
``changes``) and the bound is floored to whole seconds because SOQL datetime
literals have no fractions. Rows are split into batches in that order. A row is
skipped when the state already accounts for it:

- a link exists and the mode is ``created`` (new Cases only), or the link
  records the same or a newer SystemModstamp;
- an open dead letter with a permanent errorCode, or a discarded dead letter,
  exists and the mode is ``created``, or it records the same SystemModstamp (retry
  those with ``dead-letters retry``). An open dead letter with a transient
  errorCode (``TRANSIENT_ERROR_CODES``: the client's retries ran out) does not
  stop the row, so the next run that reads it sends it again;
- in ``changes`` mode the mapped payload equals the one last delivered (then the
  link's SystemModstamp is updated, nothing is sent).

Rows at or before the cursor that the state has no record of are late commits
(a transaction that committed after a later row was read) and are sent.
"""

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.datetimes import parse_datetime, soql_literal
from orgbridge.salesforce.errors import MalformedQueryError
from orgbridge.salesforce.query import QueryPage
from orgbridge.state import (
    CursorPosition,
    DeadLetterState,
    FailedRecord,
    LinkState,
    StateStore,
    SyncedRecord,
)
from orgbridge.sync.errors import MappingError, PairConfigError
from orgbridge.sync.map import MappedRecord, Mapper
from orgbridge.sync.pair import PairConfig

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

# The field an INVALID_FIELD query error names, as in "No such column 'Foo' on
# entity 'Case'. If you are attempting to use a custom field, ...".
_NO_SUCH_COLUMN = re.compile(r"No such column '([^']+)'")

# errorCodes the Salesforce client retries, because the org wrote nothing and a
# later attempt may succeed: a row lock, the concurrent request limit, and a
# server or gateway that was unavailable (HTTP_5xx where the body had no code).
TRANSIENT_ERROR_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "HTTP_502",
        "HTTP_503",
        "HTTP_504",
    }
)


@dataclass
class Batch:
    """Consecutive query rows: what to send, what to store without sending."""

    number: int
    to_send: list[MappedRecord] = field(default_factory=list)
    unchanged: list[SyncedRecord] = field(default_factory=list)
    mapping_failures: list[FailedRecord] = field(default_factory=list)
    read: int = 0
    skipped: int = 0
    cursor_end: CursorPosition | None = None


def detection_soql(
    pair: PairConfig, mapper: Mapper, cursor: CursorPosition | None
) -> str:
    """Build the detection query for the cursor (or the pair's start)."""
    ts_field = pair.cursor_field
    select = ", ".join(mapper.query_fields)
    soql = f"SELECT {select} FROM {pair.sobject}"

    lower_bound = None
    if cursor is not None:
        lookback = timedelta(seconds=pair.lookback_seconds)
        lower_bound = parse_datetime(cursor.ts) - lookback
    elif pair.start is not None:
        lower_bound = pair.start
    if lower_bound is not None:
        # soql_literal truncates to whole seconds, which widens a >= bound.
        soql += f" WHERE {ts_field} >= {soql_literal(lower_bound)}"

    return soql + f" ORDER BY {ts_field} ASC, Id ASC"


def query_config_error(pair: PairConfig, error: MalformedQueryError) -> Exception:
    """Turn the source's rejection of the detection query into a one-line error.

    INVALID_FIELD names a ``fields`` entry that the source sObject does not have
    (or that the integration user cannot read), INVALID_TYPE an unknown ``object``.
    Other query errors are returned unchanged.
    """
    if error.error_code == "INVALID_FIELD":
        match = _NO_SUCH_COLUMN.search(error.message)
        field_name = match[1] if match else "a mapped field"
        return PairConfigError(
            pair.name,
            "fields",
            f"org {pair.source!r} has no field {field_name} on {pair.sobject} "
            "(INVALID_FIELD on the detection query); check the spelling and the "
            "integration user's field-level security",
        )
    if error.error_code == "INVALID_TYPE":
        return PairConfigError(
            pair.name,
            "object",
            f"org {pair.source!r} has no sObject {pair.sobject} (INVALID_TYPE)",
        )
    return error


class Detector:
    """Reads the detection query page by page and yields batches in order."""

    def __init__(
        self,
        pair: PairConfig,
        source: SalesforceClient,
        state: StateStore,
        mapper: Mapper,
        cursor: CursorPosition | None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.pair = pair
        self.source = source
        self.state = state
        self.mapper = mapper
        self.cursor = cursor
        self.progress = progress
        self.total_size: int | None = None
        self._pages: AsyncIterator[QueryPage] | None = None
        self._first_page: QueryPage | None = None

    async def open(self) -> None:
        """Send the detection query and read its first page.

        Raise PairConfigError when the source rejects a mapped field or the
        sObject (INVALID_FIELD, INVALID_TYPE), naming the pair and the field.
        """
        soql = detection_soql(self.pair, self.mapper, self.cursor)
        logger.debug("pair %s: detection query %s", self.pair.name, soql)
        self._pages = self.source.query(soql, batch_size=self.pair.query_batch_size)
        try:
            self._first_page = await anext(self._pages)
        except StopAsyncIteration:
            self._first_page = None
        except MalformedQueryError as error:
            raise query_config_error(self.pair, error) from None

    async def batches(self) -> AsyncGenerator[Batch, None]:
        """Yield batches of up to batch_size records to send, in cursor order.

        A batch is also closed at the end of a page when it has nothing to send,
        or has read a page's worth of rows, so a long stretch of skipped rows still
        moves the cursor. The query is sent here unless ``open`` sent it.
        """
        if self._pages is None:
            await self.open()
        number = 1
        batch = Batch(number)
        read = 0

        async with aclosing(self._read_pages()) as pages:
            async for page in pages:
                self.total_size = page.total_size
                links, letters = self._state_of(page.records)
                for row in page.records:
                    self._classify(batch, row, links, letters)
                    if len(batch.to_send) >= self.pair.batch_size:
                        yield batch
                        number += 1
                        batch = Batch(number)

                read += len(page.records)
                if self.progress is not None:
                    self.progress(read, page.total_size)
                # Closing at a page end keeps skipped-row bookkeeping bounded; a batch
                # that is filling up with records to send stays open for the next page.
                page_full = batch.read >= self.pair.query_batch_size
                if batch.read and (not batch.to_send or page_full):
                    yield batch
                    number += 1
                    batch = Batch(number)

        if batch.read:
            yield batch

    async def _read_pages(self) -> AsyncGenerator[QueryPage, None]:
        # The next page is requested as soon as a page arrives, so its latency
        # and the org's work on it overlap with the upserts of this page's rows.
        # One page is read ahead at most, so a run that stops early may have
        # made one query call that it did not use.
        pages = self._pages
        page = self._first_page
        while page is not None and pages is not None:
            ahead = asyncio.ensure_future(anext(pages, None))
            try:
                yield page
            except BaseException:
                await _discard(ahead)
                raise
            page = await ahead

    def _state_of(
        self, rows: list[dict[str, Any]]
    ) -> tuple[dict[str, LinkState], dict[str, DeadLetterState]]:
        ids = [str(row["Id"]) for row in rows]
        links = self.state.links(self.pair.name, ids)
        letters = self.state.unresolved_dead_letters(self.pair.name, ids)
        return links, letters

    def _classify(
        self,
        batch: Batch,
        row: dict[str, Any],
        links: dict[str, LinkState],
        letters: dict[str, DeadLetterState],
    ) -> None:
        source_id = str(row["Id"])
        modstamp = str(row["SystemModstamp"])
        batch.read += 1
        batch.cursor_end = CursorPosition(str(row[self.pair.cursor_field]), source_id)

        if self._already_handled(source_id, modstamp, links, letters):
            batch.skipped += 1
            return

        try:
            mapped = self.mapper.map(row)
        except MappingError as error:
            batch.mapping_failures.append(
                FailedRecord(
                    source_id,
                    modstamp,
                    error.error_code,
                    str(error),
                    [error.field],
                    None,
                )
            )
            return

        link = links.get(source_id)
        if link is not None and link.payload_hash == mapped.payload_hash:
            batch.skipped += 1
            batch.unchanged.append(
                SyncedRecord(
                    source_id, link.target_id, modstamp, mapped.payload_hash, False
                )
            )
            return

        if self.cursor is not None and batch.cursor_end <= self.cursor:
            logger.info(
                "pair %s: Case %s is a late commit before the cursor; sending it",
                self.pair.name,
                source_id,
            )
        batch.to_send.append(mapped)

    def _already_handled(
        self,
        source_id: str,
        modstamp: str,
        links: dict[str, LinkState],
        letters: dict[str, DeadLetterState],
    ) -> bool:
        created_mode = self.pair.mode == "created"
        link = links.get(source_id)
        if link is not None and (created_mode or link.source_modstamp >= modstamp):
            return True

        letter = letters.get(source_id)
        if letter is None:
            return False

        if letter.status == "open" and letter.error_code in TRANSIENT_ERROR_CODES:
            logger.info(
                "pair %s: Case %s has an open %s dead letter; sending it again",
                self.pair.name,
                source_id,
                letter.error_code,
            )
            return False
        return created_mode or letter.source_modstamp == modstamp


async def _discard(task: "asyncio.Future[QueryPage | None]") -> None:
    """Cancel a page read ahead that is no longer needed, and wait for it to end."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        # Retrieved, so asyncio does not log an error that no one awaited.
        task.exception()
