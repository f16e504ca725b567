"""sObject resources: describe, create, read, update, delete, upsert by external ID.

Paths handled (after ``/services/data/vNN.0/``): ``sobjects``, ``sobjects/{type}``,
``sobjects/{type}/describe``, ``sobjects/{type}/{id}`` and
``sobjects/{type}/{externalIdField}/{value}``; the replication resources
``updated`` and ``deleted`` live in replication.py.
"""

import logging
from typing import Any

from orgbridge.emulator.errors import MultipleMatchesError, RecordError
from orgbridge.emulator.rest.call import Call
from orgbridge.emulator.rest.responses import (
    ApiFailure,
    Result,
    not_found,
    require_object,
)
from orgbridge.emulator.schema import SObjectSchema
from orgbridge.salesforce.ids import is_valid_id, to_18

logger = logging.getLogger(__name__)

# An upsert that updates returns 200 with a body from this version on, 204 before.
UPSERT_BODY_VERSION = 46.0
# POST sobjects/{type}/Id creates a record (Id as the external ID, value null).
CREATE_BY_ID_PATH_VERSION = 37.0


def global_describe(call: Call) -> Result:
    """GET sobjects/: every emulated sObject."""
    return Result(200, call.runtime.schema.global_describe(call.api_version))


def basic_info(call: Call, sobject: SObjectSchema) -> Result:
    """GET sobjects/{type}: the object's summary and recently viewed records."""
    entry = sobject.global_entry(call.api_version)
    return Result(200, {"objectDescribe": entry, "recentItems": []})


def describe(call: Call, sobject: SObjectSchema) -> Result:
    """GET sobjects/{type}/describe."""
    return Result(200, sobject.describe(call.api_version, call.instance_url))


def create(call: Call, sobject: SObjectSchema) -> Result:
    """POST sobjects/{type}: create one record."""
    body = require_object(call.body)
    call.check_lock()
    with call.runtime.store.transaction():
        record_id = call.runtime.store.create(sobject.name, body, user_id=call.user_id)
    logger.debug("created %s %s", sobject.name, record_id)
    return Result(
        201,
        {"id": record_id, "success": True, "errors": []},
        {"Location": call.record_url(sobject.name, record_id)},
    )


def by_id(call: Call, sobject: SObjectSchema, record_id: str) -> Result:
    """GET, PATCH or DELETE sobjects/{type}/{id}."""
    store = call.runtime.store
    if call.method == "GET":
        fields = _field_list(call.params.get("fields"))
        record = store.retrieve(sobject.name, record_id, fields)
        record_id = to_18(record_id)
        return Result(
            200, {"attributes": call.attributes(sobject.name, record_id)} | record
        )

    if call.method == "PATCH":
        body = require_object(call.body)
        call.check_lock(record_id)
        with store.transaction():
            store.update(sobject.name, record_id, body, user_id=call.user_id)
        return Result(204)

    if call.method == "DELETE":
        call.check_lock(record_id)
        with store.transaction():
            store.delete(sobject.name, record_id, user_id=call.user_id)
        return Result(204)
    raise _method_not_allowed(call.method)


def by_external_id(
    call: Call, sobject: SObjectSchema, field: str, value: str
) -> Result:
    """GET, PATCH (upsert) or DELETE sobjects/{type}/{field}/{value}."""
    store = call.runtime.store
    if call.method in ("PATCH", "POST"):
        return _upsert(call, sobject, field, value)

    matches = store.find_by_external_id(sobject.name, field, value)
    if len(matches) > 1:
        return _multiple_choices(call, sobject, matches)
    if not matches:
        raise not_found()

    if call.method == "GET":
        return by_id(call, sobject, matches[0])
    if call.method == "DELETE":
        call.check_lock(matches[0])
        with store.transaction():
            store.delete(sobject.name, matches[0], user_id=call.user_id)
        return Result(204)
    raise _method_not_allowed(call.method)


def _upsert(call: Call, sobject: SObjectSchema, field: str, value: str) -> Result:
    body = require_object(call.body)
    call.check_lock()
    try:
        with call.runtime.store.transaction():
            outcome = call.runtime.store.upsert(
                sobject.name, field, value, body, user_id=call.user_id
            )
    except MultipleMatchesError as error:
        return _multiple_choices(call, sobject, error.ids)

    answer = {"id": outcome.id, "success": True, "errors": [], "created": True}
    if outcome.created:
        return Result(201, answer)
    if call.version_number() < UPSERT_BODY_VERSION:
        return Result(204)
    return Result(200, answer | {"created": False})


def _multiple_choices(call: Call, sobject: SObjectSchema, ids: list[str]) -> Result:
    return Result(300, [call.record_url(sobject.name, i) for i in ids])


def route(call: Call, parts: list[str]) -> Result:
    """Dispatch a path under sobjects/ to its operation."""
    from orgbridge.emulator.rest import replication

    if not parts or parts == [""]:
        return global_describe(call)
    sobject = call.sobject(parts[0])
    rest = [p for p in parts[1:] if p != ""]

    if not rest:
        if call.method == "POST":
            return create(call, sobject)
        if call.method == "GET":
            return basic_info(call, sobject)
        raise _method_not_allowed(call.method)
    if rest == ["describe"]:
        return describe(call, sobject)
    if rest[0] in ("updated", "deleted") and len(rest) == 1:
        return replication.route(call, sobject, rest[0])
    if rest == ["Id"] and call.method == "POST":
        if call.version_number() < CREATE_BY_ID_PATH_VERSION:
            raise not_found()
        return create(call, sobject)
    if len(rest) == 1:
        if is_valid_id(rest[0]) and rest[0][:3] == sobject.key_prefix:
            return by_id(call, sobject, rest[0])
        raise not_found(
            f"Provided external ID field does not exist or is not accessible: {rest[0]}"
        )
    if len(rest) == 2:
        return by_external_id(call, sobject, rest[0], rest[1])
    raise not_found()


def record_error_result(error: RecordError) -> Result:
    """Render a store error as the single-record REST error array."""
    return ApiFailure(
        error.status, error.error_code, error.message, error.fields
    ).result()


def _field_list(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _method_not_allowed(method: str) -> ApiFailure:
    return ApiFailure(
        405,
        "METHOD_NOT_ALLOWED",
        f"HTTP Method '{method}' not allowed. Allowed are GET,PATCH,DELETE",
    )


def record_json(call: Call, sobject: str, record: dict[str, Any]) -> dict[str, Any]:
    """Prefix a record's fields with its ``attributes``."""
    return {"attributes": call.attributes(sobject, str(record["Id"]))} | record
