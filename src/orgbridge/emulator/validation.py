"""Field validation for record writes, with Salesforce's error codes and messages.

``coerce_fields`` turns a JSON body into storage values (see schema.py for the storage
convention) or raises RecordError with the first problem found, as a single-record
DML error from Salesforce would read.
"""

import math
import re
from datetime import date
from typing import Any

from orgbridge.emulator.errors import RecordError
from orgbridge.emulator.schema import FieldSchema, SObjectSchema
from orgbridge.salesforce.datetimes import format_datetime, parse_datetime
from orgbridge.salesforce.ids import is_valid_id

TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "phone",
        "url",
        "email",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
REFERENCE_TYPES = frozenset({"reference", "id"})
# Close to the address rule Salesforce applies: one @, a dotted domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_SHOWN = 255
# An int field is a 32-bit xsd:int on the wire.
INT_RANGE = range(-(2**31), 2**31)


def coerce_fields(
    sobject: SObjectSchema, body: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """Check a write's fields and return storage values keyed by field API name."""
    values: dict[str, Any] = {}
    not_writable: list[str] = []

    for key, raw in body.items():
        if key == "attributes":
            continue
        field = sobject.field(key)
        if field is None or field.is_compound:
            raise RecordError(
                400,
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {sobject.name}",
                [key],
            )
        writable = field.createable if creating else field.updateable
        if not writable:
            not_writable.append(field.name)
            continue
        values[field.name] = coerce_value(field, raw)

    if not_writable:
        names = ", ".join(not_writable)
        raise RecordError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {names}. Please check the security "
            "settings of this field and verify that it is read/write for your "
            "profile or permission set.",
            not_writable,
        )
    return values


def coerce_value(field: FieldSchema, raw: Any) -> Any:
    """Convert one JSON value to its storage form, or raise RecordError."""
    if raw is None:
        return None
    if field.type in TEXT_TYPES:
        return _text(field, raw)
    if field.type == "boolean":
        if not isinstance(raw, bool):
            raise _parse_error("boolean", raw)
        return 1 if raw else 0
    if field.type in NUMBER_TYPES:
        return _number(field, raw)
    if field.type == "date":
        return _date(raw)
    if field.type == "datetime":
        return _datetime(raw)
    if field.type in REFERENCE_TYPES:
        return _reference(field, raw)
    if isinstance(raw, (dict, list)):
        raise _parse_error(field.type, raw)
    return raw


def check_required(sobject: SObjectSchema, values: dict[str, Any]) -> None:
    """Raise REQUIRED_FIELD_MISSING for required fields absent or null on create."""
    missing = [
        f.name
        for f in sobject.required_fields
        if f.type != "boolean" and values.get(f.name) in (None, "")
    ]
    if missing:
        raise RecordError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )


def check_not_nulled(sobject: SObjectSchema, values: dict[str, Any]) -> None:
    """Raise REQUIRED_FIELD_MISSING when an update blanks a required field."""
    blanked = [
        name
        for name, value in values.items()
        if value in (None, "")
        and (field := sobject.field(name)) is not None
        and not field.nillable
        and field.type != "boolean"
    ]
    if blanked:
        raise RecordError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(blanked)}]",
            blanked,
        )


def _text(field: FieldSchema, raw: Any) -> str:
    if isinstance(raw, (bool, dict, list)):
        raise _parse_error("String", raw)
    text = str(raw)

    # NOTE: NUL (U+0000) is rejected as an emulator choice, because Salesforce's own
    # handling of it was not confirmed. Other control characters, any script and
    # emoji are stored as sent.
    if "\x00" in text:
        raise RecordError(
            400,
            "JSON_PARSER_ERROR",
            f"Illegal character NUL (code 0) in value of field {field.name}",
            [field.name],
        )
    if not text.isascii() and not _is_utf8(text):
        raise RecordError(
            400,
            "JSON_PARSER_ERROR",
            f"Invalid Unicode in value of field {field.name}: a lone surrogate",
            [field.name],
        )
    if field.length and len(text) > field.length:
        shown = text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."
        raise RecordError(
            400,
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {shown} (max length={field.length})",
            [field.name],
        )
    if field.type == "email" and text and not _EMAIL.match(text):
        raise RecordError(
            400,
            "INVALID_EMAIL_ADDRESS",
            f"{field.label}: invalid email address: {text}",
            [field.name],
        )
    if (
        field.type == "picklist"
        and field.restricted_picklist
        and text not in field.picklist_value_set
    ):
        raise RecordError(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field.label}: bad value for restricted picklist field: {text}",
            [field.name],
        )
    return text


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number(field: FieldSchema, raw: Any) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise _parse_error(field.type, raw)
    try:
        number = float(raw)
    except (ValueError, OverflowError):
        raise _parse_error(field.type, raw) from None
    if not math.isfinite(number):
        raise _parse_error(field.type, raw)
    if field.type != "int":
        return number

    whole = int(raw) if isinstance(raw, int) else int(number)
    if whole not in INT_RANGE:
        raise RecordError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{field.label}: value outside of valid range on numeric field: {raw}",
            [field.name],
        )
    return whole


def _date(raw: Any) -> str:
    if not isinstance(raw, str):
        raise _parse_error("date", raw)
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        raise _parse_error("date", raw) from None


def _datetime(raw: Any) -> str:
    if not isinstance(raw, str):
        raise _parse_error("datetime", raw)
    try:
        text = raw if ("T" in raw and _has_zone(raw)) else raw + "Z"
        return format_datetime(parse_datetime(text))
    except ValueError:
        raise _parse_error("datetime", raw) from None


def _has_zone(text: str) -> bool:
    return text.endswith("Z") or text[-6:-5] in "+-" or text[-5:-4] in "+-"


def _reference(field: FieldSchema, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _parse_error("id", raw)
    if not raw:
        return raw
    if not is_valid_id(raw):
        raise RecordError(
            400,
            "MALFORMED_ID",
            f"{field.label}: id value of incorrect type: {raw}",
            [field.name],
        )
    return raw


def _parse_error(type_name: str, raw: Any) -> RecordError:
    token = json_token(raw)
    shown = str(raw)[:_MAX_SHOWN]
    return RecordError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {token} value {shown} "
        "or request may be missing a required field",
        [],
    )


def json_token(raw: Any) -> str:
    """Name the JSON token of a value as Salesforce's parser errors do."""
    if raw is None:
        return "VALUE_NULL"
    if isinstance(raw, bool):
        return "VALUE_TRUE" if raw else "VALUE_FALSE"
    if isinstance(raw, str):
        return "VALUE_STRING"
    if isinstance(raw, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(raw, dict):
        return "START_OBJECT"
    if isinstance(raw, list):
        return "START_ARRAY"
    return "VALUE_NUMBER_INT"
