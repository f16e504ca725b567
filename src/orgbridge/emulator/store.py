"""The emulated org's records in SQLite: create, update, upsert, delete, retrieve.

Records are written the way Salesforce keeps them: 18-character Ids with the object's
key prefix, audit fields set by the org, CaseNumber from an auto-number, deleted rows
kept with IsDeleted = true for queryAll and the replication API. Every record
written inside one ``transaction()`` shares one SystemModstamp, as records saved in
one Salesforce transaction do, which is why sync cursors need an Id tie-breaker.
"""

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orgbridge.emulator.config import OrgConfig
from orgbridge.emulator.errors import MultipleMatchesError, RecordError
from orgbridge.emulator.integrity import (
    check_references,
    check_unique,
    live_condition,
    match_condition,
    nocase_index_ddl,
    unique_values,
)
from orgbridge.emulator.schema import FieldSchema, OrgSchema, SObjectSchema
from orgbridge.emulator.validation import (
    check_not_nulled,
    check_required,
    coerce_fields,
)
from orgbridge.salesforce.datetimes import format_datetime, utc_now
from orgbridge.salesforce.ids import InvalidIdError, make_id, to_18

__all__ = ["MultipleMatchesError", "RecordError", "RecordStore", "UpsertOutcome"]

logger = logging.getLogger(__name__)

_INTERNAL_DDL = (
    "CREATE TABLE IF NOT EXISTS _sequences (name TEXT PRIMARY KEY, value INTEGER)",
    "CREATE TABLE IF NOT EXISTS _deletions (record_id TEXT PRIMARY KEY, "
    "sobject TEXT NOT NULL, deleted_date TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_deletions_date "
    "ON _deletions (sobject, deleted_date)",
)
_NOT_FOUND = "The requested resource does not exist"
# INSERT statements kept per sObject and column list. A client that sends many
# different field sets only costs rebuilding the statements.
_MAX_CACHED_INSERTS = 256


@dataclass(frozen=True)
class UpsertOutcome:
    """The result of an upsert: the record's Id and whether it was created."""

    id: str
    created: bool


