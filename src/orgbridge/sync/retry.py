"""Dead-letter retry: re-read the source Cases by Id, re-map, upsert again.

The records are re-read (not the stored payload resent) so that a fix in the
source org or in the pair's mapping takes effect. A Case that no longer exists in
the source stays open, with a message saying so. The cursor does not move.
"""

import logging
from dataclasses import dataclass

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.state import FailedRecord, StateStore, SyncedRecord
from orgbridge.sync.deliver import deliver
from orgbridge.sync.errors import MappingError
from orgbridge.sync.map import MappedRecord, Mapper
from orgbridge.sync.pair import PairConfig

logger = logging.getLogger(__name__)

# 200 quoted 18-character Ids keep the query URL near 4,500 characters, well
# under the 16,384-byte request-line limit of Salesforce's REST endpoint.
_IDS_PER_QUERY = 200


@dataclass
class RetryReport:
    """Outcome of one dead-letter retry for one pair."""

    pair: str
    attempted: int = 0
    resolved: int = 0
    still_failing: int = 0
    not_found: int = 0


async def retry_dead_letters(
    pair: PairConfig,
    source: SalesforceClient,
    target: SalesforceClient,
    state: StateStore,
    source_ids: list[str] | None = None,
) -> RetryReport:
    """Retry the pair's open dead letters (all of them, or the given source Ids)."""
    letters = state.dead_letters(pair.name, status="open", source_ids=source_ids)
    report = RetryReport(pair.name, attempted=len(letters))
    if not letters:
        return report

    describe = None
    if pair.constants or pair.defaults:
        describe = await target.describe(pair.sobject)
    mapper = Mapper(pair, describe)
    ids = [letter.source_id for letter in letters]

    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        await _retry_chunk(pair, source, target, state, mapper, chunk, report)

    logger.info(
        "pair %s: dead-letter retry: %d attempted, %d resolved, %d still failing, "
        "%d not found in the source",
        pair.name,
        report.attempted,
        report.resolved,
        report.still_failing,
        report.not_found,
    )
    return report


async def _retry_chunk(
    pair: PairConfig,
    source: SalesforceClient,
    target: SalesforceClient,
    state: StateStore,
    mapper: Mapper,
    ids: list[str],
    report: RetryReport,
) -> None:
    quoted = ", ".join(f"'{source_id}'" for source_id in ids)
    fields = ", ".join(mapper.query_fields)
    soql = f"SELECT {fields} FROM {pair.sobject} WHERE Id IN ({quoted})"

    mapped: list[MappedRecord] = []
    failed: list[FailedRecord] = []
    found: set[str] = set()
    async for row in source.query_records(soql):
        found.add(str(row["Id"]))
        try:
            mapped.append(mapper.map(row))
        except MappingError as error:
            failed.append(
                FailedRecord(
                    error.source_id,
                    str(row["SystemModstamp"]),
                    error.error_code,
                    str(error),
                    [error.field],
                    None,
                )
            )

    for missing in sorted(set(ids) - found):
        report.not_found += 1
        failed.append(
            FailedRecord(
                missing,
                None,
                "NOT_FOUND_IN_SOURCE",
                f"Case {missing} was not found in org {pair.source} (deleted?); "
                "discard the dead letter if that is expected",
                [],
                None,
            )
        )

    synced: list[SyncedRecord] = []
    if mapped:
        delivery = await deliver(
            pair, target, mapped, source if pair.write_back else None
        )
        synced = delivery.synced
        failed.extend(delivery.failed)

    state.record_batch(pair.name, synced, failed, None)
    report.resolved += len(synced)
    report.still_failing += len(failed) - (len(set(ids) - found))
