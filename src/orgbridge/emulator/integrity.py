"""Checks a record write makes against other rows: lookups and unique values.

Salesforce rejects a malformed Id in a lookup with MALFORMED_ID (see validation.py),
an Id of the wrong object with FIELD_INTEGRITY_EXCEPTION, and an Id of no live record
with INVALID_CROSS_REFERENCE_KEY. Unique and external ID fields clash with
DUPLICATE_VALUE, compared without case unless the field is case-sensitive.
"""

import sqlite3
from typing import Any

from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.schema import FieldSchema, OrgSchema, SObjectSchema
from orgbridge.salesforce.ids import to_15, to_18


def check_references(
    db: sqlite3.Connection,
    org: OrgSchema,
    schema: SObjectSchema,
    values: dict[str, Any],
) -> None:
    """Resolve every lookup value to an 18-character Id of a live record, in place.

    ``values`` is keyed by field API names, as coerce_fields returns them.
    """
    references = schema.reference_field_names
    for name, value in values.items():
        if name not in references or not value:
            continue
        values[name] = _resolve_reference(db, org, schema.fields[name], value)


def _resolve_reference(
    db: sqlite3.Connection, org: OrgSchema, field: FieldSchema, value: str
) -> str:
    record_id = to_18(value)
    target = org.sobject_for_id(record_id)
    if target is None or target.name not in field.reference_to:
        raise RecordError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"{field.label}: id value of incorrect type: {value}",
            [field.name],
        )

    deleted = '"IsDeleted"' if target.field("IsDeleted") else "0"
    row = db.execute(
        f'SELECT {deleted} FROM {target.table} WHERE "Id" = ?', (record_id,)
    ).fetchone()
    if row is None or row[0]:
        raise RecordError(
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            [field.name],
        )
    return record_id


def check_unique(
    db: sqlite3.Connection,
    schema: SObjectSchema,
    values: dict[str, Any],
    *,
    own_id: str | None,
    checked: tuple[str, Any] | None = None,
) -> None:
    """Raise DUPLICATE_VALUE when a unique field's value is on another live record.

    Deleted records do not hold their unique values, so an upsert that finds no live
    match can create the record again, and undelete checks the values anew.
    ``checked`` names a (field, value) pair the caller has just found on no live
    record, such as the external ID of an upsert that creates. That pair is not
    queried again. ``values`` is keyed by field API names, as coerce_fields
    returns them.
    """
    unique = schema.unique_field_names
    for name, value in values.items():
        if name not in unique or value in (None, ""):
            continue
        if checked is not None and checked == (name, value):
            continue
        field = schema.fields[name]
        row = db.execute(
            f'SELECT "Id" FROM {schema.table} WHERE {match_condition(field)} '
            f'AND "Id" IS NOT ? AND {live_condition(schema)} LIMIT 1',
            (value, own_id),
        ).fetchone()
        if row is not None:
            raise RecordError(
                400,
                "DUPLICATE_VALUE",
                f"duplicate value found: {field.name} duplicates value on "
                f"record with id: {to_15(row[0])}",
                [field.name],
            )


def unique_values(
    db: sqlite3.Connection, schema: SObjectSchema, record_id: str
) -> dict[str, Any]:
    """Read a record's values of its unique fields."""
    names = [f.name for f in schema.stored_fields() if f.unique]
    if not names:
        return {}
    columns = ", ".join(f'"{n}"' for n in names)
    row = db.execute(
        f'SELECT {columns} FROM {schema.table} WHERE "Id" = ?', (record_id,)
    ).fetchone()
    return {name: row[name] for name in names}


def match_condition(field: FieldSchema) -> str:
    """Build the SQL condition matching a field's value as Salesforce compares it."""
    if _compared_with_case(field):
        return f'"{field.name}" = ?'
    return f'"{field.name}" = ? COLLATE NOCASE'


def nocase_index_ddl(org: OrgSchema) -> list[str]:
    """Build CREATE INDEX statements for the case-insensitive lookups.

    schema.ddl() indexes unique and external ID fields by their stored text, an
    index a ``COLLATE NOCASE`` condition cannot use, so each upsert and unique
    check on a case-insensitive field would scan the whole table.
    """
    statements: list[str] = []
    for sobject in org.sobjects.values():
        for field in sobject.stored_fields():
            if not (field.external_id or field.unique) or _compared_with_case(field):
                continue
            index = f"ix_{sobject.name}_{field.name}_nocase"
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON {sobject.table} '
                f'("{field.name}" COLLATE NOCASE)'
            )
    return statements


def _compared_with_case(field: FieldSchema) -> bool:
    return field.case_sensitive or field.type == "id"


def live_condition(schema: SObjectSchema) -> str:
    """Build the SQL condition for live rows (always true without IsDeleted)."""
    return '"IsDeleted" = 0' if schema.field("IsDeleted") is not None else "1 = 1"