class RecordStore:
    """Record reads and writes for one org, on the org's SQLite connection.

    create, update and upsert run every check before their one write statement,
    so a failure leaves the database as it was, and inside a caller's transaction
    they need no savepoint of their own. A Case with Comments writes its
    CaseComment inside a savepoint. A write path with a second statement must use
    ``transaction()``.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        schema: OrgSchema,
        config: OrgConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._schema = schema
        self._config = config
        self._clock = clock
        self._depth = 0
        self._stamp: str | None = None
        self._pending_writes = 0
        self.records_written = 0
        # Sequences (record Ids, CaseNumber) are read once per transaction and
        # written back at its commit. _sequence_next maps a sequence to the next
        # value to hand out, _sequence_stored to the value of its _sequences row
        # when it was read, or None when it had no row.
        self._sequence_next: dict[str, int] = {}
        self._sequence_stored: dict[str, int | None] = {}
        self._create_defaults: dict[str, dict[str, Any]] = {}
        self._insert_sql: dict[tuple[str, ...], str] = {}

    def initialize(self) -> None:
        """Create the tables; safe to call again on a reopened database file."""
        ddl = (*self._schema.ddl(), *nocase_index_ddl(self._schema), *_INTERNAL_DDL)
        for statement in ddl:
            self._db.execute(statement)
        self._seed_users()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run writes atomically; a nested call is a savepoint inside the outer one."""
        outermost = self._depth == 0
        if outermost:
            self._db.execute("BEGIN IMMEDIATE")
            self._stamp = format_datetime(self._clock())
            self._pending_writes = 0
            self._sequence_next.clear()
            self._sequence_stored.clear()
        savepoint = f"sp{self._depth}"
        if not outermost:
            self._db.execute(f"SAVEPOINT {savepoint}")
        self._depth += 1
        written_before = self._pending_writes
        sequences_before = dict(self._sequence_next)
        try:
            yield
            if outermost:
                self._write_sequences()
        except BaseException:
            self._depth -= 1
            self._pending_writes = written_before
            self._sequence_next = sequences_before
            if outermost:
                self._db.execute("ROLLBACK")
                self._stamp = None
            else:
                self._db.execute(f"ROLLBACK TO {savepoint}")
                self._db.execute(f"RELEASE {savepoint}")
            raise
        self._depth -= 1
        if outermost:
            self._db.execute("COMMIT")
            self._stamp = None
            self.records_written += self._pending_writes
        else:
            self._db.execute(f"RELEASE {savepoint}")

    @contextmanager
    def _record_write(self) -> Iterator[None]:
        """Run a one-statement write in a new transaction or in the caller's one.

        Inside the caller's transaction no savepoint is needed (see the class
        docstring), but a failure still restores the sequence values and the write
        count that the write took.
        """
        if self._depth == 0:
            with self.transaction():
                yield
            return

        written_before = self._pending_writes
        sequences_before = dict(self._sequence_next)
        try:
            yield
        except BaseException:
            self._pending_writes = written_before
            self._sequence_next = sequences_before
            raise

    def create(self, sobject: str, fields: dict[str, Any], *, user_id: str) -> str:
        """Insert a record and return its 18-character Id."""
        with self._record_write():
            return self._create(self._sobject(sobject), fields, user_id)

    def update(
        self, sobject: str, record_id: str, fields: dict[str, Any], *, user_id: str
    ) -> None:
        """Update a live record's fields (NOT_FOUND or ENTITY_IS_DELETED otherwise)."""
        with self._record_write():
            self._update(self._sobject(sobject), record_id, fields, user_id)

    def upsert(
        self,
        sobject: str,
        external_id_field: str,
        value: str,
        fields: dict[str, Any],
        *,
        user_id: str,
    ) -> UpsertOutcome:
        """Create or update the record whose external ID field equals ``value``."""
        schema = self._sobject(sobject)
        key_field = self._external_id_field(schema, external_id_field)
        # Salesforce documents only that an Id or the external ID field in the body
        # is an error. NOTE: the errorCode and message here are not confirmed.
        forbidden = ("id", key_field.name.lower())
        for name in fields:
            if name.lower() in forbidden:
                raise RecordError(
                    400,
                    "INVALID_FIELD",
                    f"Unable to create/update fields: {name}. The field is the "
                    "external ID of this upsert or the record Id; send it in the URL "
                    "only.",
                    [name],
                )

        with self._record_write():
            matches = self._find_ids(schema, key_field, value)
            if len(matches) > 1:
                raise MultipleMatchesError(matches)
            if matches:
                self._update(schema, matches[0], fields, user_id)
                return UpsertOutcome(matches[0], created=False)

            body = dict(fields)
            checked: tuple[str, str] | None = None
            if key_field.name != "Id":
                body[key_field.name] = value
                # The query above found no live record with this value.
                checked = (key_field.name, value)
            record_id = self._create(schema, body, user_id, checked=checked)
            return UpsertOutcome(record_id, created=True)

    def delete(self, sobject: str, record_id: str, *, user_id: str) -> None:
        """Mark a record deleted; it stays visible to queryAll."""
        with self.transaction():
            schema = self._sobject(sobject)
            record_id = self._live_id(schema, record_id)
            stamp = self._now()
            self._db.execute(
                f'UPDATE {schema.table} SET "IsDeleted" = 1, "SystemModstamp" = ?, '
                '"LastModifiedById" = ? WHERE "Id" = ?',
                (stamp, user_id, record_id),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO _deletions VALUES (?, ?, ?)",
                (record_id, schema.name, stamp),
            )
            self._pending_writes += 1

    def undelete(self, sobject: str, record_id: str, *, user_id: str) -> None:
        """Restore a deleted record."""
        with self.transaction():
            schema = self._sobject(sobject)
            record_id = self._known_id(schema, record_id)
            check_unique(
                self._db,
                schema,
                unique_values(self._db, schema, record_id),
                own_id=record_id,
            )
            self._db.execute(
                f'UPDATE {schema.table} SET "IsDeleted" = 0, "SystemModstamp" = ?, '
                '"LastModifiedById" = ? WHERE "Id" = ?',
                (self._now(), user_id, record_id),
            )
            self._db.execute("DELETE FROM _deletions WHERE record_id = ?", (record_id,))
            self._pending_writes += 1

    def retrieve(
        self, sobject: str, record_id: str, fields: list[str] | None = None
    ) -> dict[str, Any]:
        """Read one live record as JSON-ready values (no ``attributes``)."""
        schema = self._sobject(sobject)
        record_id = self._live_id(schema, record_id)
        selected = self._selected_fields(schema, fields)
        columns = ", ".join(f'"{f.name}"' for f in selected)
        row = self._db.execute(
            f'SELECT {columns} FROM {schema.table} WHERE "Id" = ?', (record_id,)
        ).fetchone()
        return {f.name: to_json_value(f, row[f.name]) for f in selected}

    def find_by_external_id(self, sobject: str, field: str, value: str) -> list[str]:
        """Return the Ids of live records whose field matches, as upsert matches."""
        schema = self._sobject(sobject)
        return self._find_ids(schema, self._external_id_field(schema, field), value)

    def _find_ids(
        self, schema: SObjectSchema, key_field: FieldSchema, value: str
    ) -> list[str]:
        if key_field.name == "Id":
            try:
                value = to_18(value)
            except InvalidIdError:
                return []
        rows = self._db.execute(
            f'SELECT "Id" FROM {schema.table} WHERE {match_condition(key_field)} '
            f'AND {live_condition(schema)} ORDER BY "Id"',
            (value,),
        ).fetchall()
        return [str(row["Id"]) for row in rows]

    def updated_ids(self, sobject: str, start: datetime, end: datetime) -> list[str]:
        """Ids of live records changed in [start, end), by SystemModstamp."""
        schema = self._sobject(sobject)
        rows = self._db.execute(
            f'SELECT "Id" FROM {schema.table} WHERE "SystemModstamp" >= ? '
            f'AND "SystemModstamp" < ? AND {live_condition(schema)} ORDER BY "Id"',
            (format_datetime(start), format_datetime(end)),
        ).fetchall()
        return [str(row["Id"]) for row in rows]

    def deleted_records(
        self, sobject: str, start: datetime, end: datetime
    ) -> list[tuple[str, str]]:
        """(Id, deletedDate) of records deleted in [start, end)."""
        schema = self._sobject(sobject)
        rows = self._db.execute(
            "SELECT record_id, deleted_date FROM _deletions WHERE sobject = ? "
            "AND deleted_date >= ? AND deleted_date < ? ORDER BY deleted_date",
            (schema.name, format_datetime(start), format_datetime(end)),
        ).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]

    def count(self, sobject: str, *, include_deleted: bool = False) -> int:
        """Count an object's records, for counters and tests."""
        schema = self._sobject(sobject)
        where = "" if include_deleted else f" WHERE {live_condition(schema)}"
        row = self._db.execute(f"SELECT COUNT(*) FROM {schema.table}{where}").fetchone()
        return int(row[0])

    # Helpers below run inside a transaction opened by the public methods.

    def _create(
        self,
        schema: SObjectSchema,
        fields: dict[str, Any],
        user_id: str,
        *,
        checked: tuple[str, str] | None = None,
    ) -> str:
        values = coerce_fields(schema, fields, creating=True)
        comment = values.pop("Comments", None) if schema.name == "Case" else None
        check_references(self._db, self._schema, schema, values)
        self._apply_create_defaults(schema, values, user_id)
        check_required(schema, values)
        check_unique(self._db, schema, values, own_id=None, checked=checked)

        record_id = make_id(schema.key_prefix, self._config.pod, self._next(schema))
        values["Id"] = record_id
        if comment:
            # The comment's checks run after the Case is written, so the two
            # writes need a savepoint to succeed or fail together.
            with self.transaction():
                self._insert(schema, values)
                self._pending_writes += 1
                comment_fields = {"ParentId": record_id, "CommentBody": comment}
                self._create(self._sobject("CaseComment"), comment_fields, user_id)
        else:
            self._insert(schema, values)
            self._pending_writes += 1
        logger.debug("created %s %s", schema.name, record_id)
        return record_id

    def _update(
        self,
        schema: SObjectSchema,
        record_id: str,
        fields: dict[str, Any],
        user_id: str,
    ) -> None:
        record_id = self._live_id(schema, record_id)
        values = coerce_fields(schema, fields, creating=False)
        values.pop("Comments", None)
        check_not_nulled(schema, values)
        check_references(self._db, self._schema, schema, values)
        check_unique(self._db, schema, values, own_id=record_id)
        self._apply_update_defaults(schema, values, user_id, record_id)
        self._update_row(schema, record_id, values)
        self._pending_writes += 1

    def _sobject(self, name: str) -> SObjectSchema:
        schema = self._schema.sobject(name)
        if schema is None:
            raise RecordError(404, "NOT_FOUND", _NOT_FOUND, [])
        return schema

    def _now(self) -> str:
        return (
            self._stamp if self._stamp is not None else format_datetime(self._clock())
        )

    def _next(self, schema: SObjectSchema) -> int:
        return self._sequence(f"id:{schema.name}", 1)

    def _sequence(self, name: str, start: int) -> int:
        """Return a sequence's next value, which transaction() stores at commit."""
        value = self._sequence_next.get(name)
        if value is None:
            row = self._db.execute(
                "SELECT value FROM _sequences WHERE name = ?", (name,)
            ).fetchone()
            stored = None if row is None else int(row[0])
            self._sequence_stored[name] = stored
            value = start if stored is None else stored
        self._sequence_next[name] = value + 1
        return value

    def _write_sequences(self) -> None:
        changed = [
            (name, value)
            for name, value in self._sequence_next.items()
            if value != self._sequence_stored.get(name)
        ]
        if changed:
            self._db.executemany(
                "INSERT OR REPLACE INTO _sequences VALUES (?, ?)", changed
            )

    def _apply_create_defaults(
        self, schema: SObjectSchema, values: dict[str, Any], user_id: str
    ) -> None:
        stamp = self._now()
        for name, default in self._defaults_for(schema).items():
            values.setdefault(name, default)
        values.update(
            {
                "IsDeleted": 0,
                "CreatedDate": stamp,
                "CreatedById": user_id,
                "LastModifiedDate": stamp,
                "LastModifiedById": user_id,
                "SystemModstamp": stamp,
            }
        )
        owner = schema.field("OwnerId")
        if owner is not None and not values.get("OwnerId"):
            values["OwnerId"] = user_id
        if schema.name == "Case":
            start = self._config.case_number_start
            values["CaseNumber"] = f"{self._sequence('CaseNumber', start):08d}"
            self._derive_closed(values, previous_closed=False, stamp=stamp)
        # Keys are API names here, so an exact lookup finds every known field.
        for name in [k for k in values if k not in schema.fields]:
            del values[name]

    def _defaults_for(self, schema: SObjectSchema) -> dict[str, Any]:
        """Return the values of fields a create leaves out: 0 (false), a default."""
        defaults = self._create_defaults.get(schema.name)
        if defaults is None:
            defaults = {}
            for field in schema.stored_fields():
                if field.type == "boolean":
                    defaults[field.name] = 0
                elif field.type == "picklist" and field.default_picklist_value:
                    defaults[field.name] = field.default_picklist_value
            self._create_defaults[schema.name] = defaults
        return defaults

    def _apply_update_defaults(
        self,
        schema: SObjectSchema,
        values: dict[str, Any],
        user_id: str,
        record_id: str,
    ) -> None:
        stamp = self._now()
        values.update(
            {
                "LastModifiedDate": stamp,
                "LastModifiedById": user_id,
                "SystemModstamp": stamp,
            }
        )
        if schema.name == "Case" and "Status" in values:
            row = self._db.execute(
                'SELECT "IsClosed" FROM "Case" WHERE "Id" = ?', (record_id,)
            ).fetchone()
            self._derive_closed(values, previous_closed=bool(row[0]), stamp=stamp)

    @staticmethod
    def _derive_closed(
        values: dict[str, Any], *, previous_closed: bool, stamp: str
    ) -> None:
        # CaseStatus.IsClosed decides closed-ness in a real org; the emulator treats
        # Closed and any value starting with "Closed" as closed statuses.
        status = values.get("Status") or ""
        closed = str(status).startswith("Closed")
        values["IsClosed"] = 1 if closed else 0
        if closed and not previous_closed:
            values["ClosedDate"] = stamp
        elif not closed:
            values["ClosedDate"] = None

    def _insert(self, schema: SObjectSchema, values: dict[str, Any]) -> None:
        key = (schema.name, *values)
        sql = self._insert_sql.get(key)
        if sql is None:
            if len(self._insert_sql) >= _MAX_CACHED_INSERTS:
                self._insert_sql.clear()
            columns = ", ".join(f'"{n}"' for n in values)
            marks = ", ".join("?" for _ in values)
            sql = f"INSERT INTO {schema.table} ({columns}) VALUES ({marks})"
            self._insert_sql[key] = sql
        self._db.execute(sql, list(values.values()))

    def _update_row(
        self, schema: SObjectSchema, record_id: str, values: dict[str, Any]
    ) -> None:
        assignments = ", ".join(f'"{n}" = ?' for n in values)
        self._db.execute(
            f'UPDATE {schema.table} SET {assignments} WHERE "Id" = ?',
            [*values.values(), record_id],
        )

    def _known_id(self, schema: SObjectSchema, record_id: str) -> str:
        try:
            full_id = to_18(record_id)
        except InvalidIdError:
            raise RecordError(404, "NOT_FOUND", _NOT_FOUND, []) from None
        row = self._db.execute(
            f'SELECT "Id" FROM {schema.table} WHERE "Id" = ?', (full_id,)
        ).fetchone()
        if row is None:
            raise RecordError(404, "NOT_FOUND", _NOT_FOUND, [])
        return full_id

    def _live_id(self, schema: SObjectSchema, record_id: str) -> str:
        try:
            full_id = to_18(record_id)
        except InvalidIdError:
            raise RecordError(404, "NOT_FOUND", _NOT_FOUND, []) from None
        deleted = '"IsDeleted"' if schema.field("IsDeleted") is not None else "0"
        row = self._db.execute(
            f'SELECT {deleted} FROM {schema.table} WHERE "Id" = ?', (full_id,)
        ).fetchone()
        if row is None:
            raise RecordError(404, "NOT_FOUND", _NOT_FOUND, [])
        if row[0]:
            raise RecordError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return full_id

    def _selected_fields(
        self, schema: SObjectSchema, names: list[str] | None
    ) -> list[FieldSchema]:
        if not names:
            return schema.stored_fields()
        selected: list[FieldSchema] = []
        for name in names:
            field = schema.field(name.strip())
            if field is None or field.is_compound:
                raise RecordError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name.strip()}' on entity '{schema.name}'",
                    [],
                )
            selected.append(field)
        return selected

    def _external_id_field(self, schema: SObjectSchema, name: str) -> FieldSchema:
        field = schema.field(name)
        if field is None or not (field.external_id or field.id_lookup):
            raise RecordError(
                404,
                "NOT_FOUND",
                "Provided external ID field does not exist or is not accessible: "
                f"{name}",
                [],
            )
        return field

    def _seed_users(self) -> None:
        stamp = format_datetime(self._clock())
        for user in self._config.users:
            first, _, last = user.name.rpartition(" ")
            self._db.execute(
                'INSERT OR IGNORE INTO "User" ("Id", "Username", "FirstName", '
                '"LastName", "Name", "Email", "TimeZoneSidKey", "IsActive", '
                '"CreatedDate", "CreatedById", "LastModifiedDate", '
                '"LastModifiedById", "SystemModstamp") '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    user.user_id,
                    user.username,
                    first or None,
                    last,
                    user.name,
                    user.email,
                    user.time_zone,
                    1 if user.active else 0,
                    stamp,
                    user.user_id,
                    stamp,
                    user.user_id,
                    stamp,
                ),
            )


def to_json_value(field: FieldSchema, stored: Any) -> Any:
    """Convert a stored column value to its JSON form in a REST answer."""
    if stored is None:
        return None
    if field.type == "boolean":
        return bool(stored)
    return stored
