"""SyncEngine: one run of one pair, from detection through delivery to state.

A run takes the pair's lease, reads the detection query page by page, and keeps
up to ``concurrency`` upsert chunks in flight while the next page is read. The
outcomes of each batch are stored in batch order, and the cursor moves to the
batch's last row in the same transaction, so the cursor never passes a record
whose outcome is not stored. A crash loses at most the in-flight batches'
bookkeeping; the rerun sends them again and the external-ID upsert makes that
harmless.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.errors import DailyLimitExceededError
from orgbridge.state import StateStore
from orgbridge.state.lease import new_owner
from orgbridge.sync import report as status
from orgbridge.sync.deliver import Delivery, deliver
from orgbridge.sync.detect import Batch, Detector, ProgressCallback
from orgbridge.sync.errors import BudgetExhaustedError
from orgbridge.sync.map import MappedRecord, Mapper
from orgbridge.sync.pair import PairConfig, check_target_fields
from orgbridge.sync.report import RunReport, format_cursor

logger = logging.getLogger(__name__)

BeforeCommitHook = Callable[[Batch, Delivery], None]
DryRunSink = Callable[[MappedRecord], None]


class SyncEngine:
    """Runs one pair: detect, map, deliver, record.

    ``before_commit`` is called after a batch's upsert returned and before its
    outcomes are stored (tests raise from it to simulate a crash). ``dry_run_sink``
    receives each record a dry run would send.
    """

    def __init__(
        self,
        pair: PairConfig,
        source: SalesforceClient,
        target: SalesforceClient,
        state: StateStore,
        *,
        progress: ProgressCallback | None = None,
        before_commit: BeforeCommitHook | None = None,
        dry_run_sink: DryRunSink | None = None,
    ) -> None:
        self.pair = pair
        self.source = source
        self.target = target
        self.state = state
        self.progress = progress
        self.before_commit = before_commit
        self.dry_run_sink = dry_run_sink
        self._stop_requested = False
        self._owner = new_owner()
        # The report of the current run once its row is written, kept so that a
        # caller can print the summary of a run that raised.
        self.report: RunReport | None = None

    def request_stop(self) -> None:
        """Finish the batches in hand, then end the run (for SIGINT and SIGTERM)."""
        self._stop_requested = True

    async def run(self, dry_run: bool = False) -> RunReport:
        """Run the pair once and return its report, whose status is how it ended."""
        pair = self.pair
        self.state.ensure_pair(pair.name, pair.source, pair.target, pair.sobject)
        if not dry_run:
            self.state.acquire_lease(pair.name, self._owner)
        try:
            if not dry_run:
                self._close_abandoned_runs()
            return await self._run_locked(dry_run)
        finally:
            if not dry_run:
                self.state.release_lease(pair.name, self._owner)

    def _close_abandoned_runs(self) -> None:
        # The lease is held, so no live run of this pair has a "running" row.
        for run_id in self.state.abandon_stale_runs(self.pair.name):
            logger.warning(
                "pair %s: run %d never finished (its process was killed or "
                "crashed); marked abandoned",
                self.pair.name,
                run_id,
            )

    async def _run_locked(self, dry_run: bool) -> RunReport:
        cursor = self.state.cursor(self.pair.name)
        calls_at_start = (self.source.calls_made, self.target.calls_made)
        logger.info(
            "pair %s: reading %s of org %s after cursor %s",
            self.pair.name,
            self.pair.sobject,
            self.pair.source,
            format_cursor(cursor),
        )
        self._warn_about_lookback()

        # Both logins go out together, so the target's does not wait for the
        # source's first page, and a login either org refuses stops the run before
        # its run row.
        await asyncio.gather(self.source.login(), self.target.login())

        # The target describe (if needed) and the first query page come before the
        # run row, so an unknown field, a rejected login or an unreachable org
        # stops the run without leaving a failed row.
        mapper = Mapper(self.pair, await self._target_describe())
        detector = Detector(
            self.pair, self.source, self.state, mapper, cursor, self.progress
        )
        await detector.open()

        kind = "dry_run" if dry_run else "run"
        run_id = None if dry_run else self.state.start_run(self.pair.name, kind, cursor)
        report = RunReport(
            self.pair.name,
            run_id,
            status.SUCCEEDED,
            cursor_from=cursor,
            cursor_to=cursor,
            dry_run=dry_run,
        )
        self.report = report
        logger.info(
            "pair %s: run %s started (%s mode, cursor %s)",
            self.pair.name,
            run_id if run_id is not None else "dry",
            self.pair.mode,
            format_cursor(cursor),
        )

        try:
            await self._process(report, detector, dry_run)
        except (BudgetExhaustedError, DailyLimitExceededError) as error:
            report.status = status.BUDGET_STOPPED
            report.error = str(error)
        except Exception as error:
            report.status = status.FAILED
            report.error = f"{type(error).__name__}: {error}"
            self._finish(report, calls_at_start)
            raise
        self._finish(report, calls_at_start)
        return report

    def _finish(self, report: RunReport, calls_at_start: tuple[int, int]) -> None:
        report.counts.source_api_calls = self.source.calls_made - calls_at_start[0]
        report.counts.target_api_calls = self.target.calls_made - calls_at_start[1]
        if report.status == status.SUCCEEDED:
            if report.dry_run:
                report.status = status.DRY_RUN
            elif report.counts.dead_lettered:
                report.status = status.DEAD_LETTERED
            elif self._stop_requested:
                report.status = status.STOPPED
        if report.run_id is not None:
            self.state.finish_run(
                report.run_id,
                report.status,
                report.counts,
                report.cursor_to,
                report.error,
            )

        log = logger.warning if report.status == status.FAILED else logger.info
        log("%s", report.summary(), extra={status.RUN_SUMMARY: True})

    def _budget_error(self) -> BudgetExhaustedError | None:
        """Check the latest Sforce-Limit-Info usage of both orgs (no API call).

        Salesforce reports an org's usage on every REST response, so the guard
        spends no call of its own. An org that has sent this client no response yet
        is not checked: the source has responded by the first batch (its first query
        page), and the target's first upserts, at most ``concurrency`` calls, go out
        before its usage is known. A daily limit reached there still stops the run
        (REQUEST_LIMIT_EXCEEDED).
        """
        for org, client in (
            (self.pair.source, self.source),
            (self.pair.target, self.target),
        ):
            usage = client.api_usage
            if usage is None:
                continue
            try:
                self._guard(org, usage.used, usage.max)
            except BudgetExhaustedError as error:
                return error
        return None

    def _guard(self, org: str, used: int, maximum: int) -> None:
        if maximum <= 0:
            return
        if maximum - used < self.pair.min_api_share * maximum:
            raise BudgetExhaustedError(org, used, maximum, self.pair.min_api_share)

    async def _process(
        self, report: RunReport, detector: Detector, dry_run: bool
    ) -> None:
        in_flight: deque[tuple[Batch, asyncio.Task[Delivery]]] = deque()
        stop_error: Exception | None = None

        try:
            async with aclosing(detector.batches()) as batches:
                while True:
                    try:
                        batch = await anext(batches)
                    except StopAsyncIteration:
                        break
                    except Exception as error:
                        # A query page failed. The batches already sent were read
                        # before it, so they are still settled and stored.
                        stop_error = error
                        break

                    stop_error = self._budget_error()
                    if stop_error is not None:
                        break
                    in_flight.append((batch, self._start_delivery(batch, dry_run)))
                    while len(in_flight) >= self.pair.concurrency:
                        await self._settle(report, *in_flight.popleft(), dry_run)
                    if self._stop_requested:
                        logger.info("pair %s: stop requested", self.pair.name)
                        break
            # A stop, the budget guard or a failed page still finishes the batches
            # in hand.
            while in_flight:
                await self._settle(report, *in_flight.popleft(), dry_run)
        except BaseException:
            await _drain(in_flight)
            raise

        if stop_error is not None:
            raise stop_error

    async def _target_describe(self) -> dict[str, Any] | None:
        # The describe costs one API call, so it is fetched only when constants or
        # defaults need their types checked against the target's fields.
        if not (self.pair.constants or self.pair.defaults):
            return None
        describe = await self.target.describe(self.pair.sobject)
        check_target_fields(self.pair, describe)
        return describe

    def _warn_about_lookback(self) -> None:
        if self.pair.lookback_seconds == 0:
            logger.warning(
                "pair %s: lookback_seconds = 0, so a Case committed after a later "
                "Case was read is never sent; the default is 300",
                self.pair.name,
            )

    def _start_delivery(self, batch: Batch, dry_run: bool) -> asyncio.Task[Delivery]:
        if dry_run or not batch.to_send:
            return asyncio.create_task(_no_delivery())
        source = self.source if self.pair.write_back else None
        return asyncio.create_task(
            deliver(self.pair, self.target, batch.to_send, source)
        )

    async def _settle(
        self,
        report: RunReport,
        batch: Batch,
        task: Awaitable[Delivery],
        dry_run: bool,
    ) -> None:
        delivery = await task
        counts = report.counts
        counts.read += batch.read
        counts.skipped += batch.skipped
        counts.sent += len(batch.to_send)
        counts.created += delivery.created
        counts.updated += len(delivery.synced) - delivery.created
        dead = len(batch.mapping_failures) + len(delivery.failed)
        counts.dead_lettered += dead
        report.write_back_failures += delivery.write_back_failures

        if dry_run:
            self._emit_dry_run(batch)
        else:
            self._commit(report, batch, delivery)
        # A batch that ends in the lookback window (a late commit) ends before the
        # cursor. The store keeps the later position, so the report does too.
        end = batch.cursor_end
        if end is not None and (report.cursor_to is None or end > report.cursor_to):
            report.cursor_to = end

        logger.info(
            "pair %s batch %d: cursor -> %s, read %d, %s %d, created %d, updated %d, "
            "skipped %d, dead-lettered %d",
            self.pair.name,
            batch.number,
            format_cursor(report.cursor_to),
            batch.read,
            "would send" if dry_run else "sent",
            len(batch.to_send),
            delivery.created,
            len(delivery.synced) - delivery.created,
            batch.skipped,
            dead,
        )

    def _emit_dry_run(self, batch: Batch) -> None:
        if self.dry_run_sink is None:
            return
        for record in batch.to_send:
            self.dry_run_sink(record)

    def _commit(self, report: RunReport, batch: Batch, delivery: Delivery) -> None:
        for failure in batch.mapping_failures:
            logger.warning(
                "pair %s: Case %s dead-lettered without an API call: %s",
                self.pair.name,
                failure.source_id,
                failure.message,
            )
        if self.before_commit is not None:
            self.before_commit(batch, delivery)

        assert report.run_id is not None
        self.state.record_batch(
            self.pair.name,
            [*batch.unchanged, *delivery.synced],
            [*batch.mapping_failures, *delivery.failed],
            batch.cursor_end,
            run=(report.run_id, report.counts),
            lease_owner=self._owner,
        )


async def _no_delivery() -> Delivery:
    return Delivery()


async def _drain(in_flight: deque[tuple[Batch, asyncio.Task[Delivery]]]) -> None:
    """Cancel the upserts still in flight; their records are resent next run."""
    for _, task in in_flight:
        task.cancel()
    await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)
