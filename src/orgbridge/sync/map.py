"""Mapping: turn one source Case (a query row) into the target's upsert payload.

For each ``fields`` entry the source value is copied to the target field. A null
source value takes the field's ``defaults`` entry, and a string value found in
the field's ``value_maps`` table is replaced. ``constants`` are set last. The payload
always carries the external-ID field with the source Case Id (18 characters).

A value that the target rejects (say, an unmapped value of a restricted picklist)
is left for Salesforce to reject, so the error is the org's own. The mapper
raises MappingError only for what it can tell locally: a nested value, a value
map on a non-text value, or (when given the target's describe) a constant,
default or value of a type the target field cannot take.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from orgbridge.salesforce.datetimes import parse_datetime
from orgbridge.sync.errors import MappingError
from orgbridge.sync.pair import PairConfig

_TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "picklist",
        "multipicklist",
        "combobox",
        "email",
        "phone",
        "url",
        "reference",
        "id",
        "encryptedstring",
    }
)
_NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})
_FREE_TEXT_TYPES = frozenset({"string", "textarea"})


@dataclass(frozen=True)
class MappedRecord:
    """A target payload and the digest used to tell an unchanged resend."""

    source_id: str
    source_modstamp: str
    cursor_ts: str
    payload: dict[str, Any]
    payload_hash: str


def payload_digest(payload: dict[str, Any]) -> str:
    """Return a SHA-256 hex digest of the payload's canonical JSON.

    Canonical: keys sorted, no spaces, UTF-8, and a value JSON cannot hold (a
    Decimal, say) written as ``str(value)``. orjson writes the JSON. It rejects
    integers beyond 64 bits, so a payload with one goes through the json module.
    """
    try:
        text = orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        text = json.dumps(
            payload,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        ).encode()
    return hashlib.sha256(text).hexdigest()


class Mapper:
    """Maps source rows of one pair to target payloads."""

    def __init__(
        self, pair: PairConfig, target_describe: Mapping[str, Any] | None = None
    ) -> None:
        self.pair = pair
        self._target_types: dict[str, str] = {}
        if target_describe is not None:
            for entry in target_describe.get("fields", []):
                self._target_types[str(entry["name"])] = str(entry["type"])

        # Fields with no default, value map or known target type are copied as
        # they are; only the others go through _map_value.
        self._copied: list[tuple[str, str]] = []
        self._converted: list[tuple[str, str]] = []
        for source_field, target_field in pair.fields.items():
            plain = (
                target_field not in pair.defaults
                and target_field not in pair.value_maps
                and target_field not in self._target_types
            )
            entry = (source_field, target_field)
            (self._copied if plain else self._converted).append(entry)

    @property
    def query_fields(self) -> list[str]:
        """Source fields to select: Id, the cursor field, SystemModstamp, mapped."""
        names = ["Id", self.pair.cursor_field, "SystemModstamp", *self.pair.fields]
        return list(dict.fromkeys(names))

    def map(self, row: Mapping[str, Any]) -> MappedRecord:
        """Map one source row; raise MappingError for a local failure."""
        source_id = str(row["Id"])
        payload: dict[str, Any] = {}

        for source_field, target_field in self._copied:
            value = row.get(source_field)
            if isinstance(value, dict | list):
                raise _nested_value_error(source_id, target_field)
            payload[target_field] = value
        for source_field, target_field in self._converted:
            value = self._map_value(source_id, target_field, row.get(source_field))
            payload[target_field] = value

        for target_field, constant in self.pair.constants.items():
            self._check_type(source_id, target_field, constant)
            payload[target_field] = constant

        payload[self.pair.external_id_field] = source_id
        return MappedRecord(
            source_id=source_id,
            source_modstamp=str(row["SystemModstamp"]),
            cursor_ts=str(row[self.pair.cursor_field]),
            payload=payload,
            payload_hash=payload_digest(payload),
        )

    def _map_value(self, source_id: str, target_field: str, value: Any) -> Any:
        if isinstance(value, dict | list):
            raise _nested_value_error(source_id, target_field)

        if value is None and target_field in self.pair.defaults:
            value = self.pair.defaults[target_field]

        value_map = self.pair.value_maps.get(target_field)
        if value_map is not None and value is not None:
            if not isinstance(value, str):
                raise MappingError(
                    source_id,
                    target_field,
                    f"value_maps applies to text values, got {value!r}",
                )
            value = value_map.get(value, value)

        self._check_type(source_id, target_field, value)
        return value

    def _check_type(self, source_id: str, target_field: str, value: Any) -> None:
        field_type = self._target_types.get(target_field)
        if field_type is None or value is None:
            return

        if field_type in _FREE_TEXT_TYPES:
            # The org stores a number sent to a text field as its text, so a
            # number-to-text mapping lands with or without the describe.
            ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        elif field_type in _TEXT_TYPES:
            ok = isinstance(value, str)
        elif field_type == "boolean":
            ok = isinstance(value, bool)
        elif field_type in _NUMBER_TYPES:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif field_type in ("date", "datetime"):
            ok = isinstance(value, str) and _parses_as_date(value)
        else:
            ok = True
        if not ok:
            raise MappingError(
                source_id,
                target_field,
                f"{value!r} does not fit the target's {field_type} field",
            )


def _nested_value_error(source_id: str, target_field: str) -> MappingError:
    return MappingError(
        source_id,
        target_field,
        "the source value is a compound or nested value; map its "
        "component fields instead",
    )


def _parses_as_date(value: str) -> bool:
    try:
        if len(value) == 10:
            parse_datetime(value + "T00:00:00Z")
        else:
            parse_datetime(value)
    except ValueError:
        return False
    return True
