"""Delivery: upsert mapped records into the target by external ID.

The target's external-ID field contains the source Case Id, so sending a record
a second time updates the Case it created the first time. A resend after a crash
or a retried request therefore never duplicates a Case. Each record's outcome is
returned for the state store: a link on success, a dead letter on failure.
"""

import logging
from dataclasses import dataclass, field

from orgbridge.salesforce.client import SalesforceClient
from orgbridge.salesforce.collections import RecordResult
from orgbridge.salesforce.errors import SalesforceError
from orgbridge.state import FailedRecord, SyncedRecord
from orgbridge.sync.map import MappedRecord
from orgbridge.sync.pair import PairConfig

logger = logging.getLogger(__name__)

_ID_QUERY_CHUNK = 200


@dataclass
class Delivery:
    """Outcomes of one upsert chunk."""

    synced: list[SyncedRecord] = field(default_factory=list)
    failed: list[FailedRecord] = field(default_factory=list)
    write_back_failures: int = 0

    @property
    def created(self) -> int:
        """Records the upsert created."""
        return sum(1 for record in self.synced if record.created)


def _outcome(record: MappedRecord, result: RecordResult) -> SyncedRecord | FailedRecord:
    if result.success and result.id:
        return SyncedRecord(
            record.source_id,
            result.id,
            record.source_modstamp,
            record.payload_hash,
            bool(result.created),
        )

    errors = result.errors
    code = errors[0].status_code if errors else "UNKNOWN_ERROR"
    message = "; ".join(error.message for error in errors) or "no error reported"
    fields = sorted({name for error in errors for name in error.fields})
    return FailedRecord(
        record.source_id, record.source_modstamp, code, message, fields, record.payload
    )


async def deliver(
    pair: PairConfig,
    target: SalesforceClient,
    records: list[MappedRecord],
    source: SalesforceClient | None = None,
) -> Delivery:
    """Upsert one chunk (at most 200 records) and write back target Ids if set."""
    payloads = [record.payload for record in records]
    results = await target.upsert_many(
        pair.sobject, pair.external_id_field, payloads, all_or_none=False, concurrency=1
    )

    delivery = Delivery()
    for record, result in zip(records, results, strict=True):
        outcome = _outcome(record, result)
        if isinstance(outcome, SyncedRecord):
            delivery.synced.append(outcome)
        else:
            delivery.failed.append(outcome)
            logger.warning(
                "pair %s: Case %s dead-lettered: %s %s (fields: %s)",
                pair.name,
                outcome.source_id,
                outcome.error_code,
                outcome.message,
                ", ".join(outcome.fields) or "none",
            )

    if pair.write_back is not None and source is not None and delivery.synced:
        delivery.write_back_failures = await _write_back(
            pair, source, target, delivery.synced
        )
    return delivery


async def _write_back(
    pair: PairConfig,
    source: SalesforceClient,
    target: SalesforceClient,
    synced: list[SyncedRecord],
) -> int:
    """Write each target Id (or CaseNumber) to the source; return failures."""
    assert pair.write_back is not None
    values = {record.source_id: record.target_id for record in synced}

    try:
        if pair.write_back.value == "CaseNumber":
            values = await _case_numbers(pair, target, values)
        updates = [
            {"Id": source_id, pair.write_back.field: value}
            for source_id, value in values.items()
        ]
        results = await source.update_many(pair.sobject, updates, concurrency=1)
    except SalesforceError as error:
        logger.warning(
            "pair %s: write-back of %d Cases failed: %s", pair.name, len(values), error
        )
        return len(values)

    failures = 0
    for update, result in zip(updates, results, strict=True):
        if not result.success:
            failures += 1
            logger.warning(
                "pair %s: write-back to Case %s failed: %s",
                pair.name,
                update["Id"],
                "; ".join(error.message for error in result.errors),
            )
    return failures


async def _case_numbers(
    pair: PairConfig, target: SalesforceClient, target_ids: dict[str, str]
) -> dict[str, str]:
    by_target = {target_id: source for source, target_id in target_ids.items()}
    numbers: dict[str, str] = {}
    ids = list(by_target)
    for start in range(0, len(ids), _ID_QUERY_CHUNK):
        chunk = ids[start : start + _ID_QUERY_CHUNK]
        quoted = ", ".join(f"'{record_id}'" for record_id in chunk)
        soql = f"SELECT Id, CaseNumber FROM {pair.sobject} WHERE Id IN ({quoted})"
        async for row in target.query_records(soql):
            numbers[by_target[str(row["Id"])]] = str(row["CaseNumber"])
    return numbers
