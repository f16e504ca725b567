"""sObject Collections: many records in one call, one result per record.

``composite/sobjects`` creates (POST), updates (PATCH) and deletes (DELETE);
``composite/sobjects/{type}`` retrieves (GET, or POST with a JSON body);
``composite/sobjects/{type}/{externalIdField}`` upserts (PATCH). A well-formed request
returns 200 whatever happens to the records. With ``allOrNone`` one failure rolls
every record back and the others report ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

import logging
from collections.abc import Callable
from typing import Any

from orgbridge.emulator.errors import MultipleMatchesError, RecordError
from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import ApiFailure, Result, require_object
from orgbridge.emulator.schema import SObjectSchema
from orgbridge.emulator.validation import json_token
from orgbridge.salesforce.ids import is_valid_id, to_18

logger = logging.getLogger(__name__)

MAX_RECORDS = 200
MAX_RETRIEVE_IDS = 2000
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the "
    "request was using AllOrNone header",
    "fields": [],
}

# One record's write: returns the result entry of a success, raises RecordError.
# It makes at most one store call, and only after every check that can fail.
RecordWrite = Callable[[Any], dict[str, Any]]


class _RollBack(Exception):
    """Raised inside the outer transaction to undo an allOrNone request."""


def route(call: Call, parts: list[str]) -> Result:
    """Dispatch a path under composite/sobjects."""
    rest = [p for p in parts if p]
    if not rest:
        if call.method == "POST":
            return _write_all(call, _create_write(call))
        if call.method == "PATCH":
            return _write_all(call, _update_write(call))
        if call.method == "DELETE":
            return _delete_all(call)
    elif len(rest) == 1 and call.method in ("GET", "POST"):
        return _retrieve(call, call.sobject(rest[0]))
    elif len(rest) == 2 and call.method == "PATCH":
        sobject = call.sobject(rest[0])
        return _write_all(call, _upsert_write(call, sobject, rest[1]))
    raise ApiFailure(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{call.method}' not allowed."
    )


def _records(call: Call) -> tuple[list[Any], bool]:
    body = require_object(call.body)
    records = body.get("records")
    if not isinstance(records, list):
        raise ApiFailure(400, "JSON_PARSER_ERROR", "records: expected a JSON array")
    if len(records) > MAX_RECORDS:
        raise ApiFailure(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records "
            "into this call",
        )
    return records, all_or_none_flag(body)


def all_or_none_flag(body: dict[str, Any]) -> bool:
    """Read ``allOrNone`` from a request body: a JSON boolean, false when absent."""
    flag = body.get("allOrNone", False)
    if not isinstance(flag, bool):
        raise ApiFailure(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of boolean from {json_token(flag)} value "
            f"{flag} for allOrNone",
        )
    return flag


def _write_all(call: Call, write: RecordWrite) -> Result:
    records, all_or_none = _records(call)
    results: list[dict[str, Any]] = []
    store = call.runtime.store

    try:
        with store.transaction():
            for record in records:
                results.append(_one(call, write, record))
            if all_or_none and not all(r["success"] for r in results):
                raise _RollBack
    except _RollBack:
        results = [r if not r["success"] else _rolled_back() for r in results]

    failed = sum(1 for r in results if not r["success"])
    logger.debug(
        "collection %s: %d records, %d failed", call.method, len(results), failed
    )
    return Result(200, results)


def _one(call: Call, write: RecordWrite, record: Any) -> dict[str, Any]:
    """Run one record's write and return its result entry.

    A RecordWrite makes one store call, which the store runs in its own savepoint,
    so a failed record leaves no partial write behind.
    """
    try:
        if call.runtime.faults.lock_row_fault():
            raise RecordError(
                400,
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records: "
                + _target_id(record),
                [],
            )
        return write(record)
    except RecordError as error:
        return _failure(error.error_code, error.message, error.fields)
    except MultipleMatchesError as error:
        return _failure(
            "DUPLICATE_EXTERNAL_ID",
            "The external ID value matches several records: " + ", ".join(error.ids),
            [],
        )


def _target_id(record: Any) -> str:
    """Return the Id a write targets (a delete's Id, an update's Id field) or ""."""
    if isinstance(record, str):
        return record
    if isinstance(record, dict) and isinstance(record.get("Id"), str):
        return str(record["Id"])
    return ""


def _create_write(call: Call) -> RecordWrite:
    def write(record: Any) -> dict[str, Any]:
        fields, sobject = _typed_record(call, record)
        if fields.get("Id"):
            raise RecordError(
                400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]
            )
        record_id = call.runtime.store.create(sobject, fields, user_id=call.user_id)
        return {"id": record_id, "success": True, "errors": []}

    return write


def _update_write(call: Call) -> RecordWrite:
    def write(record: Any) -> dict[str, Any]:
        fields, sobject = _typed_record(call, record)
        record_id = fields.pop("Id", None)
        if not isinstance(record_id, str) or not is_valid_id(record_id):
            raise RecordError(
                400, "MALFORMED_ID", f"invalid record id: {record_id}", ["Id"]
            )
        call.runtime.store.update(sobject, record_id, fields, user_id=call.user_id)
        return {"id": to_18(record_id), "success": True, "errors": []}

    return write


def _upsert_write(call: Call, sobject: SObjectSchema, field: str) -> RecordWrite:
    key_field = sobject.field(field)
    if key_field is None or not (key_field.external_id or key_field.id_lookup):
        raise ApiFailure(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field}",
        )

    def write(record: Any) -> dict[str, Any]:
        fields, record_type = _typed_record(call, record, default_type=sobject.name)
        if record_type != sobject.name:
            raise RecordError(
                400,
                "INVALID_TYPE",
                f"Record type {record_type} does not match the URL's {sobject.name}",
                [],
            )
        value = fields.pop(key_field.name, None)
        if isinstance(value, (bool, dict, list)):
            raise RecordError(
                400,
                "JSON_PARSER_ERROR",
                f"{key_field.name}: an external ID value must be a string or a number",
                [key_field.name],
            )
        if value is None or value == "":
            raise RecordError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{key_field.name}]",
                [key_field.name],
            )
        outcome = call.runtime.store.upsert(
            sobject.name, key_field.name, str(value), fields, user_id=call.user_id
        )
        return {
            "id": outcome.id,
            "success": True,
            "errors": [],
            "created": outcome.created,
        }

    return write


def _typed_record(
    call: Call, record: Any, *, default_type: str | None = None
) -> tuple[dict[str, Any], str]:
    if not isinstance(record, dict):
        raise RecordError(400, "JSON_PARSER_ERROR", "each record must be an object", [])
    fields = dict(record)
    attributes = fields.pop("attributes", None)
    record_type = attributes.get("type") if isinstance(attributes, dict) else None
    record_type = record_type or default_type
    if not isinstance(record_type, str) or not record_type:
        raise RecordError(
            400,
            "INVALID_TYPE",
            "Must send a concrete entity type in attributes.type",
            [],
        )
    schema = call.runtime.schema.sobject(record_type)
    if schema is None:
        raise RecordError(
            400, "INVALID_TYPE", f"sObject type '{record_type}' is not supported.", []
        )
    return fields, schema.name


def _delete_all(call: Call) -> Result:
    ids = [i for i in call.params.get("ids", "").split(",") if i]
    if not ids:
        raise ApiFailure(400, "MISSING_ARGUMENT", "ids parameter not specified")
    if len(ids) > MAX_RECORDS:
        raise ApiFailure(
            400, "EXCEEDED_ID_LIMIT", f"cannot delete more than {MAX_RECORDS} records"
        )
    all_or_none = call.params.get("allOrNone", "false").lower() == "true"

    def write(record_id: Any) -> dict[str, Any]:
        sobject = call.runtime.schema.sobject_for_id(str(record_id))
        if sobject is None or not is_valid_id(str(record_id)):
            raise RecordError(400, "MALFORMED_ID", f"invalid id: {record_id}", [])
        call.runtime.store.delete(sobject.name, str(record_id), user_id=call.user_id)
        return {"id": to_18(str(record_id)), "success": True, "errors": []}

    results: list[dict[str, Any]] = []
    try:
        with call.runtime.store.transaction():
            for record_id in ids:
                result = _one(call, write, record_id)
                if not result["success"]:
                    result["id"] = record_id
                results.append(result)
            if all_or_none and not all(r["success"] for r in results):
                raise _RollBack
    except _RollBack:
        results = [r if not r["success"] else _rolled_back(r["id"]) for r in results]
    return Result(200, results)


def _retrieve(call: Call, sobject: SObjectSchema) -> Result:
    if call.method == "POST":
        body = require_object(call.body)
        ids = body.get("ids")
        fields = body.get("fields")
        if not isinstance(ids, list) or not isinstance(fields, list):
            raise ApiFailure(400, "JSON_PARSER_ERROR", "expected ids and fields arrays")
    else:
        ids = [i for i in call.params.get("ids", "").split(",") if i]
        fields = [f for f in call.params.get("fields", "").split(",") if f]
    if not ids or not fields:
        raise ApiFailure(400, "MISSING_ARGUMENT", "ids and fields must be specified")
    if not all(isinstance(f, str) for f in fields):
        raise ApiFailure(400, "JSON_PARSER_ERROR", "fields: expected field names")
    if len(ids) > MAX_RETRIEVE_IDS:
        raise ApiFailure(400, "EXCEEDED_ID_LIMIT", "too many ids")

    answer: list[dict[str, Any] | None] = []
    for record_id in ids:
        try:
            record = call.runtime.store.retrieve(sobject.name, str(record_id), fields)
        except RecordError as error:
            if error.error_code == "INVALID_FIELD":
                raise ApiFailure(400, error.error_code, error.message) from None
            answer.append(None)
            continue
        full_id = to_18(str(record_id))
        answer.append({"attributes": call.attributes(sobject.name, full_id)} | record)
    return Result(200, answer)


def _failure(code: str, message: str, fields: list[str]) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"statusCode": code, "message": message, "fields": fields}],
    }


def _rolled_back(record_id: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"success": False, "errors": [dict(ROLLED_BACK)]}
    if record_id is not None:
        entry["id"] = record_id
    return entry
